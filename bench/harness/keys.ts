// Keys and values of the workloads. Every key lives under `bench/` so that a run against someone
// else's endpoints touches nothing else:
//
//   bench/k/00012345    the preloaded key space (random, zipfian and range workloads), 8 digits
//   bench/seq/<12 digits> sequential puts, one counter per run
//   bench/hot           the one hot key
//   bench/scan/00001234 the prefix the prefix-scan workload reads whole (10,000 keys, 64 B values)
//   bench/w/<run>/<seq> watch fan-out puts (the sequence number tells the event's put)
//
// Randomness comes from a seeded Prng, so a run's requests are the same on etcd and on Flotilla.

import { Prng } from '../../src/util/prng.js';

export const valueBytes = 256;
export const hotKey = Buffer.from('bench/hot');
export const keySpacePrefix = Buffer.from('bench/k/');

/** The i-th key of the preloaded key space. */
export function spaceKey(i: number): Buffer {
  return Buffer.from(`bench/k/${String(i).padStart(8, '0')}`);
}

/**
 * The prefix-scan keys: their own prefix, so that the scan reads exactly `scanKeyCount` keys
 * whatever --keys is. Values are 64 B rather than 256 B: a scan then measures per-key and
 * per-region work (what the routing modes differ in) more than copying bytes; a reply is still
 * about 0.9 MB over gRPC.
 */
export const scanPrefix = Buffer.from('bench/scan/');
export const scanKeyCount = 10_000;
export const scanValueBytes = 64;

export function scanKey(i: number): Buffer {
  return Buffer.from(`bench/scan/${String(i).padStart(8, '0')}`);
}

/** The i-th key of a sequential run. */
export function seqKey(run: number, i: number): Buffer {
  return Buffer.from(`bench/seq/${run}/${String(i).padStart(12, '0')}`);
}

/** The smallest key greater than every key with this prefix (etcd's `range_end` of a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** A value of `bytes` printable random bytes (printable, so that the gateway's JSON stays small). */
export function randomValue(rand: Prng, bytes = valueBytes): Buffer {
  const v = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) v[i] = 0x61 + rand.int(26);
  return v;
}

/** Picks indexes in [0, n). */
export interface KeyChooser {
  next(): number;
}

export function uniformChooser(n: number, rand: Prng): KeyChooser {
  return { next: () => rand.int(n) };
}

/**
 * YCSB's scrambled zipfian distribution (Gray et al., "Quickly generating billion-record synthetic
 * databases", theta 0.99): item ranks follow Zipf's law, then a hash spreads the popular ranks
 * over the key space so that hot keys are not neighbours.
 *
 * Worked example, n = 100 000: rank 0 is drawn about 8% of the time, the 10 most popular ranks
 * about 23%, the 1 000 most popular about 60%.
 */
export function zipfianChooser(n: number, rand: Prng, theta = 0.99): KeyChooser {
  const t = zipfTable(n, theta);
  const rank = (): number => {
    const u = rand.float();
    const uz = u * t.zetaN;
    if (uz < 1) return 0;
    if (uz < 1 + t.half) return 1;
    return Math.min(n - 1, Math.floor(n * Math.pow(t.eta * u - t.eta + 1, t.alpha)));
  };
  return { next: () => scramble(rank(), n) };
}

interface ZipfTable {
  zetaN: number;
  alpha: number;
  eta: number;
  half: number;
}

// zeta(n) takes a pass over n: computed once per (n, theta).
const zipfTables = new Map<string, ZipfTable>();

function zipfTable(n: number, theta: number): ZipfTable {
  const id = `${n}/${theta}`;
  let t = zipfTables.get(id);
  if (!t) {
    let zetaN = 0;
    for (let i = 1; i <= n; i++) zetaN += 1 / Math.pow(i, theta);
    const zeta2 = 1 + 1 / Math.pow(2, theta);
    t = {
      zetaN,
      alpha: 1 / (1 - theta),
      eta: (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta2 / zetaN),
      half: Math.pow(0.5, theta),
    };
    zipfTables.set(id, t);
  }
  return t;
}

/** A fixed bijection-like spread of ranks over [0, n): 32-bit FNV-1a of the rank, modulo n. */
function scramble(rank: number, n: number): number {
  let h = 0x811c9dc5;
  for (let x = rank, i = 0; i < 4; i++, x >>>= 8) {
    h ^= x & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % n;
}

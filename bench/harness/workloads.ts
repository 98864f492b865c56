// The key-value workloads: each makes a stream of Ops (ops.ts) that either client sends. A
// source is seeded by the workload, the round and the run's seed, so etcd and Flotilla get the
// same requests in the same order (up to the interleaving of concurrent requests).
//
//   put-hot       put 256 B values to one key
//   put-random    put 256 B values to keys drawn uniformly from the key space
//   put-seq       put 256 B values to ever new keys, in key order
//   get-lin       range of one random key, linearizable (etcd's default)
//   get-ser       range of one random key, serializable (served by the member's local state)
//   range-prefix  linearizable range of a prefix covering 100 keys, limit 100
//   prefix-scan   linearizable range of a whole prefix holding 10,000 keys (bench/scan/, loaded
//                 first): in range mode it reads every region the prefix spans and merges them
//   txn-cas       Kubernetes' update: txn if mod_revision(k) == r then put(k) else get(k)
//   ycsb-a|b|c    YCSB's core workloads over zipfian keys: 50/50, 95/5, 100/0 reads/updates

import { Prng } from '../../src/util/prng.js';
import {
  hotKey,
  prefixEnd,
  randomValue,
  scanPrefix,
  seqKey,
  spaceKey,
  uniformChooser,
  valueBytes,
  zipfianChooser,
  type KeyChooser,
} from './keys.js';
import type { Op, OpResult, OpSource } from './ops.js';
import type { TargetState } from './targets.js';

export const kvWorkloadNames = [
  'put-hot',
  'put-random',
  'put-seq',
  'get-lin',
  'get-ser',
  'range-prefix',
  'prefix-scan',
  'txn-cas',
  'ycsb-a',
  'ycsb-b',
  'ycsb-c',
] as const;
export type KvWorkloadName = (typeof kvWorkloadNames)[number];

export const workloadTitles: Record<string, string> = {
  'put-hot': 'put, one hot key',
  'put-random': 'put, random keys',
  'put-seq': 'put, sequential keys',
  'get-lin': 'get one key, linearizable',
  'get-ser': 'get one key, serializable',
  'range-prefix': 'prefix range, limit 100',
  'prefix-scan': 'range of a whole prefix holding 10,000 keys (64 B values), no limit',
  'txn-cas': 'txn compare mod_revision, put',
  'ycsb-a': 'YCSB A (50% read, 50% update)',
  'ycsb-b': 'YCSB B (95% read, 5% update)',
  'ycsb-c': 'YCSB C (read only)',
  watch: 'watch fan-out',
  dataset: 'data set growth',
};

/** Whether the workload reads the preloaded key space (and so needs it loaded first). */
export function needsKeySpace(name: KvWorkloadName): boolean {
  return name !== 'put-hot' && name !== 'put-seq' && name !== 'txn-cas' && name !== 'prefix-scan';
}

/** Whether the workload reads the prefix-scan keys (bench/scan/, loaded before it runs). */
export function needsScanSpace(name: KvWorkloadName): boolean {
  return name === 'prefix-scan';
}

/** The compare-and-put keys: their own space, a tenth the size of the main one, so no other workload changes them. */
export function casKey(i: number): Buffer {
  return Buffer.from(`bench/cas/${String(i).padStart(8, '0')}`);
}
export function casKeyCount(keySpace: number): number {
  return Math.max(1, Math.floor(keySpace / 10));
}

export interface SourceContext {
  readonly seed: number;
  readonly round: number;
  /** Keys in the preloaded key space. */
  readonly keys: number;
  readonly state: TargetState;
}

const scanEnd = prefixEnd(scanPrefix);

function seedOf(name: string, ctx: SourceContext): number {
  let h = ctx.seed >>> 0;
  for (const ch of `${name}/${ctx.round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** A pool of values cycled through: fresh random bytes per request would cost the client more than the request. */
function valuePool(rand: Prng): () => Buffer {
  const pool = Array.from({ length: 64 }, () => randomValue(rand, valueBytes));
  let i = 0;
  return () => pool[i++ & 63]!;
}

function simple(next: () => Op): OpSource {
  return { wantsResults: false, next };
}

/** YCSB's mix: a read (linearizable get) with probability `readShare`, else an update (put). */
function ycsb(readShare: number, keys: KeyChooser, rand: Prng, value: () => Buffer): OpSource {
  return simple(() => {
    const key = spaceKey(keys.next());
    return rand.float() < readShare ? { kind: 'range', key, serializable: false } : { kind: 'put', key, value: value() };
  });
}

export function makeSource(name: KvWorkloadName, ctx: SourceContext): OpSource {
  const rand = new Prng(seedOf(name, ctx));
  const value = valuePool(rand);
  const uniform = uniformChooser(ctx.keys, rand);
  switch (name) {
    case 'put-hot':
      return simple(() => ({ kind: 'put', key: hotKey, value: value() }));
    case 'put-random':
      return simple(() => ({ kind: 'put', key: spaceKey(uniform.next()), value: value() }));
    case 'put-seq': {
      const run = ++ctx.state.seqRuns;
      let i = 0;
      return simple(() => ({ kind: 'put', key: seqKey(run, i++), value: value() }));
    }
    case 'get-lin':
      return simple(() => ({ kind: 'range', key: spaceKey(uniform.next()), serializable: false }));
    case 'get-ser':
      return simple(() => ({ kind: 'range', key: spaceKey(uniform.next()), serializable: true }));
    case 'range-prefix':
      return simple(() => {
        // bench/k/000123 covers bench/k/00012300 .. bench/k/00012399.
        const key = spaceKey(uniform.next()).subarray(0, -2);
        return { kind: 'range', key, rangeEnd: prefixEnd(key), limit: 100, serializable: false };
      });
    case 'prefix-scan':
      return simple(() => ({ kind: 'range', key: scanPrefix, rangeEnd: scanEnd, serializable: false }));
    case 'txn-cas':
      return casSource(rand, value, ctx);
    case 'ycsb-a':
      return ycsb(0.5, zipfianChooser(ctx.keys, rand), rand, value);
    case 'ycsb-b':
      return ycsb(0.95, zipfianChooser(ctx.keys, rand), rand, value);
    case 'ycsb-c':
      return ycsb(1, zipfianChooser(ctx.keys, rand), rand, value);
  }
}

/** Counts of a compare-and-put run, to show that most updates succeeded (as they do in Kubernetes). */
export interface CasSource extends OpSource {
  succeeded: number;
  failed: number;
}

function casSource(rand: Prng, value: () => Buffer, ctx: SourceContext): CasSource {
  const n = casKeyCount(ctx.keys);
  const known = ctx.state.casRevisions;
  const indexOf = new Map<Buffer, number>();
  const source: CasSource = {
    wantsResults: true,
    succeeded: 0,
    failed: 0,
    next(): Op {
      const i = rand.int(n);
      const key = casKey(i);
      indexOf.set(key, i);
      return { kind: 'cas', key, value: value(), modRevision: known.get(i) ?? 0 };
    },
    done(op: Op, result: OpResult): void {
      const i = indexOf.get(op.key);
      if (i === undefined) return;
      indexOf.delete(op.key);
      if (result.succeeded) {
        source.succeeded++;
        known.set(i, result.revision);
      } else {
        source.failed++;
        known.set(i, result.modRevision ?? 0);
      }
    },
  };
  return source;
}

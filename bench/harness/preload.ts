// Loads many keys fast, over gRPC: transactions of up to 128 puts (etcd's default --max-txn-ops),
// several in flight on several connections. Used to fill the key space the read workloads read,
// the compare-and-put keys, and the `dataset` workload's N keys.

import { KvConnection } from './grpc.js';
import { randomValue } from './keys.js';
import { Prng } from '../../src/util/prng.js';

export interface LoadKeysOptions {
  readonly endpoints: readonly string[];
  /** Keys 0 .. count-1. */
  readonly count: number;
  readonly keyAt: (i: number) => Buffer;
  readonly valueBytes: number;
  readonly seed: number;
  readonly batch?: number;
  readonly inFlight?: number;
  /** Called with the number of keys loaded so far, after each batch. */
  readonly onProgress?: (loaded: number) => void;
}

export interface LoadKeysResult {
  keys: number;
  elapsedS: number;
  /** The revision each key was written at (all keys of one transaction share it). */
  revisionOf(i: number): number;
}

export async function loadKeys(o: LoadKeysOptions): Promise<LoadKeysResult> {
  const batch = o.batch ?? 128;
  const inFlight = o.inFlight ?? 16;
  const rand = new Prng(o.seed);
  // A pool of values: making 256 random bytes per key would cost more than sending them.
  const values = Array.from({ length: 64 }, () => randomValue(rand, o.valueBytes));
  const conns = Array.from({ length: Math.min(4, inFlight) }, (_, i) => new KvConnection(o.endpoints[i % o.endpoints.length]!));
  const batches = Math.ceil(o.count / batch);
  const revisions = new Float64Array(batches);
  let nextBatch = 0;
  let loaded = 0;
  const t0 = performance.now();
  try {
    await Promise.all(conns.map((c) => c.ready(10_000)));
    const worker = async (w: number): Promise<void> => {
      const conn = conns[w % conns.length]!;
      for (let b = nextBatch++; b < batches; b = nextBatch++) {
        const pairs = [];
        for (let i = b * batch; i < Math.min(o.count, (b + 1) * batch); i++) pairs.push({ key: o.keyAt(i), value: values[i % values.length]! });
        revisions[b] = await conn.putMany(pairs);
        loaded += pairs.length;
        o.onProgress?.(loaded);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  } finally {
    for (const c of conns) c.close();
  }
  return { keys: o.count, elapsedS: (performance.now() - t0) / 1000, revisionOf: (i) => revisions[Math.floor(i / batch)]! };
}

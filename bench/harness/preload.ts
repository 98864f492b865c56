// Loads many keys fast, over gRPC: transactions of up to 128 puts (etcd's default --max-txn-ops),
// several in flight on several connections. Used to fill the key space the read workloads read,
// the compare-and-put keys, and the `dataset` workload's N keys. On a range-mode target a
// transaction must stay within one region, so batches end at the region boundaries (`splitKeys`).

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
  /** Keys no batch may straddle: a batch holds keys of one interval between them. */
  readonly splitKeys?: readonly Buffer[];
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
  const starts = batchStarts(o, batch);
  const batches = starts.length - 1;
  const revisions = new Float64Array(batches);
  const batchOf = new Int32Array(o.count);
  for (let b = 0; b < batches; b++) batchOf.fill(b, starts[b]!, starts[b + 1]!);
  let nextBatch = 0;
  let loaded = 0;
  const t0 = performance.now();
  try {
    await Promise.all(conns.map((c) => c.ready(10_000)));
    const worker = async (w: number): Promise<void> => {
      const conn = conns[w % conns.length]!;
      for (let b = nextBatch++; b < batches; b = nextBatch++) {
        const pairs = [];
        for (let i = starts[b]!; i < starts[b + 1]!; i++) pairs.push({ key: o.keyAt(i), value: values[i % values.length]! });
        revisions[b] = await conn.putMany(pairs);
        loaded += pairs.length;
        o.onProgress?.(loaded);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  } finally {
    for (const c of conns) c.close();
  }
  return { keys: o.count, elapsedS: (performance.now() - t0) / 1000, revisionOf: (i) => revisions[batchOf[i]!]! };
}

/** Where batches start, and `count` last: every `batch` keys, and at every key a split key bounds. */
function batchStarts(o: LoadKeysOptions, batch: number): number[] {
  const splits = o.splitKeys ?? [];
  // The interval of a key among the split keys: how many split keys are <= it.
  const interval = (key: Buffer): number => {
    let lo = 0;
    let hi = splits.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(splits[mid]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const starts: number[] = [];
  let start = 0;
  let startInterval = -1;
  for (let i = 0; i < o.count; i++) {
    const k = splits.length > 0 ? interval(o.keyAt(i)) : 0;
    if (i === 0 || i - start >= batch || k !== startInterval) {
      starts.push(i);
      start = i;
      startInterval = k;
    }
  }
  starts.push(o.count);
  return starts;
}

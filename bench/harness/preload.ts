// Loads many keys fast, over gRPC: transactions of up to 128 puts (etcd's default --max-txn-ops),
// several in flight on several connections. Used to fill the key space the read workloads read,
// the compare-and-put keys, and the `dataset` workload's N keys. On a range-mode target a
// transaction must stay within one region, so batches end at the region boundaries (`splitKeys`).
// On a hash-mode target a transaction must stay within one slot group, and neighbouring keys are
// scattered over every group: the keys are bucketed by their slot's group (`slotGroups`, from
// PD's directory), in index order within a bucket, and each bucket is cut into batches.

import { KvConnection } from './grpc.js';
import { randomValue } from './keys.js';
import { Prng } from '../../src/util/prng.js';
import { slotOf } from '../../src/router/slots.js';

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
  /** Hash mode: the group of every slot (sharded.ts, `slotGroupTable`); a batch holds keys of one group. */
  readonly slotGroups?: Int32Array;
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
  // Batch b is the keys order[starts[b]] .. order[starts[b + 1] - 1].
  const { order, starts } = o.slotGroups ? groupBatches(o, o.slotGroups, batch) : { order: undefined, starts: batchStarts(o, batch) };
  const indexAt = order ? (j: number) => order[j]! : (j: number) => j;
  const batches = starts.length - 1;
  const revisions = new Float64Array(batches);
  const batchOf = new Int32Array(o.count);
  for (let b = 0; b < batches; b++) for (let j = starts[b]!; j < starts[b + 1]!; j++) batchOf[indexAt(j)] = b;
  let nextBatch = 0;
  let loaded = 0;
  const t0 = performance.now();
  try {
    await Promise.all(conns.map((c) => c.ready(10_000)));
    const worker = async (w: number): Promise<void> => {
      const conn = conns[w % conns.length]!;
      for (let b = nextBatch++; b < batches; b = nextBatch++) {
        const pairs = [];
        for (let j = starts[b]!; j < starts[b + 1]!; j++) {
          const i = indexAt(j);
          pairs.push({ key: o.keyAt(i), value: values[i % values.length]! });
        }
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

/**
 * Hash mode: the key indices bucketed by their slot's group (ascending within a bucket), each
 * bucket cut into batches of at most `batch` keys, the batches taken from the buckets in turn (so
 * that the batches in flight go to every group, not one group after another); and where each
 * batch starts in that order.
 */
function groupBatches(o: LoadKeysOptions, slotGroups: Int32Array, batch: number): { order: Int32Array; starts: number[] } {
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < o.count; i++) {
    const g = slotGroups[slotOf(o.keyAt(i))]!;
    let b = buckets.get(g);
    if (!b) buckets.set(g, (b = []));
    b.push(i);
  }
  const lists = [...buckets.keys()].sort((a, b) => a - b).map((g) => buckets.get(g)!);
  const order = new Int32Array(o.count);
  const starts: number[] = [];
  let j = 0;
  for (let at = 0; j < o.count; at += batch) {
    for (const list of lists) {
      if (at >= list.length) continue;
      starts.push(j);
      for (let k = at; k < Math.min(at + batch, list.length); k++) order[j++] = list[k]!;
    }
  }
  starts.push(o.count);
  return { order, starts };
}

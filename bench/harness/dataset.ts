// Memory and data-set growth: loads N keys of 256 B (transactions of 128 puts over gRPC), then
// reports the servers' private resident memory (RssAnon) and database size; then writes one hot
// key R times (R revisions of one key in the history) and measures, one request at a time, the
// latency of a point read of the hot key, of a random loaded key, and of a 100-key range.

import { runGrpcLoad } from './loadgen.js';
import type { LoadResult } from './load.js';
import type { Op } from './ops.js';
import { prefixEnd, randomValue, uniformChooser, valueBytes } from './keys.js';
import { loadKeys } from './preload.js';
import { memory } from './procstat.js';
import type { Target } from './targets.js';
import { Prng } from '../../src/util/prng.js';

export interface DatasetOptions {
  readonly keys: number;
  readonly hotRevisions: number;
  /** Length of each latency measurement after the load. */
  readonly readDurationMs: number;
  readonly seed: number;
  /** Range mode: region boundaries the load's transactions must not straddle. */
  readonly splitKeys?: readonly Buffer[];
  /** Hash mode: the group of every slot; the load's transactions hold keys of one group. */
  readonly slotGroups?: Int32Array;
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

export interface MemorySnapshot {
  /** Summed over members. */
  rssAnonBytes: number;
  vmHwmBytes: number;
  diskBytes: number | undefined;
}

export interface DatasetResult {
  keys: number;
  loadS: number;
  keysPerS: number;
  before: MemorySnapshot;
  afterLoad: MemorySnapshot;
  hotRevisions: number;
  hotPutsPerS: number;
  afterHot: MemorySnapshot;
  /** c=1 latency after the load and the hot key's revisions. */
  reads: { name: string; result: LoadResult }[];
}

export const datasetPrefix = Buffer.from('bench/d/');
export const datasetKey = (i: number): Buffer => Buffer.from(`bench/d/${String(i).padStart(10, '0')}`);
const hotKey = Buffer.from('bench/dhot');

export function snapshot(t: Target): MemorySnapshot {
  let rssAnonBytes = 0;
  let vmHwmBytes = 0;
  for (const pid of t.pids()) {
    const m = memory(pid);
    rssAnonBytes += m?.rssAnonBytes ?? 0;
    vmHwmBytes += m?.vmHwmBytes ?? 0;
  }
  return { rssAnonBytes, vmHwmBytes, diskBytes: t.diskBytes() };
}

export async function runDataset(t: Target, o: DatasetOptions): Promise<DatasetResult> {
  const before = snapshot(t);
  const load = await loadKeys({
    endpoints: t.endpoints,
    count: o.keys,
    keyAt: datasetKey,
    valueBytes,
    seed: o.seed,
    ...(o.splitKeys ? { splitKeys: o.splitKeys } : {}),
    ...(o.slotGroups ? { slotGroups: o.slotGroups } : {}),
    onProgress: (n) => o.onProgress?.('load', n, o.keys),
  });
  const afterLoad = snapshot(t);

  const rand = new Prng(o.seed + 1);
  const value = randomValue(rand, valueBytes);
  const hot = await runGrpcLoad({
    endpoints: t.endpoints,
    concurrency: 64,
    connections: 4,
    durationMs: 3_600_000,
    requestsMax: o.hotRevisions,
    source: { wantsResults: false, next: () => ({ kind: 'put', key: hotKey, value }) },
    onProgress: (n) => o.onProgress?.('hot key', n, o.hotRevisions),
  });
  if (hot.errors > 0) throw new Error(`dataset: ${hot.errors} hot-key puts failed: ${hot.firstError}`);
  const afterHot = snapshot(t);

  const keys = uniformChooser(o.keys, rand);
  const end = prefixEnd(datasetPrefix);
  const reads: DatasetResult['reads'] = [];
  const measure = async (name: string, next: () => Op) => {
    const result = await runGrpcLoad({
      endpoints: t.endpoints,
      concurrency: 1,
      connections: 1,
      durationMs: o.readDurationMs,
      source: { wantsResults: false, next },
      onProgress: (n) => o.onProgress?.(name, n, 0),
    });
    reads.push({ name, result });
  };
  await measure('get hot key', () => ({ kind: 'range', key: hotKey, serializable: false }));
  await measure('get random key', () => ({ kind: 'range', key: datasetKey(keys.next()), serializable: false }));
  await measure('range 100 keys', () => ({ kind: 'range', key: datasetKey(keys.next()), rangeEnd: end, limit: 100, serializable: false }));

  return {
    keys: o.keys,
    loadS: load.elapsedS,
    keysPerS: o.keys / load.elapsedS,
    before,
    afterLoad,
    hotRevisions: o.hotRevisions,
    hotPutsPerS: hot.rps,
    afterHot,
    reads,
  };
}

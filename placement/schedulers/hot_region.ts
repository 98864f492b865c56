// Hot regions: a region whose leader reports writeQps >= hotWriteQpsMin or readQps >=
// hotReadQpsMin. Reads and writes both land on the leader, so load is a leader's business:
//
//   hot and at least hotSplitBytesMin big -> SplitRegion 'approximate' (two leaders' worth of
//     work on the same stores; balance then spreads them);
//   hot and smaller                       -> move leaders off the hottest store to another of
//     the region's voters, if that lowers the hottest store's load without making the target
//     as hot as the source was.
//
// Of the possible moves off the hottest store, the one leaving the lowest peak wins. Worked
// example: leader load (read + write qps of the regions each store leads) {1: 9000, 2: 1000,
// 3: 3000}; store 1 leads region 5 (5000 qps) and region 6 (4000 qps), both on stores 1, 2, 3
// and too small to split. Moving 5 to store 2 peaks at max(4000, 6000) = 6000; moving 6 to
// store 2 at max(5000, 5000) = 5000: region 6's leader moves to 2 -> {5000, 5000, 3000}.
// A next move in the same round starts from these loads. Stores 1 and 2 tie as hottest;
// nothing off store 1 helps (region 5 to store 3 would peak at 8000), so it comes off store 2.
//
// NB: hotSplitBytesMin must exceed twice regionMergeBytesMax (config.ts), or the halves of a
// hot split, once they cool down, would be merged back and split again.

import type { RegionId, StoreId } from '../../src/cluster/region.js';
import type { ClusterSnapshot, RegionInfo } from '../cluster.js';
import { newOperator, type Operator } from '../operator.js';
import { isHealthy, isHot, leaderStoreId, pickBest, upStores } from './candidates.js';
import type { ScheduleConfig } from './config.js';
import type { ScheduleEnv } from './scheduler.js';

export function hotRegion(snapshot: ClusterSnapshot, c: ScheduleConfig, env: ScheduleEnv): Operator[] {
  const qps = (info: RegionInfo) => info.readQps + info.writeQps;
  const hot = [...snapshot.regions.values()]
    .filter((info) => isHot(info, c) && !env.isBusy(info.region.id) && isHealthy(snapshot, info, c))
    .sort((a, b) => qps(b) - qps(a) || a.region.id - b.region.id);

  const ops: Operator[] = [];
  const small: RegionInfo[] = [];
  for (const info of hot) {
    if (info.approximateBytes >= c.hotSplitBytesMin && info.region.slots === undefined) {
      ops.push(
        newOperator({
          info,
          kind: 'hot-region',
          desc: `split hot region ${info.region.id} (${qps(info)} qps)`,
          steps: [{ type: 'SplitRegion', keys: 'approximate' }],
          nowMs: snapshot.nowMs,
          timeouts: c.timeouts,
        }),
      );
    } else {
      small.push(info);
    }
  }

  const load = new Map<StoreId, number>(upStores(snapshot).map((s) => [s.id, 0]));
  for (const info of snapshot.regions.values()) {
    const s = leaderStoreId(info);
    if (s !== undefined && load.has(s)) load.set(s, load.get(s)! + qps(info));
  }
  const moved = new Set<RegionId>();
  for (let n = 0; n < c.balanceBatchMax; n++) {
    const move = bestLeaderMove(small.filter((info) => !moved.has(info.region.id)), load, env, qps);
    if (move === undefined) break;
    const { info, from, to } = move;
    const q = qps(info);
    moved.add(info.region.id);
    load.set(from, load.get(from)! - q);
    load.set(to, load.get(to)! + q);
    ops.push(
      newOperator({
        info,
        kind: 'hot-region',
        desc: `move leader of hot region ${info.region.id} (${q} qps) from store ${from} to store ${to}`,
        steps: [{ type: 'TransferLeader', toStore: to }],
        nowMs: snapshot.nowMs,
        timeouts: c.timeouts,
      }),
    );
  }
  return ops;
}

/**
 * Of the leader moves off the hottest stores (all those tied at the top), the one whose peak,
 * max(source - q, target + q), is lowest; only moves with a peak under the source's load count.
 */
function bestLeaderMove(
  candidates: readonly RegionInfo[],
  load: ReadonlyMap<StoreId, number>,
  env: ScheduleEnv,
  qps: (info: RegionInfo) => number,
): { info: RegionInfo; from: StoreId; to: StoreId } | undefined {
  let max = -Infinity;
  for (const l of load.values()) max = Math.max(max, l);
  const moves: { info: RegionInfo; from: StoreId; to: StoreId; peak: number }[] = [];
  for (const info of candidates) {
    const from = leaderStoreId(info)!;
    if (load.get(from) !== max) continue;
    const q = qps(info);
    for (const p of info.region.peers) {
      if (p.role !== 'voter' || p.storeId === from || !load.has(p.storeId) || !env.storeHasRoom(p.storeId)) continue;
      const peak = Math.max(max - q, load.get(p.storeId)! + q);
      if (peak < max) moves.push({ info, from, to: p.storeId, peak });
    }
  }
  return pickBest(moves, (a, b) => a.peak - b.peak, env.rand);
}

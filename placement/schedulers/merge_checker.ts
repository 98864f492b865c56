// Merge checker: two adjacent regions, both at or below regionMergeBytesMax and
// regionMergeKeysMax, with their peers on the same set of stores, merge: the smaller into its
// neighbour (fewer bytes, then fewer keys; on a tie the right one into the left).
//
// Worked example, limit 20 MiB, all on stores {1, 2, 3}:
//   [a, c) 5 MiB | [c, f) 2 MiB | [f, k) 30 MiB
//   -> [c, f) merges into [a, c) (the pair's smaller); [f, k) is too big to take part.
// Each region takes part in one merge per round, so a chain of small regions shrinks pairwise.
//
// Left for later: regions on different store sets are not first aligned (tikv/pd moves peers
// so they match); they just do not merge. Hot regions do not merge (hot_region may have split
// them on purpose).

import { compareKeys, type Region, type RegionId } from '../../src/cluster/region.js';
import type { ClusterSnapshot, RegionInfo } from '../cluster.js';
import { newOperator, type Operator } from '../operator.js';
import { isHealthy, isHot } from './candidates.js';
import type { ScheduleConfig } from './config.js';
import type { ScheduleEnv } from './scheduler.js';

export function mergeChecker(snapshot: ClusterSnapshot, c: ScheduleConfig, env: ScheduleEnv): Operator[] {
  const small = (info: RegionInfo) =>
    info.approximateBytes <= c.regionMergeBytesMax &&
    info.approximateKeys <= c.regionMergeKeysMax &&
    !isHot(info, c) &&
    !env.isBusy(info.region.id) &&
    isHealthy(snapshot, info, c);
  const list = snapshot.regionsInKeyOrder;
  const used = new Set<RegionId>();
  const ops: Operator[] = [];
  for (let i = 0; i + 1 < list.length; i++) {
    const left = list[i]!;
    const right = list[i + 1]!;
    if (used.has(left.region.id) || !adjacent(left.region, right.region)) continue;
    if (!small(left) || !small(right) || !sameStores(left.region, right.region)) continue;
    const rightIsSmaller =
      right.approximateBytes < left.approximateBytes ||
      (right.approximateBytes === left.approximateBytes && right.approximateKeys <= left.approximateKeys);
    const [source, target] = rightIsSmaller ? [right, left] : [left, right];
    used.add(left.region.id);
    used.add(right.region.id);
    ops.push(
      newOperator({
        info: source,
        kind: 'merge',
        desc: `merge region ${source.region.id} into region ${target.region.id}`,
        steps: [{ type: 'MergeRegion', sourceId: source.region.id, targetId: target.region.id, targetEpoch: { ...target.region.epoch } }],
        nowMs: snapshot.nowMs,
        timeouts: c.timeouts,
      }),
    );
  }
  return ops;
}

function adjacent(left: Readonly<Region>, right: Readonly<Region>): boolean {
  return left.end.length !== 0 && compareKeys(left.end, right.start) === 0;
}

function sameStores(a: Readonly<Region>, b: Readonly<Region>): boolean {
  if (a.peers.length !== b.peers.length) return false;
  const stores = new Set(a.peers.map((p) => p.storeId));
  return b.peers.every((p) => stores.has(p.storeId));
}

// Runs a merge (regions/peer/admin/merge.ts) from the store that leads the source region:
//
//   1. check: adjacent, peers on the same stores with the same roles, and on every one of those
//      stores both peers on the same lane (their keys must be in the same tablet: a merge moves
//      no data);
//   2. prepare-merge at the source: it freezes (confVer and version + 1);
//   3. wait until every store's source peer applied it (asked of each store);
//   4. commit-merge at the target: it takes the source's range; each store drops its source peer
//      as its target peer applies the commit.
// If the target changed in between (its epoch moved for another reason), the source rolls back.
// Never after the target took the range: a source found frozen by a later leader is finished
// the same way (resumeMerges), and rolled back only if the target does not cover it.

import type { Region, RegionId, StoreId } from '../../src/cluster/region.js';
import { compareKeys } from '../../src/cluster/region.js';
import type { LocalRegionState, RegionOp } from '../../src/cluster/region_ops.js';
import type { LaneHost } from '../lane/host.js';
import { adjacency, storesMismatch } from '../peer/admin/merge.js';

export interface MergerDeps {
  lanes: LaneHost;
  /** An op at the region's leader, wherever it is (the router, with its retries). */
  callRegion(id: RegionId, op: RegionOp): Promise<unknown>;
  /** An op at a given store's peer of the region, leader or not. */
  callOnStore(store: StoreId, region: Region, op: RegionOp): Promise<unknown>;
  log(line: string): void;
}

/** How long the merger waits for every source peer to freeze. */
const frozenWaitMs = 30_000;
const running = new Set<RegionId>();

function localLeader(deps: MergerDeps, id: RegionId): Region {
  const r = deps.lanes.regions.get(id);
  if (!r || !r.isLeader) throw new Error(`region ${id} is not led by this store`);
  return r.region;
}

function covers(outer: Region, inner: Region): boolean {
  const startOk = compareKeys(outer.start, inner.start) <= 0;
  const endOk = outer.end.length === 0 || (inner.end.length !== 0 && compareKeys(inner.end, outer.end) <= 0);
  return startOk && endOk;
}

export async function mergeRegions(deps: MergerDeps, source: RegionId, target: RegionId): Promise<void> {
  if (running.has(source)) throw new Error(`region ${source} is already merging`);
  running.add(source);
  try {
    const src = localLeader(deps, source);
    const tgt = ((await deps.callRegion(target, { op: 'localState' })) as LocalRegionState).region;
    if (!adjacency(src, tgt)) throw new Error(`regions ${source} and ${target} are not adjacent`);
    const why = storesMismatch(src, tgt);
    if (why) throw new Error(`regions ${source} and ${target} are not on the same stores: ${why}`);
    for (const p of src.peers) {
      const [a, b] = (await Promise.all([deps.callOnStore(p.storeId, src, { op: 'localState' }), deps.callOnStore(p.storeId, tgt, { op: 'localState' })])) as LocalRegionState[];
      if (a!.lane !== b!.lane) throw new Error(`regions ${source} and ${target} are on different lanes of store ${p.storeId}`);
    }
    await deps.lanes.call(source, src.epoch, { op: 'prepareMerge', target: tgt });
    await commit(deps, source, tgt);
  } finally {
    running.delete(source);
  }
}

/** Steps 3 and 4 (or the rollback), for a source frozen to merge into `tgt`. */
async function commit(deps: MergerDeps, source: RegionId, tgt: Region): Promise<void> {
  const frozen = localLeader(deps, source);
  const deadline = Date.now() + frozenWaitMs;
  for (const p of frozen.peers) {
    for (;;) {
      const st = (await deps.callOnStore(p.storeId, frozen, { op: 'localState' }).catch(() => undefined)) as LocalRegionState | undefined;
      // Frozen by THIS prepare: the same target and the exact epoch the prepare gave the source
      // (a lagging peer may still hold an earlier attempt that was rolled back).
      if (st?.mergingInto?.id === tgt.id && st.region.epoch.version === frozen.epoch.version && st.region.epoch.confVer === frozen.epoch.confVer) break;
      if (Date.now() > deadline) throw new Error(`the peer of region ${source} on store ${p.storeId} did not freeze in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    await deps.callRegion(tgt.id, { op: 'commitMerge', source: frozen, target: tgt });
    deps.log(`flotilla: merged region ${source} into region ${tgt.id}`);
  } catch (err) {
    const now = ((await deps.callRegion(tgt.id, { op: 'localState' }).catch(() => undefined)) as LocalRegionState | undefined)?.region;
    if (now && covers(now, frozen)) return; // the target took it (the answer was lost)
    if (now && (now.epoch.version !== tgt.epoch.version || now.epoch.confVer !== tgt.epoch.confVer)) {
      // The target changed under the plan: the commit can never apply. Thaw the source.
      const current = localLeader(deps, source);
      await deps.lanes.call(source, current.epoch, { op: 'rollbackMerge' });
      deps.log(`flotilla: merge of region ${source} into ${tgt.id} rolled back: the target changed`);
      return;
    }
    throw err;
  }
}

/** Finishes merges left half done on sources this store leads now. */
export function resumeMerges(deps: MergerDeps): void {
  for (const [id, r] of deps.lanes.regions) {
    if (!r.isLeader || !r.mergingInto || running.has(id)) continue;
    running.add(id);
    void commit(deps, id, r.mergingInto)
      .catch((err: Error) => deps.log(`flotilla: merge of region ${id}: ${err.message}; retried later`))
      .finally(() => running.delete(id));
  }
}

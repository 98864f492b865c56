// The snapshot as it will look once the operators in flight are done, for balancing. Without
// it a balance scheduler sees the same most-loaded store every round until its first move
// finishes, and keeps piling moves onto it (tikv/pd calls this operator influence).
//
// Only store counts change; regions stay as reported. Worked example: store 1 holds 10 regions,
// store 4 holds 2; one move of a region from 1 to 4 is in flight, its AddLearner not yet done:
// the view shows store 1 with 9 and store 4 with 3, and balance looks at the next-fullest pair.

import type { StoreId } from '../../src/cluster/region.js';
import { leaderPeer, type ClusterSnapshot, type StoreInfo } from '../cluster.js';
import type { Operator } from '../operator.js';

interface Delta {
  regionCount: number;
  leaderCount: number;
  regionBytes: number;
}

export function withInfluence(snapshot: ClusterSnapshot, ops: readonly Operator[]): ClusterSnapshot {
  if (ops.length === 0) return snapshot;
  const deltas = new Map<StoreId, Delta>();
  const add = (id: StoreId, d: Partial<Delta>) => {
    let x = deltas.get(id);
    if (x === undefined) deltas.set(id, (x = { regionCount: 0, leaderCount: 0, regionBytes: 0 }));
    x.regionCount += d.regionCount ?? 0;
    x.leaderCount += d.leaderCount ?? 0;
    x.regionBytes += d.regionBytes ?? 0;
  };
  for (const op of ops) {
    const info = snapshot.regions.get(op.regionId);
    if (info === undefined) continue;
    const bytes = info.approximateBytes;
    let leaderStore = leaderPeer(info)?.storeId;
    for (let i = op.currentStep; i < op.steps.length; i++) {
      const s = op.steps[i]!;
      switch (s.type) {
        case 'AddLearner':
          add(s.storeId, { regionCount: 1, regionBytes: bytes });
          break;
        case 'RemovePeer':
          add(s.storeId, { regionCount: -1, regionBytes: -bytes });
          break;
        case 'TransferLeader':
          if (leaderStore !== undefined) add(leaderStore, { leaderCount: -1 });
          add(s.toStore, { leaderCount: 1 });
          leaderStore = s.toStore;
          break;
        case 'SplitRegion':
          // Two regions of half the size on the same stores.
          for (const p of info.region.peers) add(p.storeId, { regionCount: 1, leaderCount: p.id === info.leader ? 1 : 0 });
          break;
        case 'MergeRegion':
          for (const p of info.region.peers) add(p.storeId, { regionCount: -1, leaderCount: p.id === info.leader ? -1 : 0 });
          break;
        case 'PromoteLearner':
          break;
      }
    }
  }
  const stores = new Map<StoreId, StoreInfo>();
  for (const [id, s] of snapshot.stores) {
    const d = deltas.get(id);
    stores.set(
      id,
      d === undefined
        ? s
        : Object.freeze({
            ...s,
            regionCount: s.regionCount + d.regionCount,
            leaderCount: s.leaderCount + d.leaderCount,
            regionBytes: s.regionBytes + d.regionBytes,
            availableBytes: s.availableBytes - d.regionBytes,
          }),
    );
  }
  return Object.freeze({ ...snapshot, stores });
}

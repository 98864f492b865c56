// The steps that move one peer of a region from one store to another, used by balance_region
// and replica_repair. The new peer comes in as a learner first, so it catches up (a snapshot,
// then the log) without counting in the quorum; only then is it promoted and the old one
// removed. The voter count goes 3 -> 4 -> 3 and never below, and the quorum never waits on a
// peer that is still catching up.
//
//   AddLearner{to, peer} -> PromoteLearner{peer} -> [TransferLeader{other voter}] -> RemovePeer{from}
//
// The leader transfer comes in only when the peer leaving is the leader: a leader does not
// remove itself. It goes to the remaining voter whose store leads the fewest regions.

import type { Rand } from '../../src/util/prng.js';
import type { PeerId, StoreId } from '../../src/cluster/region.js';
import type { ClusterSnapshot, RegionInfo } from '../cluster.js';
import type { OperatorStep } from '../operator.js';
import { leaderStoreId, pickBest } from './candidates.js';

export function movePeerSteps(
  snapshot: ClusterSnapshot,
  info: RegionInfo,
  from: StoreId,
  to: StoreId,
  peerId: PeerId,
  rand: Rand,
): OperatorStep[] {
  const steps: OperatorStep[] = [
    { type: 'AddLearner', storeId: to, peerId },
    { type: 'PromoteLearner', peerId },
  ];
  if (leaderStoreId(info) === from) {
    const voterStores = info.region.peers.filter((p) => p.role === 'voter' && p.storeId !== from).map((p) => p.storeId);
    voterStores.push(to);
    const up = voterStores.filter((id) => snapshot.stores.get(id)?.state === 'up');
    const leaders = (id: StoreId) => snapshot.stores.get(id)?.leaderCount ?? 0;
    // `to` is up (it just took a peer), so there is always a choice.
    const next = pickBest(up, (a, b) => leaders(a) - leaders(b), rand)!;
    steps.push({ type: 'TransferLeader', toStore: next });
  }
  steps.push({ type: 'RemovePeer', storeId: from });
  return steps;
}

// Replica repair (tikv/pd's replica checker): every region back to `replicas` voters on live
// stores. Most urgent first: regions with the fewest live voters, so that when store limits
// leave room for only a few moves, the regions nearest to losing their quorum get them.
//
// One operator per region, by the first case that applies:
//
//   a voter on a down/tombstone store   AddLearner{best} -> Promote -> RemovePeer{dead}
//     (a live learner of the region is promoted instead of adding one; with enough live
//     voters already, the dead one is just removed)
//     (no store can take it: wait; the dead voter stays, as removing it would leave fewer voters)
//   a learner on a down/tombstone store RemovePeer{dead}
//   a learner on a live store           Promote if voters are short, else RemovePeer
//     (no operator holds the region, so it was left by a cancelled move)
//   fewer voters than replicas          AddLearner{best} -> Promote
//   more voters than replicas           RemovePeer{a follower on the store with most regions}
//
// Worked example: stores 1, 2, 3 up, 4 down, 5 up holding region 9 already; region 9 has
// voters on 1 (leader), 4 and 5. Candidates for a new peer: up, no peer of region 9 -> only 2
// and 3; store 2 holds fewer regions, so: AddLearner{2} -> Promote -> RemovePeer{4}.
//
// A region with no leader on an up store is left alone: nobody would carry the steps out, and
// Raft elects a new leader among the live voters first.

import type { RegionPeer, StoreId } from '../../src/cluster/region.js';
import { leaderPeer, storeIsGone, storeIsUp, votersOf, type ClusterSnapshot, type RegionInfo } from '../cluster.js';
import { newOperator, type Operator, type OperatorStep } from '../operator.js';
import { nextPeerId, pickBest, pickStoreForNewPeer } from './candidates.js';
import type { ScheduleConfig } from './config.js';
import { movePeerSteps } from './move_steps.js';
import type { ScheduleEnv } from './scheduler.js';

export function replicaRepair(snapshot: ClusterSnapshot, c: ScheduleConfig, env: ScheduleEnv): Operator[] {
  const liveVoters = (info: RegionInfo) => votersOf(info.region).filter((p) => !storeIsGone(snapshot, p.storeId)).length;
  const regions = [...snapshot.regions.values()]
    .filter((info) => !env.isBusy(info.region.id))
    .sort((a, b) => liveVoters(a) - liveVoters(b) || a.region.id - b.region.id);
  const ops: Operator[] = [];
  for (const info of regions) {
    const leader = leaderPeer(info);
    if (leader === undefined || !storeIsUp(snapshot, leader.storeId)) continue;
    const plan = planRepair(snapshot, info, c, env);
    if (plan !== undefined) {
      ops.push(newOperator({ info, kind: 'replica-repair', desc: plan.desc, steps: plan.steps, nowMs: snapshot.nowMs, timeouts: c.timeouts }));
    }
  }
  return ops;
}

interface Plan {
  steps: OperatorStep[];
  desc: string;
}

function planRepair(snapshot: ClusterSnapshot, info: RegionInfo, c: ScheduleConfig, env: ScheduleEnv): Plan | undefined {
  const r = info.region;
  const voters = votersOf(r);
  const dead = r.peers.filter((p) => storeIsGone(snapshot, p.storeId));
  const live = (p: RegionPeer) => !storeIsGone(snapshot, p.storeId);
  const liveVoters = voters.filter(live).length;

  const deadVoter = dead.find((p) => p.role === 'voter');
  if (deadVoter !== undefined) {
    if (liveVoters >= c.replicas) {
      return { steps: [{ type: 'RemovePeer', storeId: deadVoter.storeId }], desc: `remove down voter of region ${r.id} on store ${deadVoter.storeId}` };
    }
    // A learner left by a cancelled move is already caught up (or catching up): use it.
    const spare = r.peers.find((p) => p.role === 'learner' && storeIsUp(snapshot, p.storeId));
    if (spare !== undefined) {
      return {
        steps: [
          { type: 'PromoteLearner', peerId: spare.id },
          { type: 'RemovePeer', storeId: deadVoter.storeId },
        ],
        desc: `replace down voter of region ${r.id} on store ${deadVoter.storeId} with its learner on store ${spare.storeId}`,
      };
    }
    const to = pickStoreForNewPeer(snapshot, info, c, env);
    const peerId = to === undefined ? undefined : nextPeerId(env);
    if (to === undefined || peerId === undefined) return undefined;
    return {
      steps: movePeerSteps(snapshot, info, deadVoter.storeId, to.id, peerId, env.rand),
      desc: `replace down voter of region ${r.id} on store ${deadVoter.storeId} with store ${to.id}`,
    };
  }
  const deadLearner = dead.find((p) => p.role === 'learner');
  if (deadLearner !== undefined) {
    return { steps: [{ type: 'RemovePeer', storeId: deadLearner.storeId }], desc: `remove down learner of region ${r.id} on store ${deadLearner.storeId}` };
  }
  const learner = r.peers.find((p) => p.role === 'learner' && live(p));
  if (learner !== undefined) {
    if (voters.length < c.replicas && storeIsUp(snapshot, learner.storeId)) {
      return { steps: [{ type: 'PromoteLearner', peerId: learner.id }], desc: `promote learner of region ${r.id} on store ${learner.storeId}` };
    }
    if (voters.length >= c.replicas) {
      return { steps: [{ type: 'RemovePeer', storeId: learner.storeId }], desc: `remove stray learner of region ${r.id} on store ${learner.storeId}` };
    }
  }
  if (voters.length < c.replicas) {
    const to = pickStoreForNewPeer(snapshot, info, c, env);
    const peerId = to === undefined ? undefined : nextPeerId(env);
    if (to === undefined || peerId === undefined) return undefined;
    return {
      steps: [
        { type: 'AddLearner', storeId: to.id, peerId },
        { type: 'PromoteLearner', peerId },
      ],
      desc: `add a voter to region ${r.id} on store ${to.id}`,
    };
  }
  if (voters.length > c.replicas) {
    const followers = voters.filter((p) => p.id !== info.leader && env.storeHasRoom(p.storeId));
    const regionsOn = (id: StoreId) => snapshot.stores.get(id)?.regionCount ?? 0;
    const victim = pickBest(followers, (a, b) => regionsOn(b.storeId) - regionsOn(a.storeId), env.rand);
    if (victim === undefined) return undefined;
    return { steps: [{ type: 'RemovePeer', storeId: victim.storeId }], desc: `remove extra voter of region ${r.id} on store ${victim.storeId}` };
  }
  return undefined;
}

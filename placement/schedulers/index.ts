// The scheduling round: run the enabled schedulers in a fixed order, most urgent first, and
// keep only operators that fit the limits. Each region gets at most one operator at a time:
// regions held by an operator in flight are skipped, and so is an operator for a region an
// earlier scheduler claimed this round.
//
//   order            why
//   replica-repair   a region short of live voters is one failure from losing its quorum
//   split-checker    an oversized region makes every later move (a snapshot) slow
//   hot-region       load first, so balance works on the regions hot_region leaves alone
//   balance-leader   cheap (no data moves)
//   balance-region   moves data
//   merge-checker    least urgent; it also needs the regions free of every other operator
//
// Limits: operatorsInFlightMax in all, and storeOperatorsInFlightMax per store (counting each
// operator's unfinished steps that add or remove a peer there or move a leader there). Stores
// that are down or tombstoned do not count: removing a peer from a dead store costs it nothing.
// Every scheduler sees the snapshot with the influence of the operators already in flight or
// accepted this round (influence.ts).

import type { Rand } from '../../src/util/prng.js';
import { assert } from '../../src/util/assert.js';
import type { RegionId, StoreId } from '../../src/cluster/region.js';
import { storeIsGone, type ClusterSnapshot } from '../cluster.js';
import type { IdSource } from '../id_alloc.js';
import { operatorRegionIds, operatorStores, type Operator } from '../operator.js';
import { balanceLeader } from './balance_leader.js';
import { balanceRegion } from './balance_region.js';
import { validateScheduleConfig, type ScheduleConfig, type SchedulerName } from './config.js';
import { hotRegion } from './hot_region.js';
import { withInfluence } from './influence.js';
import { mergeChecker } from './merge_checker.js';
import { replicaRepair } from './replica_repair.js';
import type { Scheduler, ScheduleEnv } from './scheduler.js';
import { splitChecker } from './split_checker.js';

export const schedulerOrder: readonly (readonly [SchedulerName, Scheduler])[] = Object.freeze([
  ['replica-repair', replicaRepair],
  ['split-checker', splitChecker],
  ['hot-region', hotRegion],
  ['balance-leader', balanceLeader],
  ['balance-region', balanceRegion],
  ['merge-checker', mergeChecker],
] as const);

export interface RunEnv {
  rand: Rand;
  ids: IdSource;
  /** Operators in flight (OperatorController.inFlight()). */
  inFlight: readonly Operator[];
}

/** New operators for this round; none touches a region held by `inFlight` or by another. */
export function runSchedulers(snapshot: ClusterSnapshot, c: ScheduleConfig, env: RunEnv): Operator[] {
  validateScheduleConfig(c);
  const busy = new Set<RegionId>();
  const storeOps = new Map<StoreId, number>();
  const counted = (op: Operator) => operatorStores(op).filter((id) => !storeIsGone(snapshot, id));
  const hold = (op: Operator) => {
    for (const id of operatorRegionIds(op)) busy.add(id);
    for (const id of counted(op)) storeOps.set(id, (storeOps.get(id) ?? 0) + 1);
  };
  const roomOn = (id: StoreId) => storeIsGone(snapshot, id) || (storeOps.get(id) ?? 0) < c.storeOperatorsInFlightMax;
  for (const op of env.inFlight) {
    // The controller keeps one operator per region; two here would be its bug.
    assert(operatorRegionIds(op).every((id) => !busy.has(id)), `region ${op.regionId} has two operators in flight`);
    hold(op);
  }

  const scheduleEnv: ScheduleEnv = { rand: env.rand, ids: env.ids, isBusy: (id) => busy.has(id), storeHasRoom: roomOn };
  const accepted: Operator[] = [];
  let total = env.inFlight.length;
  for (const [name, scheduler] of schedulerOrder) {
    if (total >= c.operatorsInFlightMax) break;
    if (!c.enabled.includes(name)) continue;
    const view = withInfluence(snapshot, [...env.inFlight, ...accepted]);
    for (const op of scheduler(view, c, scheduleEnv)) {
      if (total >= c.operatorsInFlightMax) break;
      if (operatorRegionIds(op).some((id) => busy.has(id))) continue;
      if (!counted(op).every(roomOn)) continue;
      hold(op);
      accepted.push(op);
      total++;
    }
  }
  return accepted;
}

export { balanceLeader, balanceRegion, hotRegion, mergeChecker, replicaRepair, splitChecker };
export { withInfluence } from './influence.js';
export { movePeerSteps } from './move_steps.js';
export { balanceTolerance, PlacementConfigError, scheduleConfigDefault, validateScheduleConfig, type ScheduleConfig, type SchedulerName } from './config.js';
export type { Scheduler, ScheduleEnv } from './scheduler.js';

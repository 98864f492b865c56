// The operators in flight, at most one per region (a merge holds its target too). PD adds the
// runner's new operators, checks them all against each new snapshot (finished, cancelled, timed
// out are dropped and reported), and answers each region heartbeat with its current step.
//
//   const ctl = new OperatorController();
//   ctl.check(snapshot);                                   // -> events for finished / dropped ones
//   for (const op of runSchedulers(snapshot, cfg, { rand, ids, inFlight: ctl.inFlight() })) ctl.add(op);
//   reply.step = ctl.stepFor(region.id);                   // in the heartbeat reply

import { assert } from '../src/util/assert.js';
import type { RegionId } from '../src/cluster/region.js';
import type { ClusterSnapshot } from './cluster.js';
import { checkOperator, currentStep, operatorRegionIds, type Operator, type OperatorStatus, type OperatorStep } from './operator.js';

export interface OperatorEvent {
  op: Operator;
  status: Exclude<OperatorStatus, 'running'>;
  reason?: string;
}

export class OperatorController {
  /** Keyed by the operator's own region. */
  private readonly ops = new Map<RegionId, Operator>();
  /** Every region held by an operator (its own and a merge's target) -> the operator's region. */
  private readonly holders = new Map<RegionId, RegionId>();

  /** Adds an operator; the runner never hands over one for a region already held (asserted). */
  add(op: Operator): void {
    const ids = operatorRegionIds(op);
    for (const id of ids) assert(!this.holders.has(id), `region ${id} already has an operator in flight`);
    this.ops.set(op.regionId, op);
    for (const id of ids) this.holders.set(id, op.regionId);
  }

  inFlight(): Operator[] {
    return [...this.ops.values()];
  }

  /** The operator holding this region, if any (for a merge target: the merge on its source). */
  holding(regionId: RegionId): Operator | undefined {
    const owner = this.holders.get(regionId);
    return owner === undefined ? undefined : this.ops.get(owner);
  }

  /** The step to send in this region's heartbeat reply (a merge target is told nothing). */
  stepFor(regionId: RegionId): OperatorStep | undefined {
    const op = this.ops.get(regionId);
    return op === undefined ? undefined : currentStep(op);
  }

  /** Advances every operator against the snapshot; returns the ones that left the flight, and why. */
  check(snapshot: ClusterSnapshot): OperatorEvent[] {
    const events: OperatorEvent[] = [];
    for (const op of [...this.ops.values()]) {
      const c = checkOperator(op, snapshot);
      if (c.status === 'running') {
        this.ops.set(op.regionId, c.op);
        continue;
      }
      this.remove(op);
      events.push(c.reason === undefined ? { op: c.op, status: c.status } : { op: c.op, status: c.status, reason: c.reason });
    }
    return events;
  }

  /** Drops an operator without waiting for it (`ctl operator remove`, or a PD leader change). */
  remove(op: Operator): void {
    this.ops.delete(op.regionId);
    for (const id of operatorRegionIds(op)) this.holders.delete(id);
  }
}

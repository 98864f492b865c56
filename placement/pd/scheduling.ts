// PD's scheduling loop. On the PD leader, every scheduleIntervalMs, a round:
//
//   snapshot = buildClusterSnapshot(stores and regions as PdService last heard of them)
//   controller.check(snapshot)              finished, cancelled, timed-out operators leave
//   runSchedulers(snapshot, config, ...)    new operators, at most one per region
//   each operator's current step -> a RegionCommand queued for its region
//
// and the region leader's next heartbeat takes the queued command in its reply
// (takeCommand). The leader runs it; its next heartbeats show the new shape or leader, and a
// later round's check finds the step finished.
//
// PD sends four commands: `split` (keys, or none: the leader picks the middle of the region's
// data), `transferLeader`, `changePeer` and `merge`, which cover every step the schedulers plan
// (a scheduler whose steps a store could not carry out would be listed in
// scheduling_config.ts's schedulersUnavailable, and its operators dropped, `lastRound.dropped`):
//
//   scheduler        steps                                           here
//   split-checker    SplitRegion 'approximate'                       on
//   hot-region       SplitRegion 'approximate', or TransferLeader    on (both parts are executable)
//   balance-leader   TransferLeader                                  on
//   replica-repair   AddLearner, PromoteLearner, RemovePeer          on
//   balance-region   AddLearner, PromoteLearner, [TransferLeader], RemovePeer   on
//   merge-checker    MergeRegion                                     on
//
// AddLearner, PromoteLearner and RemovePeer become `changePeer` commands (one membership
// change each; the store's region applies it as a Raft conf change).
//
// Steps to commands:
//
//   SplitRegion 'approximate'  {kind: 'split', keys: [], newRegionIds: [r], newPeerIds: [[p1..pn]]}
//                              (one new region: one region ID and one peer ID per peer, fresh)
//   SplitRegion keys k1..km    {kind: 'split', keys, newRegionIds: [r1..rm], newPeerIds: m lists}
//   TransferLeader{toStore s}  {kind: 'transferLeader', toPeer: the region's voter on store s}
//
// A command is delivered once; if its step is still unfinished stepResendMs later it is queued
// again (a split with fresh IDs: a store refuses a split proposed against an epoch that moved,
// so a second delivery of a split that did happen does nothing).
//
// Hand-made commands (`ctl split`, `ctl transfer-leader`) come first: queuing one cancels the
// region's operator, the scheduler plans nothing for the region while it waits, and leaves the
// region alone for handMadeHoldMs after it was delivered, so a balance round does not undo it
// before the region's next heartbeat shows it. (Balance may move it later: disable
// balance-leader to pin leaders by hand.)
//
// Worked example, split limit 1 MiB, one region 1 = ["", "") with 3 MiB, leader on store 1:
//   t=0     heartbeat: 1 = ["", "") v1, 3 MiB        -> reply {}
//   t=1 s   round: split-checker adds "split region 1"; IDs 10 (region), 11, 12, 13 (peers)
//           are allocated and {split, keys [], newRegionIds [10], newPeerIds [[11, 12, 13]]} queued
//   t=2 s   heartbeat of 1                            -> reply {command: that split}
//           the store splits at "m": 10 = ["", "m") v2, 1 = ["m", "") v2; both leaders report
//   t=3 s   round: region 1 is at version 2 > 1: the operator is finished
//
// Time, randomness and IDs are parameters (SchedulingOptions, RoundInput): tests drive rounds
// with a fake clock.

import type { Rand } from '../../src/util/prng.js';
import { epochEquals, type RegionEpoch, type RegionId } from '../../src/cluster/region.js';
import { buildClusterSnapshot, votersOf, type RegionInfo, type StoreReport } from '../cluster.js';
import { currentStep, expectedEpoch, type Operator, type OperatorStep } from '../operator.js';
import { OperatorController, type OperatorEvent } from '../operator_controller.js';
import { operatorToJson, stepToJson } from '../operator_json.js';
import { runSchedulers, scheduleConfigDefault, type SchedulerName } from '../schedulers/index.js';
import type { RegionCommand } from './service.js';
import {
  effectiveScheduleConfig,
  executableSchedulers,
  patchScheduleOverrides,
  schedulersUnavailable,
  type PdScheduleConfig,
  type ScheduleOverrides,
} from './scheduling_config.js';

export interface SchedulingOptions {
  /** PD's --replicas: the voters a healthy region has. */
  replicas: number;
  rand: Rand;
  /** A delivered step still unfinished after this long is sent again. */
  stepResendMs?: number;
  /** After a hand-made command reached its region, scheduling leaves the region alone this long. */
  handMadeHoldMs?: number;
  /**
   * A new PD leader knows the directory but not who leads each region until it reports: rounds
   * wait for every region to report, or this long, so balance does not act on half a picture.
   */
  reportWaitMsMax?: number;
}

export const stepResendMsDefault = 5_000;
export const handMadeHoldMsDefault = 10_000;
export const reportWaitMsMaxDefault = 30_000;
/** Operator events kept for GET /pd/api/v1/operators. */
const recentEventsMax = 64;

/** What PdService hands a round: its state now, and its ID allocator. */
export interface RoundInput {
  nowMs: number;
  stores: Iterable<StoreReport>;
  /** The directory, each region with its last report (lastHeartbeatMs 0 if none since PD loaded). */
  regions: Iterable<RegionInfo>;
  ids: { allocate(count: number): Promise<number>; tryNext(): number | undefined };
  /** The region has a hand-made command waiting for its heartbeat. */
  handMade(regionId: RegionId): boolean;
  /** When the region last split (or was created by a split), if PD saw it. */
  splitAtMs?(regionId: RegionId): number | undefined;
}

/**
 * A region that split less than this ago does not merge (TiKV's split-merge-interval, 1 h): a
 * split by hand, or of a region about to grow, is not undone by the merge checker at once.
 */
export const splitMergeIntervalMs = 60 * 60 * 1000;

/** What a region's leader reports, as far as delivering a command cares. */
export interface RegionReportBrief {
  epoch: RegionEpoch;
  leaderPeerId: number;
}

interface Dispatch {
  /** The operator's serial (one region has one operator at a time, but many over time). */
  serial: number;
  step: number;
  /** The epoch the region must still have for the command to make sense. */
  epoch: RegionEpoch;
  command: RegionCommand;
  queuedAtMs: number;
  sentAtMs: number | undefined;
}

export interface RoundSummary {
  atMs: number;
  /** Why the round did nothing. */
  skipped?: string;
  error?: string;
  added?: number;
  /** Operators dropped because PD cannot have their steps executed (a scheduler that should be off). */
  dropped?: number;
  /** Operators for regions a hand-made command holds. */
  yielded?: number;
}

export interface OperatorEventJson {
  atMs: number;
  regionId: RegionId;
  kind: Operator['kind'];
  desc: string;
  status: OperatorEvent['status'];
  reason?: string;
}

export class PdScheduling {
  private overrides: ScheduleOverrides = {};
  private cfg: PdScheduleConfig;
  private controller = new OperatorController();
  private readonly serials = new Map<RegionId, number>();
  private nextSerial = 1;
  private readonly dispatch = new Map<RegionId, Dispatch>();
  /** Regions a delivered hand-made command holds, until the time given. */
  private readonly holds = new Map<RegionId, number>();
  private recent: OperatorEventJson[] = [];
  private readonly totals = { added: 0, finished: 0, cancelled: 0, timedOut: 0 };
  private lastRound: RoundSummary | undefined;
  private lastRoundStartMs = -Infinity;
  private leaderSinceMs = 0;
  /** Bumped by reset(): a round that awaited across a leadership change drops its results. */
  private generation = 0;
  private running = false;
  private readonly stepResendMs: number;
  private readonly handMadeHoldMs: number;
  private readonly reportWaitMsMax: number;

  constructor(private readonly o: SchedulingOptions) {
    this.cfg = effectiveScheduleConfig({}, o.replicas);
    this.stepResendMs = o.stepResendMs ?? stepResendMsDefault;
    this.handMadeHoldMs = o.handMadeHoldMs ?? handMadeHoldMsDefault;
    this.reportWaitMsMax = o.reportWaitMsMax ?? reportWaitMsMaxDefault;
  }

  get config(): PdScheduleConfig {
    return this.cfg;
  }

  /** Installs overrides loaded from PD's keys (trusted: they passed patchOverrides when saved). */
  setOverrides(o: ScheduleOverrides): void {
    this.overrides = o;
    this.cfg = effectiveScheduleConfig(o, this.o.replicas);
  }

  /** The overrides after a JSON patch; throws PlacementConfigError. The caller saves, then sets them. */
  patchOverrides(patch: unknown): ScheduleOverrides {
    return patchScheduleOverrides(this.overrides, patch, this.o.replicas);
  }

  /** A new leadership term: nothing in flight survives it (the new leader plans from fresh reports). */
  reset(nowMs: number): void {
    this.generation++;
    this.controller = new OperatorController();
    this.serials.clear();
    this.dispatch.clear();
    this.holds.clear();
    this.recent = [];
    this.lastRound = undefined;
    this.lastRoundStartMs = -Infinity;
    this.leaderSinceMs = nowMs;
  }

  isDue(nowMs: number): boolean {
    return !this.running && nowMs - this.lastRoundStartMs >= this.cfg.scheduleIntervalMs;
  }

  // ---- the round ----

  async round(input: RoundInput): Promise<RoundSummary> {
    if (this.running) return { atMs: input.nowMs, skipped: 'a round is running' };
    this.running = true;
    this.lastRoundStartMs = input.nowMs;
    const generation = this.generation;
    let summary: RoundSummary;
    try {
      summary = await this.roundUnguarded(input, generation);
    } catch (err) {
      summary = { atMs: input.nowMs, error: (err as Error).message };
    } finally {
      this.running = false;
    }
    if (generation === this.generation) this.lastRound = summary;
    return summary;
  }

  private async roundUnguarded(input: RoundInput, generation: number): Promise<RoundSummary> {
    const { nowMs } = input;
    const snapshot = buildClusterSnapshot({ nowMs, stores: input.stores, regions: input.regions });
    const unreported = [...snapshot.regions.values()].filter((r) => r.lastHeartbeatMs < this.leaderSinceMs).length;
    if (unreported > 0 && nowMs - this.leaderSinceMs < this.reportWaitMsMax) {
      return { atMs: nowMs, skipped: `waiting for ${unreported} regions to report to this PD leader` };
    }
    for (const [id, untilMs] of this.holds) if (untilMs <= nowMs) this.holds.delete(id);

    for (const ev of this.controller.check(snapshot)) this.left(ev, nowMs);

    let added = 0;
    let dropped = 0;
    let yielded = 0;
    const fresh = runSchedulers(snapshot, this.cfg, { rand: this.o.rand, ids: input.ids, inFlight: this.controller.inFlight() });
    for (const op of fresh) {
      if (!op.steps.every(stepIsExecutable)) {
        dropped++;
        continue;
      }
      if (input.handMade(op.regionId) || this.holds.has(op.regionId)) {
        yielded++;
        continue;
      }
      if (op.kind === 'merge' && input.splitAtMs && op.steps.some((st) => st.type === 'MergeRegion' && [st.sourceId, st.targetId].some((id) => nowMs - (input.splitAtMs!(id) ?? -Infinity) < splitMergeIntervalMs))) {
        dropped++;
        continue;
      }
      this.controller.add(op);
      this.serials.set(op.regionId, this.nextSerial++);
      this.totals.added++;
      added++;
    }

    for (const op of this.controller.inFlight()) {
      if (!this.needsSend(op, nowMs)) continue;
      const serial = this.serials.get(op.regionId)!;
      const info = snapshot.regions.get(op.regionId);
      // check() cancels an operator whose region is gone, so a running one has its region.
      if (info === undefined) continue;
      const command = await commandFor(currentStep(op)!, info, input.ids);
      // While allocating IDs: a new leadership term, or a hand-made command replaced the operator.
      if (generation !== this.generation || this.serials.get(op.regionId) !== serial) continue;
      if (command === undefined) continue;
      this.dispatch.set(op.regionId, {
        serial,
        step: op.currentStep,
        epoch: expectedEpoch(op, op.currentStep),
        command,
        queuedAtMs: nowMs,
        sentAtMs: undefined,
      });
    }
    return { atMs: nowMs, added, dropped, yielded };
  }

  private needsSend(op: Operator, nowMs: number): boolean {
    const d = this.dispatch.get(op.regionId);
    if (d === undefined || d.serial !== this.serials.get(op.regionId) || d.step !== op.currentStep) return true;
    if (d.sentAtMs === undefined) return false; // queued; the region's leader has not reported since
    return nowMs - d.sentAtMs >= this.stepResendMs;
  }

  private left(ev: OperatorEvent, nowMs: number): void {
    this.serials.delete(ev.op.regionId);
    this.dispatch.delete(ev.op.regionId);
    this.totals[ev.status]++;
    this.recent.push({
      atMs: nowMs,
      regionId: ev.op.regionId,
      kind: ev.op.kind,
      desc: ev.op.desc,
      status: ev.status,
      ...(ev.reason === undefined ? {} : { reason: ev.reason }),
    });
    if (this.recent.length > recentEventsMax) this.recent.splice(0, this.recent.length - recentEventsMax);
  }

  // ---- heartbeats ----

  /**
   * The command queued for the region, if it still fits the region's report: the epoch the step
   * was planned for (else the next round cancels or advances the operator), and for a leader
   * transfer a leader not yet on the target.
   */
  takeCommand(regionId: RegionId, report: RegionReportBrief, nowMs: number): RegionCommand | undefined {
    const d = this.dispatch.get(regionId);
    if (d === undefined || d.sentAtMs !== undefined) return undefined;
    if (!epochEquals(report.epoch, d.epoch)) return undefined;
    if (d.command.kind === 'transferLeader' && d.command.toPeer === report.leaderPeerId) return undefined;
    d.sentAtMs = nowMs;
    return d.command;
  }

  /** A hand-made command was queued for the region: it replaces the region's operator. */
  handOver(regionId: RegionId, nowMs: number): void {
    const op = this.controller.holding(regionId);
    if (op !== undefined) {
      this.controller.remove(op);
      this.left({ op, status: 'cancelled', reason: 'replaced by a hand-made command' }, nowMs);
    }
    this.dispatch.delete(regionId);
  }

  /** A hand-made command reached the region's leader. */
  handMadeDelivered(regionId: RegionId, nowMs: number): void {
    this.holds.set(regionId, nowMs + this.handMadeHoldMs);
  }

  /** The directory dropped the region (covered by newer regions): nothing to deliver to it. */
  regionDropped(regionId: RegionId): void {
    this.dispatch.delete(regionId);
  }

  // ---- what the HTTP API shows ----

  operatorsJson(): unknown {
    const ops = this.controller.inFlight().sort((a, b) => a.regionId - b.regionId);
    return {
      count: ops.length,
      operators: ops.map((op) => {
        const d = this.dispatch.get(op.regionId);
        const live = d !== undefined && d.serial === this.serials.get(op.regionId) && d.step === op.currentStep;
        const step = currentStep(op);
        return {
          ...operatorToJson(op),
          step: step === undefined ? null : stepToJson(step),
          command: live ? commandJson(d.command) : null,
          queuedAtMs: live ? d.queuedAtMs : null,
          sentAtMs: live ? (d.sentAtMs ?? null) : null,
        };
      }),
      totals: { ...this.totals },
      recent: [...this.recent].reverse(),
    };
  }

  schedulersJson(): unknown {
    const c = this.cfg;
    const disabled: { name: SchedulerName; reason: string }[] = [];
    for (const name of scheduleConfigDefault.enabled) {
      if (c.enabled.includes(name)) continue;
      disabled.push({ name, reason: schedulersUnavailable[name] ?? 'disabled by config (POST /pd/api/v1/schedulers/config {"enabled": [...]})' });
    }
    return {
      enabled: c.enabled,
      disabled,
      available: executableSchedulers,
      config: c,
      overrides: this.overrides,
      lastRound: this.lastRound ?? null,
      operators: this.operatorsJson(),
    };
  }
}

function stepIsExecutable(_s: OperatorStep): boolean {
  return true;
}

/** The command for a step, with fresh IDs for a split; undefined if the region cannot take it. */
async function commandFor(
  step: OperatorStep,
  info: RegionInfo,
  ids: RoundInput['ids'],
): Promise<RegionCommand | undefined> {
  switch (step.type) {
    case 'SplitRegion': {
      const keys = step.keys === 'approximate' ? [] : step.keys.map((k) => k.slice());
      // With no keys the leader picks one key: one new region.
      const newRegions = Math.max(1, keys.length);
      const peers = info.region.peers.length;
      const first = await ids.allocate(newRegions * (1 + peers));
      const newRegionIds: RegionId[] = [];
      const newPeerIds: number[][] = [];
      for (let i = 0; i < newRegions; i++) {
        const base = first + i * (1 + peers);
        newRegionIds.push(base as RegionId);
        newPeerIds.push(info.region.peers.map((_, j) => base + 1 + j));
      }
      return { kind: 'split', keys, newRegionIds, newPeerIds };
    }
    case 'TransferLeader': {
      const to = votersOf(info.region).find((p) => p.storeId === step.toStore);
      return to === undefined ? undefined : { kind: 'transferLeader', toPeer: to.id };
    }
    case 'AddLearner':
      return { kind: 'changePeer', change: { type: 'add-learner', peer: { id: step.peerId, storeId: step.storeId, role: 'learner' } } };
    case 'PromoteLearner':
      return { kind: 'changePeer', change: { type: 'promote-learner', peerId: step.peerId } };
    case 'MergeRegion':
      // The source's leader runs the merge (regions/store/merger.ts).
      return step.sourceId === info.region.id ? { kind: 'merge', target: step.targetId } : undefined;
    case 'RemovePeer': {
      const victim = info.region.peers.find((p) => p.storeId === step.storeId);
      return victim === undefined ? undefined : { kind: 'changePeer', change: { type: 'remove-peer', peerId: victim.id } };
    }
    default:
      // Filtered out before the controller took the operator.
      return undefined;
  }
}

function commandJson(c: RegionCommand): unknown {
  if (c.kind !== 'split') return c;
  return { ...c, keys: c.keys.map((k) => Buffer.from(k).toString('base64')) };
}

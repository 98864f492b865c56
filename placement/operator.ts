// An operator: what PD asks one region to do, as a list of steps the region's leader performs
// one at a time (PD sends the current step in its reply to each region heartbeat). Each step
// knows, from a region report, whether it is finished; the operator advances past finished
// steps and is cancelled when the region changed in a way the operator did not cause.
//
// Worked example: move region 7 (voters on stores 1, 2, 3, leader on 1) from store 1 to store 4:
//
//   step                         epoch after   finished when
//   AddLearner{store 4, peer 41} confVer+1     peer 41 is on store 4
//   PromoteLearner{peer 41}      confVer+2     peer 41 is a voter
//   TransferLeader{to store 2}   (same)        the leader is on store 2 (a leader does not remove itself)
//   RemovePeer{store 1}          confVer+3     no peer on store 1
//
// While step i runs, the region's epoch must be the creation epoch plus the membership changes
// of steps [0, i) (each bumps confVer by one, src/cluster/region.ts). Anything else (a split, a
// membership change by someone else) cancels the operator: its plan was made for another shape.
//
// SplitRegion and MergeRegion are whole operators of one step. A split keeps the region's ID on
// one side and bumps its version; a merge makes the source region disappear into the target
// (PD drops the source when the target reports covering it), so the merge operator lives on the
// source and is finished when the source is gone.
//
// Operators are plain, immutable data: they travel in heartbeat replies (operator_json.ts) and
// a check returns a new operator rather than changing the old one.

import { assert, assertNever } from '../src/util/assert.js';
import { epochEquals, type PeerId, type Region, type RegionEpoch, type RegionId, type StoreId } from '../src/cluster/region.js';
import { leaderPeer, peerOnStore, storeIsGone, type ClusterSnapshot, type RegionInfo } from './cluster.js';

export type OperatorStep =
  | { readonly type: 'TransferLeader'; readonly toStore: StoreId }
  | { readonly type: 'AddLearner'; readonly storeId: StoreId; readonly peerId: PeerId }
  | { readonly type: 'PromoteLearner'; readonly peerId: PeerId }
  | { readonly type: 'RemovePeer'; readonly storeId: StoreId }
  /** 'approximate': the store picks the key that halves the region's size. */
  | { readonly type: 'SplitRegion'; readonly keys: readonly Uint8Array[] | 'approximate' }
  /** targetEpoch: the target's epoch when planned; the merge is off if it moved. */
  | { readonly type: 'MergeRegion'; readonly sourceId: RegionId; readonly targetId: RegionId; readonly targetEpoch: RegionEpoch };

export type OperatorKind = 'replica-repair' | 'balance-leader' | 'balance-region' | 'hot-region' | 'split' | 'merge';

export interface Operator {
  readonly regionId: RegionId;
  /** The region's epoch the operator was planned for. */
  readonly epoch: RegionEpoch;
  readonly kind: OperatorKind;
  /** For logs and `ctl operators`: "move region 7 from store 1 to store 4". */
  readonly desc: string;
  readonly steps: readonly OperatorStep[];
  /** Index of the first unfinished step; steps.length once all are finished. */
  readonly currentStep: number;
  readonly createdMs: number;
  /** The operator times out at this time if it has not finished. */
  readonly deadlineMs: number;
}

export interface OperatorTimeouts {
  /** Steps a leader does in a few Raft rounds: leader transfer, promote, remove, and the base of the others. */
  stepFastMs: number;
  /** Split and merge (they wait for logs to catch up), and the base of adding a learner. */
  stepSlowMs: number;
  /** The rate a learner's first snapshot is assumed to arrive at, for adding a learner. */
  snapshotBytesPerMs: number;
}

export const operatorTimeoutsDefault: OperatorTimeouts = Object.freeze({
  stepFastMs: 10_000,
  stepSlowMs: 60_000,
  snapshotBytesPerMs: 10_000, // 10 MB/s: a 96 MiB region gets 60 s + 10 s
});

/**
 * How long an operator may take: the sum of its steps'. Worked example, a move of a 96 MiB
 * region (add, promote, transfer leader, remove) with the defaults:
 *   (60 000 + 100 663 296 / 10 000) + 10 000 + 10 000 + 10 000 = 100 066 ms.
 */
export function operatorTimeoutMs(steps: readonly OperatorStep[], approximateBytes: number, t: OperatorTimeouts): number {
  let ms = 0;
  for (const s of steps) {
    switch (s.type) {
      case 'TransferLeader':
      case 'PromoteLearner':
      case 'RemovePeer':
        ms += t.stepFastMs;
        break;
      case 'AddLearner':
        ms += t.stepSlowMs + Math.ceil(approximateBytes / t.snapshotBytesPerMs);
        break;
      case 'SplitRegion':
      case 'MergeRegion':
        ms += t.stepSlowMs;
        break;
      default:
        assertNever(s, 'operator step');
    }
  }
  return ms;
}

export function isConfChange(step: OperatorStep): boolean {
  return step.type === 'AddLearner' || step.type === 'PromoteLearner' || step.type === 'RemovePeer';
}

/**
 * Whether `step` is finished, judged from a region report. `region` is undefined when PD no
 * longer knows the region (merged away); `epochBefore` is the epoch the step started from.
 */
export function stepIsFinished(
  step: OperatorStep,
  region: Readonly<Region> | undefined,
  leader: PeerId | undefined,
  epochBefore: RegionEpoch,
): boolean {
  if (step.type === 'MergeRegion') return region === undefined;
  if (region === undefined) return false;
  switch (step.type) {
    case 'TransferLeader':
      return leader !== undefined && region.peers.some((p) => p.id === leader && p.storeId === step.toStore);
    case 'AddLearner':
      // Promoted already counts: the learner was added.
      return region.peers.some((p) => p.id === step.peerId && p.storeId === step.storeId);
    case 'PromoteLearner':
      return region.peers.some((p) => p.id === step.peerId && p.role === 'voter');
    case 'RemovePeer':
      return peerOnStore(region, step.storeId) === undefined;
    case 'SplitRegion':
      return region.epoch.version > epochBefore.version;
    default:
      return assertNever(step, 'operator step');
  }
}

export interface NewOperatorInput {
  info: RegionInfo;
  kind: OperatorKind;
  desc: string;
  steps: readonly OperatorStep[];
  nowMs: number;
  timeouts?: OperatorTimeouts;
}

/** Makes an operator for the region as `info` shows it; asserts the steps make sense for it. */
export function newOperator(input: NewOperatorInput): Operator {
  const { info, steps } = input;
  assert(steps.length > 0, 'an operator needs steps');
  if (steps.some((s) => s.type === 'SplitRegion' || s.type === 'MergeRegion')) {
    assert(steps.length === 1, 'split and merge are operators of their own');
  }
  assertStepsValid(info, steps);
  const timeouts = input.timeouts ?? operatorTimeoutsDefault;
  return Object.freeze({
    regionId: info.region.id,
    epoch: Object.freeze({ ...info.region.epoch }),
    kind: input.kind,
    desc: input.desc,
    steps: Object.freeze(steps.map((s) => Object.freeze(s))),
    currentStep: 0,
    createdMs: input.nowMs,
    deadlineMs: input.nowMs + operatorTimeoutMs(steps, info.approximateBytes, timeouts),
  });
}

/**
 * Plays the membership steps on a copy of the region's peers, asserting each is possible:
 * never two peers on one store, only learners promoted, a leader never removes itself and only
 * voters become leader. A breach is a bug in the scheduler that built the steps.
 */
function assertStepsValid(info: RegionInfo, steps: readonly OperatorStep[]): void {
  const peers = info.region.peers.map((p) => ({ ...p }));
  let leaderStore = leaderPeer(info)?.storeId;
  for (const s of steps) {
    switch (s.type) {
      case 'AddLearner':
        assert(!peers.some((p) => p.storeId === s.storeId), `region ${info.region.id} already has a peer on store ${s.storeId}`);
        assert(!peers.some((p) => p.id === s.peerId), `peer ${s.peerId} already in region ${info.region.id}`);
        peers.push({ id: s.peerId, storeId: s.storeId, role: 'learner' });
        break;
      case 'PromoteLearner': {
        const p = peers.find((q) => q.id === s.peerId);
        assert(p !== undefined && p.role === 'learner', `peer ${s.peerId} is not a learner to promote`);
        p.role = 'voter';
        break;
      }
      case 'RemovePeer': {
        const i = peers.findIndex((p) => p.storeId === s.storeId);
        assert(i >= 0, `region ${info.region.id} has no peer on store ${s.storeId} to remove`);
        assert(s.storeId !== leaderStore, `region ${info.region.id}: the leader must move before its peer is removed`);
        peers.splice(i, 1);
        break;
      }
      case 'TransferLeader':
        assert(
          peers.some((p) => p.storeId === s.toStore && p.role === 'voter'),
          `region ${info.region.id} has no voter on store ${s.toStore} to lead`,
        );
        leaderStore = s.toStore;
        break;
      case 'SplitRegion':
      case 'MergeRegion':
        break;
      default:
        assertNever(s, 'operator step');
    }
  }
}

/** The step the region's leader should work on now; undefined once all are finished. */
export function currentStep(op: Operator): OperatorStep | undefined {
  return op.steps[op.currentStep];
}

/** The creation epoch plus the membership changes of steps [0, i). */
export function expectedEpoch(op: Operator, i: number): RegionEpoch {
  let confVer = op.epoch.confVer;
  for (let k = 0; k < i; k++) if (isConfChange(op.steps[k]!)) confVer++;
  return { confVer, version: op.epoch.version };
}

/** Every region the operator needs to itself: a merge holds its target too. */
export function operatorRegionIds(op: Operator): RegionId[] {
  const s = op.steps[0]!;
  return s.type === 'MergeRegion' ? [op.regionId, s.targetId] : [op.regionId];
}

/** Stores the unfinished steps add a peer to, remove one from, or move a leader to. */
export function operatorStores(op: Operator): StoreId[] {
  const out: StoreId[] = [];
  for (let i = op.currentStep; i < op.steps.length; i++) {
    const s = op.steps[i]!;
    if (s.type === 'AddLearner' || s.type === 'RemovePeer') out.push(s.storeId);
    else if (s.type === 'TransferLeader') out.push(s.toStore);
  }
  return [...new Set(out)];
}

export type OperatorStatus = 'running' | 'finished' | 'cancelled' | 'timedOut';

export interface OperatorCheck {
  /** The operator with currentStep advanced past finished steps. */
  op: Operator;
  status: OperatorStatus;
  /** Why it was cancelled, for logs. */
  reason?: string;
}

/** Advances `op` against the snapshot: finished steps are passed, and the rest still make sense. */
export function checkOperator(op: Operator, snapshot: ClusterSnapshot): OperatorCheck {
  const info = snapshot.regions.get(op.regionId);
  let i = op.currentStep;
  while (i < op.steps.length && stepIsFinished(op.steps[i]!, info?.region, info?.leader, expectedEpoch(op, i))) i++;
  const advanced = i === op.currentStep ? op : Object.freeze({ ...op, currentStep: i });
  if (i === op.steps.length) return { op: advanced, status: 'finished' };
  if (snapshot.nowMs >= op.deadlineMs) return { op: advanced, status: 'timedOut' };
  const cancelled = (reason: string): OperatorCheck => ({ op: advanced, status: 'cancelled', reason });

  if (info === undefined) return cancelled(`region ${op.regionId} is gone`);
  const want = expectedEpoch(op, i);
  if (!epochEquals(info.region.epoch, want)) {
    const got = info.region.epoch;
    return cancelled(`epoch moved to {confVer ${got.confVer}, version ${got.version}}, expected {confVer ${want.confVer}, version ${want.version}}`);
  }
  const step = op.steps[i]!;
  if ((step.type === 'AddLearner' && storeIsGone(snapshot, step.storeId)) || (step.type === 'TransferLeader' && storeIsGone(snapshot, step.toStore))) {
    return cancelled(`target store ${step.type === 'AddLearner' ? step.storeId : step.toStore} is down`);
  }
  // Raft may elect a new leader on the very store a planned RemovePeer empties (the leader
  // died, or a transfer raced): a leader does not remove itself, so the plan is off. The extra
  // voter it leaves is replica_repair's to remove.
  if (step.type === 'RemovePeer' && leaderPeer(info)?.storeId === step.storeId) {
    return cancelled(`the leader is on store ${step.storeId}, whose peer the operator removes`);
  }
  if (step.type === 'MergeRegion') {
    const target = snapshot.regions.get(step.targetId);
    if (target === undefined || !epochEquals(target.region.epoch, step.targetEpoch)) {
      return cancelled(`merge target ${step.targetId} changed`);
    }
  }
  return { op: advanced, status: 'running' };
}

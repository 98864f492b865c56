// The application's handle on one group member: values in (tick, step, propose, ...), a Ready
// out, advance() back. Thread-free and timer-free: the caller decides when to tick and when to
// ask for a Ready, so one lane can drive thousands of groups.
//
//   node.tick(); node.step(m);
//   if (node.hasReady()) {
//     const rd = node.ready();
//     persist(rd.hardState, rd.entries, rd.snapshot); // fsync if rd.mustSync
//     send(rd.messages);
//     apply(rd.snapshot, rd.committedEntries);
//     node.advance(rd);
//   }
//
// Between ready() and advance() the node may keep stepping messages and ticking; it may not
// hand out another Ready.

import { assert } from '../util/assert.js';
import type { RaftConfig } from './config.js';
import { ProposalDroppedError, StepError } from './errors.js';
import { confChangeEntry, Raft } from './raft.js';
import type { ProgressState } from './tracker/progress.js';
import {
  hardStateEqual,
  isEmptyHardState,
  isLocalMessage,
  isResponseMessage,
  message,
  type ConfChange,
  type ConfState,
  type HardState,
  type Index,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
  type Term,
} from './types.js';

export interface ProgressStatus {
  match: Index;
  next: Index;
  state: ProgressState;
  isLearner: boolean;
  recentActive: boolean;
  inflight: number;
}

export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: Index;
  leadTransferee: NodeId;
  config: ConfState;
  /** Only on the leader. */
  progress?: Map<NodeId, ProgressStatus>;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** Self-addressed messages of the outstanding Ready, stepped once it is persisted. */
  private stepsOnAdvance: Message[] = [];
  private outstanding = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (used by tests and by single-member bootstrap). */
  campaign(): void {
    this.raft.step(message({ type: 'hup' }));
  }

  /** Proposes data to be appended to the log. Throws ProposalDroppedError if it cannot be. */
  propose(data: Uint8Array): void {
    const err = this.raft.step(
      message({ type: 'prop', from: this.raft.id, entries: [{ term: 0 as Term, index: 0 as Index, type: 'normal', data }] }),
    );
    if (err) throw err;
  }

  /** Proposes several entries at once (they are appended together, in order). */
  proposeBatch(datas: Uint8Array[]): void {
    if (datas.length === 0) return;
    const entries = datas.map((data) => ({ term: 0 as Term, index: 0 as Index, type: 'normal' as const, data }));
    const err = this.raft.step(message({ type: 'prop', from: this.raft.id, entries }));
    if (err) throw err;
  }

  proposeConfChange(cc: ConfChange): void {
    const err = this.raft.step(message({ type: 'prop', from: this.raft.id, entries: [confChangeEntry(cc)] }));
    if (err) throw err;
  }

  /** Applies a committed membership change (call it when applying its entry). */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Steps a message received from a peer. Local-only message types are refused, and responses
   * from peers not in the configuration are ignored.
   */
  step(m: Message): ProposalDroppedError | undefined {
    if (isLocalMessage(m.type)) throw new StepError(`cannot step raft local message ${m.type}`);
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) return undefined;
    return this.raft.step(m);
  }

  /**
   * Requests a linearizable read. When it is safe to read at index i, a ReadState
   * { index: i, requestCtx } appears in a Ready; serve the read once applied >= i.
   */
  readIndex(requestCtx: string): void {
    const err = this.raft.step(message({ type: 'read-index', context: requestCtx }));
    if (err) throw err;
  }

  /** Asks the leader to hand leadership to transferee. */
  transferLeader(transferee: NodeId): void {
    const err = this.raft.step(message({ type: 'transfer-leader', from: transferee }));
    if (err) throw err;
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: 'unreachable', from: id }));
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: 'snap-status', from: id, reject: !ok }));
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    if (r.hasBatched() || r.msgs.length > 0 || r.msgsAfterAppend.length > 0 || r.readStates.length > 0) return true;
    if (r.raftLog.unstableEntries().length > 0 || r.raftLog.hasPendingSnapshot() || r.raftLog.hasNextCommittedEnts()) return true;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) return true;
    const hs = r.hardState();
    return !isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState);
  }

  /** Everything the application must do now; see the module comment. */
  ready(): Ready {
    assert(!this.outstanding, 'ready() called again before advance()');
    const r = this.raft;
    r.flushBatched();
    const rd: Ready = {
      entries: r.raftLog.unstableEntries().slice(),
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) {
      rd.hardState = hs;
      // Term and vote must be durable before we act on them; a commit index may be lost
      // (it is learned again from the leader).
      rd.mustSync = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
      this.prevHardState = hs;
    }
    if (rd.entries.length > 0) rd.mustSync = true;
    if (r.raftLog.hasPendingSnapshot()) {
      rd.snapshot = r.raftLog.unstable.snapshot!;
      rd.mustSync = true;
    }
    r.msgs = [];
    r.readStates = [];
    this.stepsOnAdvance = r.msgsAfterAppend;
    r.msgsAfterAppend = [];
    if (rd.committedEntries.length > 0) {
      r.raftLog.acceptApplying(rd.committedEntries[rd.committedEntries.length - 1]!.index);
      r.reduceUncommittedBytes(rd.committedEntries);
    }
    this.outstanding = true;
    return rd;
  }

  /** The Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    assert(this.outstanding, 'advance() without an outstanding Ready');
    this.outstanding = false;
    const r = this.raft;
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.raftLog.stableTo(last.index, last.term);
    }
    if (rd.snapshot) {
      r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
      r.appliedSnapshot(rd.snapshot);
    }
    if (rd.committedEntries.length > 0) {
      r.appliedTo(rd.committedEntries[rd.committedEntries.length - 1]!.index);
    }
    // Now that the entries are durable, the leader may count its own copy.
    const steps = this.stepsOnAdvance;
    this.stepsOnAdvance = [];
    for (const m of steps) r.step(m);
  }

  status(): Status {
    const r = this.raft;
    const s: Status = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee,
      config: r.trk.confState(),
    };
    if (r.state === 'leader') {
      s.progress = new Map();
      r.trk.visit((id, pr) => {
        s.progress!.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          inflight: pr.inflights.count,
        });
      });
    }
    return s;
  }
}

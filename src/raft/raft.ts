// The Raft state machine of one group member: roles, elections, replication, reads,
// membership and leader transfer. Pure: it reads its Storage, and otherwise only takes values
// in (step, tick) and queues values out (msgs, readStates, the log's unstable part), which
// RawNode packs into a Ready.
//
// Section numbers refer to Diego Ongaro's thesis ("Consensus: Bridging Theory and Practice").

import { assert } from '../util/assert.js';
import { ConfChangeError, Changer, restoreConfig, type ChangeResult } from './confchange/changer.js';
import { decodeConfChange, encodeConfChange, enterJoint, isLeaveJoint } from './confchange/codec.js';
import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js';
import { CompactedError, ProposalDroppedError, SnapshotTemporarilyUnavailableError } from './errors.js';
import { RaftLog } from './log.js';
import { ReadOnly } from './read_only.js';
import { ProgressTracker } from './tracker/tracker.js';
import type { Progress } from './tracker/progress.js';
import {
  None,
  isEmptyHardState,
  message,
  payloadSize,
  voteRespType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Message,
  type MessageType,
  type NodeId,
  type ReadState,
  type Role,
  type Snapshot,
  type SoftState,
  type Term,
} from './types.js';

type CampaignType = 'pre-election' | 'election' | 'transfer';

/** The context that marks votes of an election started by a leader transfer. */
export const campaignTransfer = 'transfer';

export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  term: Term = 0 as Term;
  vote: NodeId = None;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  state: Role = 'follower';
  /** This node is a learner in its own configuration. */
  isLearner = false;
  lead: NodeId = None;
  /** The peer leadership is being handed to, if a transfer is in progress. */
  leadTransferee: NodeId = None;
  /**
   * Only one membership change may be pending (in the log, not yet applied) at a time: a
   * proposal is refused while this index is above applied.
   */
  pendingConfIndex: Index = 0 as Index;
  /** Bytes of entry payloads appended by this leader but not yet committed. */
  uncommittedBytes = 0;
  readOnly: ReadOnly;
  /** Ticks since the last election timeout reset (followers: since hearing from a leader). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Leader: ticks since becoming leader, starting at 1. Heartbeats carry it as a lease stamp. */
  leaderTicks = 0;
  /** Leader: a leader transfer was started this term, so the lease can no longer be trusted. */
  private leaseRevoked = false;
  /**
   * Lease-based reads only: a node just started does not know when it last heard from a
   * leader, so it refuses votes for one election timeout as if it had (see inLease).
   */
  private startupLeaseTicks = 0;

  /** Messages to send once the current Ready is persisted. */
  msgs: Message[] = [];
  /** Messages to this node itself, to be stepped only after the unstable entries are durable. */
  msgsAfterAppend: Message[] = [];
  readStates: ReadState[] = [];
  /** Read requests that came before this leader committed an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];
  /** Entries were appended this turn: send them once, in one message per follower (batching). */
  private appendBcastPending = false;
  /** Reads were queued this turn: confirm leadership once, with one heartbeat round for all. */
  private readBcastPending = false;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.raftLog = new RaftLog(this.cfg.storage, this.cfg.committedBytesPerReadyMax);
    this.trk = new ProgressTracker(this.cfg.inflightMsgsMax, this.cfg.inflightBytesMax);
    this.readOnly = new ReadOnly(this.cfg.readOnlyOption);
    const { hardState, confState } = this.cfg.storage.initialState();
    const restored = restoreConfig(this.trk, confState, this.raftLog.lastIndex());
    this.switchToConfig(restored);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (this.cfg.applied > 0) this.raftLog.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, None);
    if (this.cfg.readOnlyOption === 'lease-based') this.startupLeaseTicks = this.cfg.electionTicks;
  }

  // ---------------------------------------------------------------------------------------------
  // State.

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.state };
  }

  private loadState(hs: HardState): void {
    assert(
      hs.commit >= this.raftLog.committed && hs.commit <= this.raftLog.lastIndex(),
      `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
    );
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /** Can this node become leader? Not if it is a learner, removed, or restoring a snapshot. */
  promotable(): boolean {
    if (this.raftLog.hasPendingSnapshot()) return false;
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined) return !pr.isLearner;
    // Removed from the configuration it has applied (a new, empty node has no configuration
    // at all and never campaigns). It may still campaign, counting the votes of that newest
    // configuration: votes decide, not the candidate's membership, so this is as safe as any
    // election, and it is sometimes necessary: a removed node may hold the longest log while
    // the others, not yet knowing the removal committed, still need its vote. Pre-vote keeps
    // it from disrupting a healthy group.
    return this.trk.config.voters.incoming.size > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Sending.

  private send(m: Message): void {
    if (m.from === None) m.from = this.id;
    m.group = this.cfg.group;
    if (m.type === 'vote' || m.type === 'vote-resp' || m.type === 'pre-vote' || m.type === 'pre-vote-resp') {
      // Votes carry the term they are for (a pre-vote: the term the candidate would take).
      assert(m.term !== 0, `term should be set when sending ${m.type}`);
    } else {
      assert(m.term === 0, `term should not be set when sending ${m.type} (was ${m.term})`);
      // Proposals and read requests forwarded to the leader are local messages: no term.
      if (m.type !== 'prop' && m.type !== 'read-index') m.term = this.term;
    }
    if (m.to === this.id) this.msgsAfterAppend.push(m);
    else this.msgs.push(m);
  }

  /** Sends entries (or a snapshot) to `to` if its flow control allows. Returns whether it sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to)!;
    if (pr.isPaused()) return false;
    const prevIndex = (pr.next - 1) as Index;
    const prevTerm = this.raftLog.termOrUndefined(prevIndex);
    if (prevTerm === undefined) return this.maybeSendSnapshot(to, pr);
    let ents: Entry[];
    try {
      ents = this.raftLog.entries(pr.next, this.cfg.msgBytesMax);
    } catch (err) {
      if (err instanceof CompactedError) return this.maybeSendSnapshot(to, pr);
      throw err;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(message({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed }));
    let bytes = 0;
    for (const e of ents) bytes += payloadSize(e);
    pr.sentEntries(ents.length, bytes);
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** The follower is behind our first log index: it needs a snapshot (§5.1 of the thesis). */
  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // A follower we have not heard from lately probably cannot take a snapshot now anyway.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof SnapshotTemporarilyUnavailableError) return false;
      throw err;
    }
    assert(snapshot.metadata.index !== 0, 'need non-empty snapshot');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(message({ type: 'snap', to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: NodeId, ctx: string | undefined): void {
    // A follower may not have the entries up to our commit index yet: never tell it to commit
    // beyond what it is known to have.
    const pr = this.trk.progress.get(to)!;
    const commit = Math.min(pr.match, this.raftLog.committed) as Index;
    // `index` carries the leader's lease stamp; the follower echoes it back.
    const m = message({ type: 'heartbeat', to, commit, index: this.leaderTicks as Index });
    if (ctx !== undefined) m.context = ctx;
    this.send(m);
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
  }

  private bcastHeartbeatWithCtx(ctx: string | undefined): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  /**
   * Sends what this turn batched up: entries appended by proposals (one append per follower)
   * and one heartbeat round for all reads queued. RawNode calls this before building a Ready.
   */
  flushBatched(): void {
    if (this.appendBcastPending) {
      this.appendBcastPending = false;
      if (this.state === 'leader') this.bcastAppend();
    }
    if (this.readBcastPending) {
      this.readBcastPending = false;
      if (this.state === 'leader') this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
    }
  }

  hasBatched(): boolean {
    return this.appendBcastPending || this.readBcastPending;
  }

  // ---------------------------------------------------------------------------------------------
  // Committing and applying.

  /** Advances the commit index if a quorum has persisted more (§3.6.2, Figure 8 rule inside). */
  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** Called once the application has applied entries up to `index`. */
  appliedTo(index: Index): void {
    const newApplied = Math.max(index, this.raftLog.applied) as Index;
    this.raftLog.appliedTo(newApplied);
    if (this.trk.config.autoLeave && newApplied >= this.pendingConfIndex && this.state === 'leader') {
      // The joint configuration is committed and applied: leave it now (an empty change).
      // If it cannot be proposed now (e.g. a transfer is in progress) it is retried on the next apply.
      const leave: ConfChange = { transition: 'auto', changes: [] };
      this.step(message({ type: 'prop', entries: [confChangeEntry(leave)] }));
    }
  }

  appliedSnapshot(snap: Snapshot): void {
    this.appliedTo(snap.metadata.index);
  }

  /** Appends entries of the leader's term. Returns false if the uncommitted limit refuses them. */
  private appendEntry(proposed: Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    // New objects: the proposal may be shared (a forwarded message, the caller's array) and
    // entries are immutable once in a log.
    const es: Entry[] = new Array(proposed.length);
    for (let i = 0; i < proposed.length; i++) {
      const p = proposed[i]!;
      es[i] = { term: this.term, index: (li + 1 + i) as Index, type: p.type, data: p.data };
    }
    if (!this.increaseUncommittedBytes(es)) return false;
    li = this.raftLog.append(es);
    if (this.cfg.applyWithPersist && this.trk.isSingleton() && this.trk.config.voters.incoming.has(this.id)) {
      // The only voter, and the application persists these entries before it applies anything
      // of this Ready: they are committed now, and handed out for applying in the same Ready.
      this.trk.progress.get(this.id)!.maybeUpdate(li);
      if (this.maybeCommit()) this.releasePendingReadIndexMessages();
      return true;
    }
    // The leader counts itself toward a quorum only once its own copy is durable: this
    // response is stepped back into this node after the Ready holding the entries is persisted.
    this.send(message({ type: 'app-resp', to: this.id, index: li }));
    return true;
  }

  private increaseUncommittedBytes(ents: Entry[]): boolean {
    let s = 0;
    for (const e of ents) s += payloadSize(e);
    const max = this.cfg.uncommittedBytesMax;
    // An empty entry is always allowed (a new leader's first entry, or leaving a joint config),
    // and so is any entry when nothing is pending, so one oversized proposal can still pass.
    if (max > 0 && this.uncommittedBytes > 0 && s > 0 && this.uncommittedBytes + s > max) return false;
    this.uncommittedBytes += s;
    return true;
  }

  reduceUncommittedBytes(ents: Entry[]): void {
    if (this.uncommittedBytes === 0) return;
    let s = 0;
    for (const e of ents) s += payloadSize(e);
    this.uncommittedBytes = s > this.uncommittedBytes ? 0 : this.uncommittedBytes - s;
  }

  // ---------------------------------------------------------------------------------------------
  // Roles.

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = None;
    }
    this.lead = None;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const lastIndex = this.raftLog.lastIndex();
    // What this node has durably: everything before the first unstable entry (none of it if a
    // snapshot is still being written).
    const durable = this.raftLog.unstable.snapshot ? 0 : Math.min(lastIndex, this.raftLog.unstable.offset - 1);
    this.trk.visit((id, pr) => {
      pr.becomeProbe();
      pr.match = (id === this.id ? durable : 0) as Index;
      pr.next = (lastIndex + 1) as Index;
      pr.recentActive = false;
      pr.leaseStamp = 0;
    });
    this.pendingConfIndex = 0 as Index;
    this.uncommittedBytes = 0;
    this.readOnly = new ReadOnly(this.cfg.readOnlyOption);
    this.pendingReadIndexMessages = [];
    this.appendBcastPending = false;
    this.readBcastPending = false;
  }

  becomeFollower(term: Term, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  becomeCandidate(): void {
    assert(this.state !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset((this.term + 1) as Term);
    this.vote = this.id;
    this.state = 'candidate';
  }

  /** A pre-candidate asks for votes without bumping its term or casting its vote (§9.6). */
  becomePreCandidate(): void {
    assert(this.state !== 'leader', 'invalid transition [leader -> pre-candidate]');
    this.trk.resetVotes();
    this.lead = None;
    this.state = 'pre-candidate';
  }

  becomeLeader(): void {
    assert(this.state !== 'follower', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    this.leaderTicks = 1;
    this.leaseRevoked = false;
    // A node outside its configuration (see promotable) leads without a progress of its own.
    const self = this.trk.progress.get(this.id);
    if (self) {
      const match = self.match;
      self.becomeReplicate();
      self.match = match;
      self.next = (this.raftLog.lastIndex() + 1) as Index;
      self.recentActive = true;
    }
    // There may be a membership change in the uncommitted tail of the log; be conservative
    // and allow no new one until everything up to here is applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of the new term: committing it commits everything before it (§3.6.2).
    const ok = this.appendEntry([{ term: 0 as Term, index: 0 as Index, type: 'normal', data: new Uint8Array(0) }]);
    assert(ok, 'empty entry was dropped');
    this.appendBcastPending = true;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.rand.int(this.cfg.electionTicks);
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = None;
  }

  // ---------------------------------------------------------------------------------------------
  // Ticks.

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.startupLeaseTicks > 0) this.startupLeaseTicks--;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(message({ type: 'hup', from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.leaderTicks++;
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(message({ type: 'check-quorum', from: this.id }));
      // A transfer that has not finished within an election timeout is abandoned.
      if (this.state === 'leader' && this.leadTransferee !== None) this.abortLeaderTransfer();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: 'beat', from: this.id }));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Elections.

  private hup(t: CampaignType): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    // A node must not campaign with a membership change committed but not applied: it would
    // count votes under the wrong configuration.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex()) as Index;
    const hi = (this.raftLog.committed + 1) as Index;
    if (lo >= hi) return false;
    for (const e of this.raftLog.slice(lo, hi, Infinity)) if (e.type === 'conf-change') return true;
    return false;
  }

  private campaign(t: CampaignType): void {
    let voteMsg: MessageType;
    let term: Term;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = 'pre-vote';
      // A pre-vote asks about the term we would take, without taking it.
      term = (this.term + 1) as Term;
    } else {
      this.becomeCandidate();
      voteMsg = 'vote';
      term = this.term;
    }
    // Our own vote counts at once: no other node can learn of this election before the Ready
    // holding our new term and vote is persisted, since messages go out only after that.
    const { result } = this.poll(this.id, true);
    if (result === 'won') {
      // A single-voter group.
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) continue;
      const m = message({
        type: voteMsg,
        to: id,
        term,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
      });
      if (t === 'transfer') m.context = campaignTransfer;
      this.send(m);
    }
  }

  private poll(id: NodeId, granted: boolean): ReturnType<ProgressTracker['tallyVotes']> {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes();
  }

  // ---------------------------------------------------------------------------------------------
  // Step: the one entry point for messages, local and remote.

  /**
   * Processes a message. Returns a ProposalDroppedError when a proposal (or read, or transfer
   * request) cannot be accepted now; every other outcome is reflected in the node's state.
   */
  step(m: Message): ProposalDroppedError | undefined {
    // Term bookkeeping first (§3.3: "If a server receives a request with a stale term
    // number, it rejects the request"; a newer term makes it a follower).
    if (m.term === 0) {
      // Local message.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        const force = m.context === campaignTransfer;
        const inLease =
          this.cfg.checkQuorum &&
          ((this.lead !== None && this.electionElapsed < this.cfg.electionTicks) || this.startupLeaseTicks > 0);
        // §4.2.3: a server that heard from a current leader within the minimum election
        // timeout does not grant votes or update its term.
        if (!force && inLease) return undefined;
      }
      if (m.type === 'pre-vote') {
        // Never change our term in response to a pre-vote.
      } else if (m.type === 'pre-vote-resp' && !m.reject) {
        // A granted pre-vote carries the future term; we take it when we win the pre-vote.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, None);
      }
    } else if (m.term < this.term) {
      if (m.type === 'heartbeat' || m.type === 'app') {
        // A leader with a stale term (cut off by a partition, or one that kept leading after
        // being removed or demoted) must learn of our term, or it may hold on forever: tell it.
        // NB: etcd answers only with pre-vote or check-quorum on, counting on vote requests
        // otherwise; but a node that cannot campaign (a learner, say) sends none.
        this.send(message({ type: 'app-resp', to: m.from }));
      } else if (m.type === 'pre-vote') {
        // Tell the pre-candidate about our newer term, or it might keep campaigning forever.
        this.send(message({ type: 'pre-vote-resp', to: m.from, term: this.term, reject: true }));
      }
      return undefined;
    }

    switch (m.type) {
      case 'hup':
        this.hup(this.cfg.preVote ? 'pre-election' : 'election');
        return undefined;
      case 'vote':
      case 'pre-vote':
        this.handleVoteRequest(m);
        return undefined;
      default:
        switch (this.state) {
          case 'leader':
            return this.stepLeader(m);
          case 'candidate':
          case 'pre-candidate':
            return this.stepCandidate(m);
          case 'follower':
            return this.stepFollower(m);
        }
    }
  }

  private handleVoteRequest(m: Message): void {
    // We can vote for m.from if we already did in this term, or have not voted and know no
    // leader, or it is a pre-vote for a future term.
    const canVote =
      this.vote === m.from ||
      (this.vote === None && this.lead === None) ||
      (m.type === 'pre-vote' && m.term > this.term);
    // §3.6.1: "the voter denies its vote if its own log is more up-to-date than that of the
    // candidate".
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // The response carries the term of the request, so a pre-candidate can count it.
      this.send(message({ type: voteRespType(m.type), to: m.from, term: m.term }));
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: voteRespType(m.type), to: m.from, term: this.term, reject: true }));
    }
  }

  private stepLeader(m: Message): ProposalDroppedError | undefined {
    switch (m.type) {
      case 'beat':
        this.bcastHeartbeat();
        return undefined;
      case 'check-quorum':
        if (!this.trk.quorumActive()) this.becomeFollower(this.term, None);
        // Every peer must prove itself active again before the next check.
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return undefined;
      case 'prop':
        return this.leaderPropose(m);
      case 'read-index':
        return this.leaderReadIndex(m);
      default:
        break;
    }
    // Everything else comes from a peer, which must be in our configuration.
    const pr = this.trk.progress.get(m.from);
    if (!pr) return undefined;
    switch (m.type) {
      case 'app-resp':
        this.handleAppendResponse(m, pr);
        return undefined;
      case 'heartbeat-resp':
        this.handleHeartbeatResponse(m, pr);
        return undefined;
      case 'snap-status':
        if (pr.state !== 'snapshot') return undefined;
        if (m.reject) pr.pendingSnapshot = 0 as Index;
        pr.becomeProbe();
        // Wait for the follower's next heartbeat response before probing again.
        pr.msgAppFlowPaused = true;
        return undefined;
      case 'unreachable':
        // The follower is probably gone; a replicating stream would only pile up messages.
        if (pr.state === 'replicate') pr.becomeProbe();
        return undefined;
      case 'transfer-leader':
        return this.leaderTransfer(m, pr);
      default:
        return undefined;
    }
  }

  private leaderPropose(m: Message): ProposalDroppedError | undefined {
    assert(m.entries.length > 0, 'stepped empty proposal');
    if (!this.trk.progress.has(this.id)) {
      // Removed from the configuration while still leading: drop, the new leader takes over.
      return new ProposalDroppedError('leader is not in the configuration');
    }
    if (this.leadTransferee !== None) {
      return new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}`);
    }
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]!;
      if (e.type !== 'conf-change') continue;
      const refusal = this.confChangeRefusal(e);
      if (refusal !== undefined) {
        // Keep the entry's slot (its index may already be known to the proposer) but empty it.
        m.entries[i] = { term: 0 as Term, index: 0 as Index, type: 'normal', data: new Uint8Array(0) };
      } else {
        this.pendingConfIndex = (this.raftLog.lastIndex() + i + 1) as Index;
      }
    }
    if (!this.appendEntry(m.entries)) return new ProposalDroppedError('too many uncommitted bytes');
    this.appendBcastPending = true;
    return undefined;
  }

  private confChangeRefusal(e: Entry): string | undefined {
    const cc = decodeConfChange(e.data);
    const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
    const alreadyJoint = this.trk.config.voters.isJoint();
    const wantsLeaveJoint = isLeaveJoint(cc);
    if (alreadyPending) return `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.raftLog.applied})`;
    if (alreadyJoint && !wantsLeaveJoint) return 'must transition out of joint config first';
    if (!alreadyJoint && wantsLeaveJoint) return 'not in joint state; refusing empty conf change';
    return undefined;
  }

  private leaderReadIndex(m: Message): ProposalDroppedError | undefined {
    if (this.trk.isSingleton()) {
      // Nobody else can be leader: the commit index is safe to read at.
      this.respondToReadIndex(m, this.raftLog.committed);
      return undefined;
    }
    // §6.4: a new leader does not know its commit index is current until it commits an entry
    // of its own term; hold the read until then.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return undefined;
    }
    this.serveReadIndex(m);
    return undefined;
  }

  private serveReadIndex(m: Message): void {
    if (this.readOnly.option === 'lease-based' && this.hasValidLease()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, m.context ?? '');
    // One heartbeat round at the end of this turn confirms leadership for every read queued.
    this.readBcastPending = true;
  }

  /**
   * The leader lease (§6.4.1). A follower that received a heartbeat stamped s refuses to vote
   * for anyone else until it has ticked electionTicks times (check-quorum's inLease), so no
   * other leader can exist before our tick s + electionTicks, s being the stamp a quorum has
   * acknowledged. One tick is kept as a margin for clock drift between nodes. Without a valid
   * lease a read falls back to the ReadIndex heartbeat round.
   *
   * Example: electionTicks 10, a quorum acked stamp 40, now 47: 47 - 40 < 9, lease valid;
   * at 49 it is not, and reads wait for a heartbeat round.
   */
  private hasValidLease(): boolean {
    if (this.leaseRevoked || this.leadTransferee !== None) return false;
    const stamp = this.trk.config.voters.committedIndex((id) =>
      id === this.id ? (this.leaderTicks as Index) : (this.trk.progress.get(id)?.leaseStamp as Index | undefined),
    );
    return stamp > 0 && this.leaderTicks - stamp < this.cfg.electionTicks - 1;
  }

  private respondToReadIndex(req: Message, index: Index): void {
    if (req.from === None || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.context ?? '' });
      return;
    }
    const resp = message({ type: 'read-index-resp', to: req.from, index });
    if (req.context !== undefined) resp.context = req.context;
    this.send(resp);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrUndefined(this.raftLog.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.serveReadIndex(m);
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // The follower's log does not match at m.index. Its hint (rejectHint, logTerm) lets us
      // skip a whole term of mismatching entries in one round trip.
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      // The snapshot is applied (or the follower caught up otherwise): resume streaming.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused && m.from !== this.id) {
      this.sendAppend(m.from);
    }
    if (m.from !== this.id) {
      // The window may have opened for several messages at once: send what we can, without
      // empty messages.
      while (this.maybeSendAppend(m.from, false)) {
        // keep sending
      }
      if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
        this.sendTimeoutNow(m.from);
      }
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.index > pr.leaseStamp) pr.leaseStamp = m.index;
    if (pr.state === 'replicate') {
      // The follower is alive but the window is full: appends or their acks were probably
      // lost. Open one slot so the next append goes out; a gap makes the follower reject it,
      // and the leader falls back to probing.
      if (pr.inflights.full()) pr.inflights.freeFirstOne();
    } else {
      pr.msgAppFlowPaused = false;
    }
    if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from);
    // Lease-based reads that found no valid lease wait for this round like 'safe' ones, so the
    // acks count whatever the option (with a valid lease nothing is queued here).
    if (m.context === undefined) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks) return;
    const votes = new Map<NodeId, boolean>();
    for (const id of acks) votes.set(id, true);
    if (this.trk.config.voters.voteResult(votes) !== 'won') return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  private leaderTransfer(m: Message, pr: Progress): ProposalDroppedError | undefined {
    const transferee = m.from;
    if (pr.isLearner) return new ProposalDroppedError(`cannot transfer leadership to learner ${transferee}`);
    if (this.leadTransferee !== None) {
      if (this.leadTransferee === transferee) return undefined; // Already in progress.
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return undefined; // Already leader.
    // The transfer must finish within one election timeout (§3.10).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.sendAppend(transferee);
    }
    return undefined;
  }

  private sendTimeoutNow(to: NodeId): void {
    // The transferee's election ignores the followers' lease: ours is void from now on.
    this.leaseRevoked = true;
    this.send(message({ type: 'timeout-now', to }));
  }

  private stepCandidate(m: Message): ProposalDroppedError | undefined {
    const myVoteResp: MessageType = this.state === 'pre-candidate' ? 'pre-vote-resp' : 'vote-resp';
    switch (m.type) {
      case 'prop':
        return new ProposalDroppedError('no leader');
      case 'read-index':
        return new ProposalDroppedError('no leader');
      case 'transfer-leader':
        return new ProposalDroppedError('no leader');
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return undefined;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return undefined;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return undefined;
      case myVoteResp: {
        const { result } = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.state === 'pre-candidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
          }
        } else if (result === 'lost') {
          // A rejection with a newer term already made us a follower in step().
          this.becomeFollower(this.term, None);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private stepFollower(m: Message): ProposalDroppedError | undefined {
    switch (m.type) {
      case 'prop':
        if (this.cfg.disableProposalForwarding && this.lead !== None) {
          return new ProposalDroppedError('proposal forwarding is disabled');
        }
        return this.forwardToLeader(m);
      case 'transfer-leader':
      case 'read-index':
        return this.forwardToLeader(m);
      case 'app':
      case 'heartbeat':
      case 'snap':
        // Hearing from the leader of our term resets the election timer.
        this.electionElapsed = 0;
        this.lead = m.from;
        if (m.type === 'app') this.handleAppendEntries(m);
        else if (m.type === 'heartbeat') this.handleHeartbeat(m);
        else this.handleSnapshot(m);
        return undefined;
      case 'timeout-now':
        // The leader asks us to take over now: skip pre-vote, and tell voters to ignore their
        // leader lease (§3.10).
        this.hup('transfer');
        return undefined;
      case 'read-index-resp':
        this.readStates.push({ index: m.index, requestCtx: m.context ?? '' });
        return undefined;
      default:
        return undefined;
    }
  }

  private forwardToLeader(m: Message): ProposalDroppedError | undefined {
    if (this.lead === None) return new ProposalDroppedError('no leader');
    m.to = this.lead;
    this.send(m);
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Follower handlers.

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      // Everything up to our commit index already matches; say so.
      this.send(message({ type: 'app-resp', to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(message({ type: 'app-resp', to: m.from, index: lastNew }));
      return;
    }
    // §5.3 optimization: hint the largest index whose term is <= the leader's term there.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex()) as Index;
    const hint = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.send(
      message({ type: 'app-resp', to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    const resp = message({ type: 'heartbeat-resp', to: m.from, index: m.index });
    if (m.context !== undefined) resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot!;
    if (this.restore(s)) {
      this.send(message({ type: 'app-resp', to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(message({ type: 'app-resp', to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader. Returns false if it is stale or not needed. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    // Committed entries handed out in a Ready are still being applied: installing a snapshot
    // now would replace the configuration under them (a membership change among them would be
    // applied to the wrong one). Refuse; the leader sends the snapshot again.
    if (this.raftLog.applying > this.raftLog.applied) return false;
    if (this.state !== 'follower') {
      // Cannot happen: only a leader of our term sends snapshots. Step down and drop it.
      this.becomeFollower((this.term + 1) as Term, None);
      return false;
    }
    const cs = s.metadata.confState;
    const inConfig = [cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(this.id));
    // A snapshot from a configuration without us would leave us unable to tell the leader we
    // have it; ignore it (the application should not send such snapshots).
    if (!inConfig) return false;
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the entries: just fast-forward the commit index.
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    const restored = restoreConfig(this.trk, cs, this.raftLog.lastIndex());
    this.switchToConfig(restored);
    const pr = this.trk.progress.get(this.id)!;
    pr.maybeUpdate((pr.next - 1) as Index);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Membership.

  /** Applies a committed membership change. Returns the resulting configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    let result: ChangeResult;
    if (isLeaveJoint(cc)) {
      result = changer.leaveJoint();
    } else {
      const { joint, autoLeave } = enterJoint(cc);
      result = joint ? changer.enterJoint(autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(result);
  }

  private switchToConfig(result: ChangeResult): ConfState {
    this.trk.setConfig(result.config, result.progress);
    this.trk.checkInvariants();
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    // A leader removed or demoted by this change keeps leading (as etcd's raft does by default):
    // it no longer counts itself, but it goes on replicating, so the remaining voters learn
    // that the change committed and apply it. Stepping down here could leave them needing the
    // vote of a node they still think is a voter. The application shuts a removed member down
    // once the change is applied everywhere it must be.
    if (this.state !== 'leader' || cs.voters.length === 0) return cs;
    // The quorum may have changed: the commit index may move, and new peers need entries.
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== None && !this.trk.config.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }
}

export function confChangeEntry(cc: ConfChange): Entry {
  return { term: 0 as Term, index: 0 as Index, type: 'conf-change', data: encodeConfChange(cc) };
}

export { ConfChangeError };

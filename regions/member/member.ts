// A member of an unsharded group: one Raft group covering the whole key space, driven on the
// main thread. It implements the EtcdBackend the API layer calls.
//
// The Ready loop (handleReady), once per event-loop turn in which anything happened:
//   1. one storage write transaction: install a snapshot from the leader, append entries, hard
//      state; apply committed entries to MVCC and the lessor; record the applied index; every
//      --snapshot-count applied entries, compact the Raft log (keeping catch-up entries behind);
//      commit with fsync;
//   2. send the messages (after the fsync: nothing is acknowledged before it is durable);
//   3. answer the proposals applied here, publish watch events, release reads;
//   4. advance.
// Every proposal and read arriving in one turn shares one Ready, one fsync and one ReadIndex
// round: that is the batching.
//
// Snapshots: the Raft log keeps no copy of the state machine. When a follower needs entries the
// log no longer has, the leader captures the state tables as of its applied index (one read of
// the last committed state) and sends that image; the follower installs it in one write with
// the snapshot's Raft metadata, then reloads what it keeps in memory (MVCC counters, leases,
// watchers). A restart needs nothing of this: the tables and the applied index are on disk.

import type {
  AlarmMember,
  AlarmType,
  EtcdBackend,
  LeaseGrantResult,
  LeaseTimeToLiveResult,
  Member as MemberInfo,
  ResponseHeader,
  StatusInfo,
} from '../../src/api/backend.js';
import { EtcdError } from '../../src/mvcc/errors.js';
import type { KvStore } from '../../src/mvcc/kv.js';
import type {
  CompactionRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../../src/mvcc/types.js';
import {
  ProposalDroppedError,
  RawNode,
  type ConfState,
  type Entry,
  type Index,
  type Message,
  type NodeId,
  type Ready,
  type Snapshot,
  type Term,
} from '../../src/raft/index.js';
import type { Storage } from '../../src/raft/storage.js';
import type { Rand } from '../../src/util/prng.js';
import type { WatchHub } from '../../src/watch/types.js';
import { AutoCompactor } from './auto_compaction.js';
import type { AutoCompaction } from '../../src/cli/flags.js';
import { Applier, isReadOnlyTxn, type AlarmStore, type ApplyOutcome, type MemberDirectory, type ReplicatedLeases } from './apply.js';
import { decodeRequest, encodeRequest, type RaftRequest } from './requests.js';

/** The raft log store as the member uses it: the core's Storage plus writes inside a transaction. */
export interface MemberRaftStore extends Storage {
  append(entries: Entry[]): void;
  /** Replaces the log with a snapshot's point (the image itself is installed separately). */
  applySnapshot(snap: Snapshot): void;
  /** Drops entries up to and including index. */
  compact(index: Index): void;
  confState(): ConfState;
  setHardState(hs: { term: number; vote: number; commit: number }): void;
  setApplied(index: number): void;
  applied(): number;
}

/** The leader-side half of the lessor. */
export interface LeaderLeases {
  promote(now: number): void;
  demote(): void;
  /** Renews a lease; remaining TTL in seconds, 0 if it does not exist. */
  renew(id: bigint, now: number): number;
  /** Leases whose time is up (not yet being revoked). */
  expired(now: number, max: number): bigint[];
  timeToLive(id: bigint, now: number, keys: boolean): LeaseTimeToLiveResult;
  leases(): bigint[];
  exists(id: bigint): boolean;
}

/** The state machine's tables as one image, for Raft snapshots. */
export interface StateImage {
  /** The image of the last committed state (outside a write). */
  capture(): Uint8Array;
  /** Replaces the state with an image; inside the write that records the snapshot. */
  install(image: Uint8Array): void;
  /** After the install committed: reload what is kept in memory. */
  installed(): void;
}

export interface PeerInfo {
  raftId: NodeId;
  memberId: bigint;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

export interface PeerTransport {
  send(to: NodeId, msgs: Message[]): void;
}

export interface MemberOptions {
  raftId: NodeId;
  memberId: bigint;
  clusterId: bigint;
  peers: PeerInfo[];
  heartbeatMs: number;
  electionMs: number;
  /** A write transaction that is durable when it returns. */
  write(fn: () => void): void;
  dbSize(): { total: number; inUse: number };
  raftStore: MemberRaftStore;
  stateImage: StateImage;
  /** Applied entries between two Raft log compactions (etcd's --snapshot-count). */
  snapshotCount: number;
  /** Entries kept behind a compaction, so a follower slightly behind needs no snapshot. */
  snapshotCatchUpEntries: number;
  kv: KvStore;
  replicatedLeases: ReplicatedLeases;
  leaderLeases: LeaderLeases;
  watchHub: WatchHub & { publish(events: Event[], revision: number): void };
  /** Published member attributes (client URLs), stored with the rest of the state. */
  directory: MemberDirectory & { clientURLsOf(memberId: bigint): string[] | undefined };
  /** The replicated alarms (a table of the state machine). */
  alarms: AlarmStore;
  /** --quota-backend-bytes: past it, writes fail with NoSpace and NOSPACE is raised; null = no quota. */
  quotaBytes: number | null;
  /** This member's client URLs, published through the log at start. */
  clientURLs: string[];
  transport?: PeerTransport;
  clock: () => number;
  rand: Rand;
  requestTimeoutMs?: number;
  /** --auto-compaction-mode/-retention; undefined or zero retention = off. */
  autoCompaction?: AutoCompaction;
  /** Observers for metrics. */
  hooks?: MemberHooks;
}

export interface MemberHooks {
  leaderChanged?(hasLeader: boolean, isLeader: boolean): void;
  committed?(n: number): void;
  applied?(n: number): void;
  proposalFailed?(): void;
  fsync?(seconds: number): void;
  /** A snapshot went to a follower (member ID), delivered or not. */
  snapshotSent?(to: bigint, ok: boolean): void;
  /** A snapshot from the leader (member ID, 0 if unknown) was installed. */
  snapshotInstalled?(from: bigint, index: number): void;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const maxLeaseTtlSeconds = 9_000_000_000;
/** Reads queued on one member before it stops accepting more (each waits for one ReadIndex round). */
const pendingReadsMax = 100_000;
/** Raft log entries one write removes while the log is being compacted. */
const compactEntriesPerWrite = 2_000;
/** How stale the database size the quota check uses may be. */
const quotaSizeRefreshMs = 100;

export class EtcdMember implements EtcdBackend {
  readonly node: RawNode;
  readonly watchHub: WatchHub;
  private readonly o: MemberOptions;
  private readonly applier: Applier;
  private readonly waiters = new Map<string, Waiter>();
  private seq = 0;
  private readonly ridPrefix: string;
  private scheduled = false;
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Reads waiting for the next ReadIndex round. */
  private readQueue: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Reads whose round is in flight, by request context. */
  private readonly readRounds = new Map<string, Array<{ resolve: () => void; reject: (e: Error) => void }>>();
  /** When each read round was started, to retry rounds whose messages were lost. */
  private readonly readRoundStarted = new Map<string, number>();
  /** Reads confirmed at an index, waiting for it to be applied. */
  private readReady: Array<{ index: number; waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> }> = [];
  private readSeq = 0;
  private leaderKnown = false;
  private isLeader = false;
  private revoking = new Set<bigint>();
  private lastLeaseCheck = 0;
  private readonly compactor: AutoCompactor | undefined;
  /** Applied index at the last Raft log compaction (or start). */
  private compactedAt: number;
  /** The index the log is being compacted up to, a slice per write. */
  private compactTarget = 0;
  /** The last image sent to a follower, reused while the applied index has not moved. */
  private lastSnapshot: Snapshot | undefined;
  /** The database's bytes in use when last measured, for the quota check. */
  private sizeInUse = 0;
  private sizeMeasuredAt = -Infinity;

  constructor(opts: MemberOptions) {
    this.o = opts;
    this.watchHub = opts.watchHub;
    this.applier = new Applier(opts.kv, opts.replicatedLeases, opts.directory, {
      renewIfLeader: (id) => {
        if (this.isLeader) return opts.leaderLeases.renew(id, opts.clock());
        return opts.leaderLeases.exists(id) ? opts.leaderLeases.timeToLive(id, opts.clock(), false).grantedTtl : 0;
      },
    }, opts.alarms);
    this.compactor = opts.autoCompaction ? new AutoCompactor(opts.autoCompaction) : undefined;
    this.ridPrefix = `${opts.memberId.toString(16)}-${opts.clock().toString(36)}`;
    const electionTicks = Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs));
    this.compactedAt = opts.raftStore.applied();
    const store = opts.raftStore;
    const storage: Storage = {
      initialState: () => store.initialState(),
      entries: (lo, hi, maxBytes) => store.entries(lo, hi, maxBytes),
      term: (i) => store.term(i),
      lastIndex: () => store.lastIndex(),
      firstIndex: () => store.firstIndex(),
      snapshot: () => this.snapshotForFollower(),
    };
    this.node = new RawNode({
      id: opts.raftId,
      group: 1,
      storage,
      applied: opts.raftStore.applied() as Index,
      electionTicks,
      heartbeatTicks: 1,
      preVote: true,
      checkQuorum: true,
      readOnlyOption: 'safe',
      // handleReady appends a Ready's entries and applies its committed entries in one write.
      applyWithPersist: true,
      rand: opts.rand,
    });
  }

  /** The peer transport, once it is listening (it calls receive()). */
  attachTransport(t: PeerTransport): void {
    this.o.transport = t;
  }

  start(): void {
    this.ticker = setInterval(() => this.tick(), this.o.heartbeatMs);
    this.ticker.unref?.();
    // A member alone in its group elects itself at once instead of waiting a timeout.
    if (this.o.peers.length === 1) this.node.campaign();
    this.schedule();
    this.publishSelf();
  }

  private publishedResolve: (() => void) | undefined;
  /** Resolves once this member's attributes are in the log and applied here (etcd then serves clients). */
  readonly published: Promise<void> = new Promise((resolve) => {
    this.publishedResolve = resolve;
  });

  /** Announces this member's client URLs through the log, retrying until it lands. */
  private publishSelf(): void {
    if (this.stopped) return;
    const self = this.o.peers.find((p) => p.raftId === this.o.raftId)!;
    this.propose({ op: 'publish', memberId: this.o.memberId, name: self.name, clientURLs: this.o.clientURLs }).then(() => this.publishedResolve?.(), () => {
      const t = setTimeout(() => this.publishSelf(), this.o.heartbeatMs * 5);
      t.unref?.();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const [, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new EtcdError('Stopped'));
    }
    this.waiters.clear();
    this.failReads(new EtcdError('Stopped'));
  }

  // -------------------------------------------------------------------------------------------
  // Inputs.

  /** Messages from peers (the transport calls this). */
  receive(msgs: Message[]): void {
    if (this.stopped) return;
    for (const m of msgs) this.node.step(m);
    this.schedule();
  }

  reportUnreachable(raftId: NodeId): void {
    this.node.reportUnreachable(raftId);
    this.schedule();
  }

  reportSnapshot(raftId: NodeId, ok: boolean): void {
    this.lastSnapshot = undefined;
    const to = this.o.peers.find((p) => p.raftId === raftId);
    if (to) this.o.hooks?.snapshotSent?.(to.memberId, ok);
    this.node.reportSnapshot(raftId, ok);
    this.schedule();
  }

  private tick(): void {
    if (this.stopped) return;
    this.node.tick();
    this.maybeExpireLeases();
    this.maybeAutoCompact();
    this.retryStaleReadRounds();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /** Runs Ready rounds until the node has nothing more to do this turn. */
  private run(): void {
    if (this.stopped) return;
    this.startReadRound();
    if (this.node.hasReady()) this.handleReady(this.node.ready());
    if (this.node.hasReady()) this.schedule();
  }

  // -------------------------------------------------------------------------------------------
  // The Ready loop.

  private handleReady(rd: Ready): void {
    const outcomes: Array<{ rid: string; outcome: ApplyOutcome }> = [];
    let applied = 0;
    const t0 = process.hrtime.bigint();
    const snap = rd.snapshot;
    const mustWrite = rd.entries.length > 0 || rd.hardState !== undefined || rd.committedEntries.length > 0 || snap !== undefined;
    if (mustWrite) this.o.write(() => {
      if (snap) {
        // The image goes into the state tables; the log keeps only the snapshot's point.
        this.o.raftStore.applySnapshot({ metadata: snap.metadata, data: new Uint8Array(0) });
        this.o.stateImage.install(snap.data);
        this.o.raftStore.setApplied(snap.metadata.index);
        this.compactedAt = snap.metadata.index;
      }
      if (rd.entries.length > 0) this.o.raftStore.append(rd.entries);
      if (rd.hardState) this.o.raftStore.setHardState(rd.hardState);
      for (const e of rd.committedEntries) {
        applied = e.index;
        if (e.type !== 'normal' || e.data.length === 0) continue;
        const env = decodeRequest(e.data);
        const outcome = this.applier.apply(env.r);
        if (this.waiters.has(env.rid)) outcomes.push({ rid: env.rid, outcome });
        if (env.r.op === 'leaseRevoke') this.revoking.delete(env.r.id);
      }
      if (applied > 0) {
        this.o.raftStore.setApplied(applied);
        this.maybeCompactLog(applied);
      }
    });
    if (mustWrite) this.o.hooks?.fsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
    if (snap) {
      this.o.stateImage.installed();
      const from = this.o.peers.find((p) => p.raftId === this.node.raft.lead);
      this.o.hooks?.snapshotInstalled?.(from?.memberId ?? 0n, snap.metadata.index);
    }
    // Durable: now the messages may go out.
    if (rd.messages.length > 0) this.sendMessages(rd.messages);
    if (rd.softState) this.onSoftState(rd.softState.lead, rd.softState.role === 'leader');
    if (rd.committedEntries.length > 0) {
      this.o.hooks?.committed?.(rd.committedEntries.length);
      this.o.hooks?.applied?.(rd.committedEntries.length);
    }
    const events = this.o.kv.drainEvents();
    if (events.length > 0) this.o.watchHub.publish(events, this.o.kv.currentRevision());
    for (const { rid, outcome } of outcomes) {
      const w = this.waiters.get(rid)!;
      this.waiters.delete(rid);
      clearTimeout(w.timer);
      if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.error);
    }
    for (const rs of rd.readStates) {
      const waiters = this.readRounds.get(rs.requestCtx);
      if (!waiters) continue;
      this.readRounds.delete(rs.requestCtx);
      this.readRoundStarted.delete(rs.requestCtx);
      this.readReady.push({ index: rs.index, waiters });
    }
    this.node.advance(rd);
    this.releaseReads();
  }

  private sendMessages(msgs: Message[]): void {
    const t = this.o.transport;
    if (!t) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of msgs) {
      let l = byPeer.get(m.to);
      if (!l) byPeer.set(m.to, (l = []));
      l.push(m);
    }
    for (const [to, l] of byPeer) t.send(to, l);
  }

  private onSoftState(lead: NodeId, isLeader: boolean): void {
    const hadLeader = this.leaderKnown;
    this.leaderKnown = lead !== 0;
    if (isLeader && !this.isLeader) {
      this.o.leaderLeases.promote(this.o.clock());
      this.compactor?.reset();
    }
    if (!isLeader && this.isLeader) this.o.leaderLeases.demote();
    this.isLeader = isLeader;
    if (hadLeader !== this.leaderKnown || isLeader) this.o.hooks?.leaderChanged?.(this.leaderKnown, isLeader);
    if (!this.leaderKnown) {
      // Reads in flight may never be confirmed by a deposed leader: let clients retry.
      for (const [, ws] of this.readRounds) for (const w of ws) w.reject(new EtcdError('NoLeader'));
      this.readRounds.clear();
      this.readRoundStarted.clear();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Raft log compaction and snapshots.

  /** Inside the Ready's write: every snapshotCount applied entries, drop the log behind them. */
  private maybeCompactLog(applied: number): void {
    if (applied - this.compactedAt >= this.o.snapshotCount) {
      this.compactedAt = applied;
      this.compactTarget = applied - this.o.snapshotCatchUpEntries;
    }
    // Removing 100,000 entries in one write would stall this Ready for a noticeable time: each
    // write removes at most compactEntriesPerWrite of them until the target is reached.
    const first = this.o.raftStore.firstIndex();
    if (this.compactTarget >= first) this.o.raftStore.compact(Math.min(this.compactTarget, first - 1 + compactEntriesPerWrite) as Index);
  }

  /**
   * The snapshot the core sends a follower the log cannot serve: the state as of the applied
   * index (everything applied is committed in storage, so the image and the index agree).
   */
  private snapshotForFollower(): Snapshot {
    const store = this.o.raftStore;
    const index = store.applied();
    if (this.lastSnapshot?.metadata.index === index) return this.lastSnapshot;
    const metadata = { index: index as Index, term: store.term(index as Index) as Term, confState: store.confState() };
    this.lastSnapshot = { metadata, data: this.o.stateImage.capture() };
    return this.lastSnapshot;
  }

  // -------------------------------------------------------------------------------------------
  // Proposals.

  private propose<T>(r: RaftRequest): Promise<T> {
    if (this.stopped) return Promise.reject(new EtcdError('Stopped'));
    const rid = `${this.ridPrefix}:${this.seq++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiters.delete(rid)) {
          this.o.hooks?.proposalFailed?.();
          reject(new EtcdError('Timeout'));
        }
      }, this.o.requestTimeoutMs ?? 7000);
      timer.unref?.();
      this.waiters.set(rid, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.node.propose(encodeRequest({ rid, r }));
      } catch (err) {
        this.waiters.delete(rid);
        clearTimeout(timer);
        this.o.hooks?.proposalFailed?.();
        reject(err instanceof ProposalDroppedError ? new EtcdError('NoLeader') : err);
        return;
      }
      this.schedule();
    });
  }

  // -------------------------------------------------------------------------------------------
  // Linearizable reads: queued, then confirmed in one ReadIndex round per turn.

  private linearizable(): Promise<void> {
    if (this.readQueue.length + this.readRounds.size >= pendingReadsMax) return Promise.reject(new EtcdError('Timeout'));
    return new Promise<void>((resolve, reject) => {
      this.readQueue.push({ resolve, reject });
      this.schedule();
    });
  }

  private startReadRound(): void {
    if (this.readQueue.length === 0) return;
    const ctx = `r${this.readSeq++}`;
    const waiters = this.readQueue;
    this.readQueue = [];
    try {
      this.node.readIndex(ctx);
    } catch (err) {
      const e = err instanceof ProposalDroppedError ? new EtcdError('NoLeader') : (err as Error);
      for (const w of waiters) w.reject(e);
      return;
    }
    this.readRounds.set(ctx, waiters);
    this.readRoundStarted.set(ctx, this.o.clock());
  }

  /**
   * A round whose request or answer was lost (a link down, a leader change) would leave its
   * reads waiting forever: after a few heartbeats they join the next round instead.
   */
  private retryStaleReadRounds(): void {
    if (this.readRounds.size === 0) return;
    const cutoff = this.o.clock() - 3 * this.o.heartbeatMs;
    for (const [ctx, started] of this.readRoundStarted) {
      if (started > cutoff) continue;
      const waiters = this.readRounds.get(ctx);
      this.readRounds.delete(ctx);
      this.readRoundStarted.delete(ctx);
      if (waiters) for (const w of waiters) this.readQueue.push(w);
    }
  }

  private releaseReads(): void {
    if (this.readReady.length === 0) return;
    const applied = this.node.raft.raftLog.applied;
    const keep: typeof this.readReady = [];
    for (const r of this.readReady) {
      if (r.index <= applied) for (const w of r.waiters) w.resolve();
      else keep.push(r);
    }
    this.readReady = keep;
  }

  private failReads(e: Error): void {
    for (const w of this.readQueue) w.reject(e);
    this.readQueue = [];
    for (const [, ws] of this.readRounds) for (const w of ws) w.reject(e);
    this.readRounds.clear();
    this.readRoundStarted.clear();
    for (const r of this.readReady) for (const w of r.waiters) w.reject(e);
    this.readReady = [];
  }

  // -------------------------------------------------------------------------------------------
  // Leases: the leader revokes what expired, through Raft.

  private maybeExpireLeases(): void {
    if (!this.isLeader) return;
    const now = this.o.clock();
    if (now - this.lastLeaseCheck < 500) return;
    this.lastLeaseCheck = now;
    for (const id of this.o.leaderLeases.expired(now, 1000)) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.propose({ op: 'leaseRevoke', id }).catch(() => {
        // Retried on a later check.
        this.revoking.delete(id);
      });
    }
  }

  private maybeAutoCompact(): void {
    if (!this.isLeader || !this.compactor) return;
    const kv = this.o.kv;
    const rev = this.compactor.due(this.o.clock(), kv.currentRevision(), kv.compactRevision());
    if (rev === undefined) return;
    this.propose({ op: 'compact', req: { revision: rev, physical: false } }).catch(() => {
      // A compaction that lost a race (already compacted) or a leader change: the next check retries.
    });
  }

  // -------------------------------------------------------------------------------------------
  // Space quota.

  /**
   * etcd's quota check, before proposing: a request that would take the database past the quota
   * fails with NoSpace and raises NOSPACE for this member through the log; while NOSPACE is
   * raised (by any member) such requests fail at once. The database size is the bytes of the
   * pages LMDB uses (its file never shrinks: freed pages are reused, so the file size would keep
   * the alarm up for ever).
   */
  private checkQuota(cost: number): void {
    if (this.o.alarms.raised('NOSPACE')) throw new EtcdError('NoSpace');
    if (this.o.quotaBytes === null || cost === 0) return;
    // Measuring the size walks every table's statistics: once per quotaSizeRefreshMs is enough
    // (etcd also checks against the size of its last commit).
    const now = this.o.clock();
    if (now - this.sizeMeasuredAt >= quotaSizeRefreshMs) {
      this.sizeInUse = this.o.dbSize().inUse;
      this.sizeMeasuredAt = now;
    }
    if (this.sizeInUse + cost <= this.o.quotaBytes) return;
    this.propose({ op: 'alarm', action: 'ACTIVATE', memberId: this.o.memberId, alarm: 'NOSPACE' }).catch(() => {
      // The next write past the quota proposes it again.
    });
    throw new EtcdError('NoSpace');
  }

  // -------------------------------------------------------------------------------------------
  // EtcdBackend.

  header(revision?: number): ResponseHeader {
    return {
      clusterId: this.o.clusterId,
      memberId: this.o.memberId,
      revision: revision ?? this.o.kv.currentRevision(),
      raftTerm: this.node.raft.term,
    };
  }

  async range(req: RangeRequest): Promise<RangeResponse> {
    if (!req.serializable) await this.linearizable();
    return this.o.kv.range(req);
  }

  put(req: PutRequest): Promise<PutResponse> {
    this.checkQuota(kvOverheadBytes + req.key.length + req.value.length);
    return this.propose({ op: 'put', req });
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.propose({ op: 'deleteRange', req });
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    // A txn that only reads needs no proposal, but must still be linearizable.
    if (isReadOnlyTxn(req)) {
      await this.linearizable();
      return this.o.kv.txn(req);
    }
    this.checkQuota(costOfTxn(req));
    return this.propose({ op: 'txn', req });
  }

  compact(req: CompactionRequest): Promise<{ revision: number }> {
    return this.propose({ op: 'compact', req });
  }

  async leaseGrant(ttl: number, id: bigint): Promise<LeaseGrantResult> {
    if (ttl > maxLeaseTtlSeconds) throw new EtcdError('LeaseTTLTooLarge');
    this.checkQuota(kvOverheadBytes);
    let leaseId = id;
    if (leaseId === 0n) {
      // Chosen before proposing, so applying stays deterministic: a random positive int64.
      do {
        const hi = BigInt(this.o.rand.int(0x80000000));
        const lo = BigInt(this.o.rand.int(0x100000000));
        leaseId = (hi << 32n) | lo;
      } while (leaseId === 0n || this.o.leaderLeases.exists(leaseId));
    }
    return this.propose({ op: 'leaseGrant', id: leaseId, ttl });
  }

  leaseRevoke(id: bigint): Promise<{ revision: number }> {
    return this.propose({ op: 'leaseRevoke', id });
  }

  async leaseKeepAlive(id: bigint): Promise<LeaseGrantResult> {
    if (this.isLeader) return { id, ttl: this.o.leaderLeases.renew(id, this.o.clock()) };
    // Only the leader keeps deadlines: a follower sends the keep-alive to it through the log.
    return this.propose({ op: 'leaseKeepAlive', id });
  }

  async leaseTimeToLive(id: bigint, keys: boolean): Promise<LeaseTimeToLiveResult> {
    await this.linearizable();
    return this.o.leaderLeases.timeToLive(id, this.o.clock(), keys);
  }

  async leaseLeases(): Promise<bigint[]> {
    await this.linearizable();
    return this.o.leaderLeases.leases();
  }

  async status(): Promise<StatusInfo> {
    const st = this.node.status();
    const lead = this.o.peers.find((p) => p.raftId === st.softState.lead);
    const size = this.o.dbSize();
    return {
      version: '3.4.23',
      dbSize: size.total,
      dbSizeInUse: size.inUse,
      leader: lead?.memberId ?? 0n,
      raftIndex: this.node.raft.raftLog.committed,
      raftTerm: st.hardState.term,
      raftAppliedIndex: st.applied,
      errors: this.o.alarms.list().map((a) => `memberID:${a.memberId} alarm:${a.alarm} `),
      isLearner: this.node.raft.isLearner,
    };
  }

  /** The first published client URL of the member with this Raft ID (PD points clients at its leader). */
  clientUrlOfRaftId(raftId: NodeId): string | undefined {
    const p = this.o.peers.find((x) => x.raftId === raftId);
    return p ? this.o.directory.clientURLsOf(p.memberId)?.[0] : undefined;
  }

  async memberList(): Promise<MemberInfo[]> {
    return this.o.peers.map((p) => ({
      id: p.memberId,
      name: p.name,
      peerURLs: p.peerURLs,
      clientURLs: this.o.directory.clientURLsOf(p.memberId) ?? [],
      isLearner: false,
    }));
  }

  async alarm(action: 'GET' | 'ACTIVATE' | 'DEACTIVATE', memberId: bigint, alarm: AlarmType): Promise<AlarmMember[]> {
    if (action === 'GET') {
      await this.linearizable();
      // etcd: GET with alarm NONE lists every alarm, otherwise those of that type.
      return this.o.alarms.list().filter((a) => alarm === 'NONE' || a.alarm === alarm);
    }
    return this.propose({ op: 'alarm', action, memberId, alarm });
  }

  async hash(): Promise<{ hash: number; revision: number }> {
    return { hash: this.o.kv.hash(), revision: this.o.kv.currentRevision() };
  }

  async hashKV(revision: number): Promise<{ hash: number; compactRevision: number; revision: number }> {
    return this.o.kv.hashKV(revision);
  }

  async moveLeader(targetId: bigint): Promise<void> {
    if (!this.isLeader) throw new EtcdError('NotLeader');
    const target = this.o.peers.find((p) => p.memberId === targetId);
    if (!target) throw new EtcdError('BadLeaderTransferee');
    if (target.raftId === this.o.raftId) return;
    this.node.transferLeader(target.raftId);
    this.schedule();
    // etcd waits until the transferee leads, or fails after the request timeout.
    const deadline = this.o.clock() + (this.o.requestTimeoutMs ?? 7000);
    while (this.o.clock() < deadline) {
      await new Promise((r) => setTimeout(r, this.o.heartbeatMs));
      if (this.node.raft.lead === target.raftId) return;
    }
    throw new EtcdError('Timeout', 'etcdserver: request timed out, leader transfer took too long');
  }

  async defragment(): Promise<void> {
    // LMDB reuses freed pages in place; there is nothing to rewrite.
  }
}

/** etcd's estimate of what a request adds to the database (etcdserver/quota.go): 256 bytes of overhead per key. */
const kvOverheadBytes = 256;

function costOfOps(ops: TxnRequest['success']): number {
  let cost = 0;
  for (const op of ops) {
    if ('requestPut' in op) cost += kvOverheadBytes + op.requestPut.key.length + op.requestPut.value.length;
    else if ('requestTxn' in op) cost += costOfTxn(op.requestTxn);
  }
  return cost;
}

function costOfTxn(req: TxnRequest): number {
  return Math.max(costOfOps(req.success), costOfOps(req.failure));
}

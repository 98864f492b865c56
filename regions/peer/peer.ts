// One replica of one region, hosted by a lane. The peer's state sits here in one place (TiKV's
// habit): the region's metadata, its Raft node, the proposals and reads waiting on it. The lane
// drives it; a peer never commits storage nor posts messages itself.
//
// Propose: a client call arrives with the router's epoch. Checked first: this peer leads, the
//   epoch's version is the region's, every key lies inside the region. Reads: serializable ones
//   are answered at once; linearizable ones wait for one ReadIndex round per loop. Writes wait
//   for timestamps: the lane asks PD's oracle once per loop for all its peers' new writes and
//   hands them out in arrival order, so a region's revisions grow in log order. The entry
//   carries its revision, so applying stays deterministic.
// Apply (inside the lane's storage write): the entry's epoch and keys are checked again against
//   the region as it is at that point of the log (a split may have come before it), then the
//   write goes to the lane's tablet at the entry's revision.
// On apply result: the proposer's call is answered after the write is durable.

import type { PeerId, Region, RegionEpoch, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';
import { compareKeys, keyInRange } from '../../src/cluster/region.js';
import { slotOf } from '../../src/router/slots.js';
import type { LeaseIndex } from '../lane/lease_index.js';
import { EtcdError } from '../../src/mvcc/errors.js';
import type { MvccStore } from '../../src/mvcc/index.js';
import type { RangeRequest, TxnRequest } from '../../src/mvcc/types.js';
import {
  ProposalDroppedError,
  RawNode,
  type Entry,
  type Index,
  type Message,
  type NodeId,
  type Ready,
  type Snapshot,
} from '../../src/raft/index.js';
import type { Storage } from '../../src/raft/storage.js';
import type { RaftLogStore } from '../../src/storage/index.js';
import { pack, unpack } from '../../src/util/msgpack.js';
import type { Rand } from '../../src/util/prng.js';
import type { CallError, RegionOp } from '../lane/protocol.js';
import type { JobOutcome } from '../jobs/jobs.js';
import type { LocalRegionState, RegionEvents } from '../../src/cluster/region_ops.js';
import { applySlotCommand, keyInSlots, slotsInBytesMax, type MovingSlots, type SlotCommand } from './slot_move.js';
import { changePeerOfEntry, execAdmin, toConfChange, type AdminCommand, type AdminError, type AdminResult, type ChangePeer, type MergeState, type PeerChange } from './admin/index.js';

/** What a region snapshot carries: the region, and its keys as MVCC range image chunks. */
interface SnapshotImage {
  region: Region;
  chunks: Uint8Array[];
  /** The region's compaction revision (reads below it answer Compacted). */
  compactRev?: number;
}

/** An admin command as it sits in a Raft entry (metadata only: no data moves). */
interface AdminEntry {
  rid: string;
  admin: AdminCommand;
}

/** A slot move's step as it sits in a Raft entry (hash mode). */
interface SlotEntry {
  rid: string;
  slots: SlotCommand;
}

/** A write as it sits in a Raft entry. */
interface WriteEntry {
  /** Proposer's call key: `${lane incarnation}:${seq}`; the proposer answers its call by it. */
  rid: string;
  rev: number;
  version: number;
  op: Extract<RegionOp, { op: 'put' | 'deleteRange' | 'txn' | 'compact' }>;
}

export type Reply = (ok: boolean, value: unknown) => void;

interface PendingWrite {
  entry: Omit<WriteEntry, 'rev'>;
  reply: Reply;
}

export interface PeerContext {
  /** The newest timestamp the lane has received from PD's oracle. */
  lastTimestamp(): number;
  /** Now, in ms (for held feed calls). */
  now(): number;
  /** Which keys of the lane's tablets carry which lease. */
  leases: LeaseIndex;
  /** A hibernating peer woke up: the lane drives it again. */
  onWake(peer: Peer): void;
  /** The tablet a region's keys live in: shared by a lane's range-mode regions, one per hash group. */
  kvFor(region: Region): MvccStore;
  /** Inside the lane's write: the region's new shape is durable with the applied index. */
  saveRegion(peer: Peer): void;
  /** Inside the lane's write: a split created these regions; the lane creates their peers. */
  onSplit(parent: Peer, created: Region[]): void;
  /**
   * Where to cut `region` so that about half its bytes fall on each side (undefined: too little
   * to cut), found off the lane's thread (regions/jobs/split_key.ts). `done` runs on the lane
   * once the answer is back, the lane's Ready loop after it; never if the lane stopped.
   */
  splitKeyNearMiddle(region: Region, done: (o: JobOutcome<Uint8Array | undefined>) => void): void;
  /** Inside the lane's write: this peer was removed from its region; the lane destroys it. */
  onRemoved(peer: Peer): void;
  /** Inside the lane's write: `target` took `source`'s range; the source's peer here goes (its keys stay). */
  onMerged(target: Peer, source: Region): void;
  /** Whether this lane hosts the source's peer, frozen to merge into `target` at the source's epoch. */
  localMergeSource(source: Region, target: RegionId): boolean;
  /** This lane's number. */
  lane: number;
  rand: Rand;
  electionTicks: number;
  hibernateTicks: number;
}

/** Keys (or key ranges) an operation touches, for the in-region check. */
function keysOf(op: RegionOp): Array<{ key: Uint8Array; end: Uint8Array }> {
  const one = (key: Uint8Array, rangeEnd: Uint8Array) => ({ key, end: rangeEnd });
  switch (op.op) {
    case 'range':
    case 'deleteRange':
      return [one(op.req.key, op.req.rangeEnd)];
    case 'put':
      return [one(op.req.key, new Uint8Array(0))];
    case 'txn':
      return keysOfTxn(op.req);
    default:
      return [];
  }
}

function keysOfTxn(t: TxnRequest): Array<{ key: Uint8Array; end: Uint8Array }> {
  const out: Array<{ key: Uint8Array; end: Uint8Array }> = [];
  for (const c of t.compare) out.push({ key: c.key, end: c.rangeEnd });
  for (const ops of [t.success, t.failure]) {
    for (const o of ops) {
      if ('requestRange' in o) out.push({ key: o.requestRange.key, end: o.requestRange.rangeEnd });
      else if ('requestPut' in o) out.push({ key: o.requestPut.key, end: new Uint8Array(0) });
      else if ('requestDeleteRange' in o) out.push({ key: o.requestDeleteRange.key, end: o.requestDeleteRange.rangeEnd });
      else if ('requestTxn' in o) out.push(...keysOfTxn(o.requestTxn));
    }
  }
  return out;
}

/**
 * Whether [key, end) (etcd's encoding: empty end = one key, "\0" = from key on) lies inside the
 * region. A range reaching past the region's end is outside: the router clips ranges first.
 */
function insideRegion(r: Region, key: Uint8Array, end: Uint8Array): boolean {
  if (r.slots) {
    // A hash group's tablet holds only its own keys: a range reads just those (the router asks
    // every group and merges); a single key must hash to one of the group's slots.
    if (end.length !== 0) return true;
    const slot = slotOf(key);
    return r.slots.some(([from, to]) => slot >= from && slot <= to);
  }
  if (!keyInRange(key, r.start, r.end)) return false;
  if (end.length === 0) return true;
  const fromKey = end.length === 1 && end[0] === 0;
  if (r.end.length === 0) return true;
  if (fromKey) return false;
  // [key, end) must end at or before the region's end.
  return Buffer.compare(Buffer.from(end.buffer, end.byteOffset, end.length), Buffer.from(r.end.buffer, r.end.byteOffset, r.end.length)) <= 0;
}

export class Peer {
  readonly node: RawNode;
  region: Region;
  readonly peerId: NodeId;
  private readonly ctx: PeerContext;
  private readonly log: RaftLogStore;
  /** Calls waiting for their entry to apply, by rid. */
  private readonly waiting = new Map<string, Reply>();
  /** Writes waiting for a timestamp. */
  private awaitingTs: PendingWrite[] = [];
  /** Hash mode: slots frozen here for a move to another group (see slot_move.ts). */
  moving: MovingSlots | undefined;
  /** History below this revision is gone from this region (0: never compacted). */
  compactRev: number;
  /** Range mode: this region is a merge source, frozen until the target takes it. */
  merging: MergeState | undefined;
  /** Linearizable reads waiting for the next ReadIndex round, and rounds in flight. */
  private readQueue: QueuedRead[] = [];
  private readonly readRounds = new Map<string, QueuedRead[]>();
  private readReady: Array<{ index: number; reads: QueuedRead[] }> = [];
  private readSeq = 0;
  /** The revision of the last write applied (or proposed, on the leader) in this region. */
  private lastRev = 0;
  private idleTicks = 0;
  /** Writes applied and reads served since the last stats report (for PD's hot-region view). */
  writesSinceReport = 0;
  readsSinceReport = 0;
  hibernating = false;
  lead: NodeId = 0;

  /**
   * False for a peer created by a message of a region this store did not host (a new replica):
   * it knows nothing of its region until the leader's snapshot arrives, and serves nothing.
   */
  initialized: boolean;
  /** Set once this peer was removed from its region: the lane drops it after the write. */
  removed = false;

  constructor(opts: { region: Region; peerId: NodeId; log: RaftLogStore; ctx: PeerContext; applied: Index; lastRev: number; initialized?: boolean; moving?: MovingSlots; merging?: MergeState; compactRev?: number }) {
    this.initialized = opts.initialized ?? true;
    this.moving = opts.moving;
    this.compactRev = opts.compactRev ?? 0;
    this.merging = opts.merging;
    this.region = opts.region;
    this.peerId = opts.peerId;
    this.ctx = opts.ctx;
    this.log = opts.log;
    this.lastRev = opts.lastRev;
    const log = opts.log;
    const storage: Storage = {
      initialState: () => log.initialState(),
      entries: (lo, hi, maxBytes) => log.entries(lo, hi, maxBytes),
      term: (i) => log.term(i),
      lastIndex: () => log.lastIndex(),
      firstIndex: () => log.firstIndex(),
      snapshot: () => this.snapshotForFollower(),
    };
    this.node = new RawNode({
      id: opts.peerId,
      group: opts.region.id,
      storage,
      applied: opts.applied,
      electionTicks: opts.ctx.electionTicks,
      heartbeatTicks: 1,
      preVote: true,
      checkQuorum: true,
      readOnlyOption: 'safe',
      applyWithPersist: true,
      rand: opts.ctx.rand,
    });
  }

  /** The tablet of this region's keys (a new replica learns which from its first snapshot). */
  private get kv(): MvccStore {
    return this.ctx.kvFor(this.region);
  }

  /** The region a snapshot in this Ready brings, decoded once (the lane opens its tablet first). */
  snapshotRegion(rd: Ready): Region | undefined {
    if (!rd.snapshot) return undefined;
    const image = unpack<SnapshotImage>(rd.snapshot.data);
    this.decodedSnapshot = { snap: rd.snapshot, image };
    return image.region;
  }

  private decodedSnapshot: { snap: Snapshot; image: SnapshotImage } | undefined;

  get isLeader(): boolean {
    return this.node.raft.state === 'leader';
  }

  leaderPeer(): RegionPeer | undefined {
    return this.region.peers.find((p) => p.id === this.lead);
  }

  storeOf(peer: NodeId): StoreId | undefined {
    return this.region.peers.find((p) => p.id === peer)?.storeId ?? this.senders.get(peer);
  }

  /**
   * Where messages from a peer came from. A new replica knows no peers of its region until its
   * snapshot arrives, yet must answer the leader: it answers to the store the leader wrote from.
   */
  learnStore(peer: NodeId, store: StoreId): void {
    if (!this.initialized) this.senders.set(peer, store);
  }

  private readonly senders = new Map<NodeId, StoreId>();

  // ---- inputs ----

  tick(): void {
    if (this.hibernating) return;
    this.node.tick();
    // A region with nothing to do stops ticking: 10,000 idle regions cost no CPU. The leader
    // waits until every follower has its whole log, so nobody is left needing a heartbeat.
    this.idleTicks++;
    if (this.idleTicks >= this.ctx.hibernateTicks && this.canHibernate()) this.hibernating = true;
  }

  private canHibernate(): boolean {
    if (this.awaitingTs.length > 0 || this.waiting.size > 0 || this.readRounds.size > 0 || this.readQueue.length > 0 || this.feeds.length > 0) return false;
    if (this.lead === 0) return false;
    if (!this.isLeader) return true;
    const last = this.node.raft.raftLog.lastIndex();
    let caughtUp = true;
    this.node.raft.trk.visit((id, pr) => {
      if (id !== this.peerId && pr.match !== last) caughtUp = false;
    });
    return caughtUp;
  }

  wake(): void {
    if (this.hibernating) this.ctx.onWake(this);
    this.hibernating = false;
    this.idleTicks = 0;
  }

  step(m: Message): void {
    // Heartbeats keep a region alive but are not activity: only real traffic wakes it.
    if (m.type !== 'heartbeat' && m.type !== 'heartbeat-resp') this.wake();
    else if (this.hibernating) this.wake();
    this.node.step(m);
  }

  /** A client call. Answers at once (errors, serializable reads) or queues it. */
  call(epoch: RegionEpoch, op: RegionOp, nextRid: () => string, reply: Reply): void {
    this.wake();
    const fail = (e: CallError) => reply(false, e);
    if (!this.initialized || this.removed) return fail({ kind: 'region', error: { code: 'RegionNotFound', regionId: this.region.id } });
    if (op.op === 'changePeer') return this.proposeChangePeer(op.change as PeerChange, reply);
    if (op.op === 'events') {
      if (!this.isLeader) return fail(this.notLeader());
      if (epoch.version !== this.region.epoch.version) return fail(this.epochNotMatch());
      this.feeds.push({ op, reply, deadline: this.ctx.now() + op.waitMs });
      this.serveFeeds(true);
      return;
    }
    if (op.op === 'transferLeader') {
      if (!this.isLeader) return fail(this.notLeader());
      this.node.transferLeader(op.toPeer);
      return reply(true, {});
    }
    if (op.op === 'localState') {
      return reply(true, { region: this.region, ...(this.merging ? { mergingInto: this.merging.target } : {}), lane: this.ctx.lane, applied: this.node.raft.raftLog.applied } satisfies LocalRegionState);
    }
    if (op.op === 'slotsOut' || op.op === 'slotsIn' || op.op === 'exportSlots') return this.slotOp(op, nextRid, reply);
    if (op.op === 'leases' || op.op === 'leaseKeys') {
      if (!this.isLeader) return fail(this.notLeader());
      const holds = (k: Uint8Array) => insideRegion(this.region, k, new Uint8Array(0));
      if (op.op === 'leases') return reply(true, { ids: this.ctx.leases.leasesWhere(holds) });
      return reply(true, { keys: this.ctx.leases.keysWhere(op.id, holds) });
    }
    if (op.op === 'revokeLease') {
      if (!this.isLeader) return fail(this.notLeader());
      if (this.merging) return fail({ kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: `merging into region ${this.merging.target.id}` } });
      const moving = this.moving;
      const keys = this.ctx.leases.keysWhere(op.id, (k) => insideRegion(this.region, k, new Uint8Array(0)) && !(moving && keyInSlots(moving.slots, k)));
      if (keys.length === 0) return reply(true, { deleted: 0 });
      // One revision for this region's keys of the lease, as etcd deletes them in one txn.
      const req: TxnRequest = { compare: [], success: keys.map((key) => ({ requestDeleteRange: { key, rangeEnd: new Uint8Array(0), prevKv: false } })), failure: [] };
      this.awaitingTs.push({ entry: { rid: nextRid(), version: this.region.epoch.version, op: { op: 'txn', req } }, reply });
      return;
    }
    if (op.op === 'prepareMerge' || op.op === 'commitMerge' || op.op === 'rollbackMerge') return this.mergeOp(op, nextRid, reply);
    if (this.merging) return fail({ kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: `merging into region ${this.merging.target.id}` } });
    if (epoch.version !== this.region.epoch.version) return fail(this.epochNotMatch());
    for (const { key, end } of keysOf(op)) {
      if (!insideRegion(this.region, key, end)) {
        return fail({ kind: 'region', error: { code: 'KeyNotInRegion', regionId: this.region.id, key, region: this.region } });
      }
      // A key of a slot being moved away waits until the move is over (then it is elsewhere).
      if (this.moving && end.length === 0 && keyInSlots(this.moving.slots, key)) {
        return fail({ kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: `slots moving to group ${this.moving.to}` } });
      }
    }
    if (op.op === 'range') {
      const req: RangeRequest = op.req;
      // The tablet's own compaction point is shared by its regions: each region keeps its own.
      if (req.revision > 0 && req.revision < this.compactRev) return fail({ kind: 'etcd', code: 'Compacted', message: 'etcdserver: mvcc: required revision has been compacted' });
      const run = () => {
        this.readsSinceReport++;
        try {
          reply(true, this.kv.range(req));
        } catch (e) {
          fail(etcdError(e));
        }
      };
      if (req.serializable) return run();
      if (!this.isLeader) return fail(this.notLeader());
      this.readQueue.push({ run, fail: () => fail(this.notLeader()) });
      return;
    }
    if (op.op === 'split') {
      if (!this.isLeader) return fail(this.notLeader());
      if (op.keys.length > 0) return this.proposeSplit(op, op.keys, nextRid, reply);
      this.splitNearMiddle(op, nextRid, reply);
      return;
    }
    if (!this.isLeader) return fail(this.notLeader());
    this.awaitingTs.push({ entry: { rid: nextRid(), version: this.region.epoch.version, op }, reply });
  }

  // ---- splits (admin/split.ts) ----

  /**
   * "Split near the middle": the first cut that halves the region's data. Finding it reads every
   * history of the region, so it runs off the lane (a job) while the lane goes on serving; PD
   * asks only when a split is due. The answer is of the region as it was when asked: if the
   * region changed meanwhile (a split, a merge, a snapshot: its version moved), it is refused
   * with EpochNotMatch, and the caller asks again with the new shape. Leadership and the merge
   * freeze are checked again as well.
   */
  private splitNearMiddle(op: Extract<RegionOp, { op: 'split' }>, nextRid: () => string, reply: Reply): void {
    const asked = this.region;
    this.ctx.splitKeyNearMiddle(asked, (o) => {
      const fail = (e: CallError) => reply(false, e);
      if (!this.initialized || this.removed) return fail({ kind: 'region', error: { code: 'RegionNotFound', regionId: asked.id } });
      if (!this.isLeader) return fail(this.notLeader());
      if (this.merging) return fail({ kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: `merging into region ${this.merging.target.id}` } });
      // NB: one version is one range, so the version alone tells; the bounds are compared too,
      // because a cut of another range must never be proposed, whatever else changes.
      const r = this.region;
      if (r.epoch.version !== asked.epoch.version || compareKeys(r.start, asked.start) !== 0 || compareKeys(r.end, asked.end) !== 0) return fail(this.epochNotMatch());
      if (!o.ok) return fail({ kind: 'etcd', code: 'Unavailable', message: `flotilla: region ${r.id}: finding the middle to split at failed: ${o.message}` });
      if (!o.value) return fail({ kind: 'etcd', code: 'InvalidArgument', message: `flotilla: region ${r.id} has too little data to split` });
      // It slept meanwhile, maybe: the proposal must be driven.
      this.wake();
      this.proposeSplit(op, [o.value], nextRid, reply);
    });
  }

  /** Proposes a split at `keys`, after a dry run on the region as it is now. */
  private proposeSplit(op: Extract<RegionOp, { op: 'split' }>, keys: Uint8Array[], nextRid: () => string, reply: Reply): void {
    const cmd: AdminCommand = {
      type: 'batch-split',
      epoch: this.region.epoch,
      splitKeys: keys,
      newRegions: op.newRegionIds.map((id, i) => ({ id, peerIds: (op.newPeerIds[i] ?? []) as PeerId[] })),
    };
    this.proposeAdmin(cmd, nextRid, reply);
  }

  /**
   * Proposes an admin command after a dry run on the region as it is now (a command that cannot
   * apply is refused before it is proposed); `reply` answers once it applies.
   */
  private proposeAdmin(cmd: AdminCommand, nextRid: () => string, reply: Reply): void {
    const dry = execAdmin({ region: this.region, ...(this.merging ? { merging: this.merging } : {}) }, cmd);
    if (!dry.ok) return reply(false, adminError(dry.error));
    const rid = nextRid();
    try {
      this.node.propose(pack({ rid, admin: cmd } satisfies AdminEntry));
    } catch (e) {
      return reply(false, e instanceof ProposalDroppedError ? this.notLeader() : etcdError(e));
    }
    this.waiting.set(rid, reply);
  }

  // ---- merges (range mode; admin/merge.ts) ----

  private mergeOp(op: Extract<RegionOp, { op: 'prepareMerge' | 'commitMerge' | 'rollbackMerge' }>, nextRid: () => string, reply: Reply): void {
    if (!this.isLeader) return reply(false, this.notLeader());
    let cmd: AdminCommand;
    if (op.op === 'prepareMerge') cmd = { type: 'prepare-merge', epoch: this.region.epoch, target: op.target };
    else if (op.op === 'rollbackMerge') cmd = { type: 'rollback-merge', epoch: this.region.epoch };
    else {
      // The source's peer on THIS store must already be frozen for this target: its keys are in
      // this lane's tablet and it goes away when the commit applies here. The merger checked
      // every store; this checks again where the commit is proposed.
      if (!this.ctx.localMergeSource(op.source, this.region.id)) {
        return reply(false, { kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: `source region ${op.source.id} is not frozen on this store yet` } });
      }
      cmd = { type: 'commit-merge', epoch: this.region.epoch, source: { region: op.source, merging: { target: op.target } } };
    }
    this.proposeAdmin(cmd, nextRid, reply);
  }

  // ---- slot moves (hash mode) ----

  private slotOp(op: Extract<RegionOp, { op: 'slotsOut' | 'slotsIn' | 'exportSlots' }>, nextRid: () => string, reply: Reply): void {
    if (!this.isLeader) return reply(false, this.notLeader());
    if (op.op === 'exportSlots') {
      // After prepare applied here: the frozen slots take no writes, so this image is complete.
      if (!this.moving) return reply(false, { kind: 'etcd', code: 'InvalidArgument', message: `flotilla: region ${this.region.id} is not moving slots` });
      const chunks = [...this.kv.exportKeys((k) => keyInSlots(op.slots, k))];
      return reply(true, { chunks });
    }
    let cmd: SlotCommand;
    const version = this.region.epoch.version;
    if (op.op === 'slotsIn') {
      const bytes = op.chunks.reduce((n, c) => n + c.length, 0);
      if (bytes > slotsInBytesMax) return reply(false, { kind: 'etcd', code: 'InvalidArgument', message: `flotilla: a slot image of ${bytes} bytes is over the ${slotsInBytesMax} a move carries; move fewer slots` });
      cmd = { type: 'slots-in', version, slots: op.slots, chunks: op.chunks, from: op.from };
    } else if (op.phase === 'prepare') cmd = { type: 'slots-out-prepare', version, slots: op.slots, to: op.to };
    else if (op.phase === 'commit') cmd = { type: 'slots-out-commit', version, slots: op.slots };
    else cmd = { type: 'slots-out-abort', version };
    // Dry run: refuse here what the apply would refuse.
    const dry = applySlotCommand(this.region, this.moving, cmd);
    if (!dry.ok) return reply(false, dry.reason === 'stale' ? this.epochNotMatch() : { kind: 'etcd', code: 'InvalidArgument', message: `flotilla: ${dry.message}` });
    if (cmd.type === 'slots-in' && dry.region === this.region) return reply(true, { region: this.region });
    const rid = nextRid();
    try {
      this.node.propose(pack({ rid, slots: cmd } satisfies SlotEntry));
    } catch (e) {
      return reply(false, e instanceof ProposalDroppedError ? this.notLeader() : etcdError(e));
    }
    this.waiting.set(rid, reply);
  }

  private applySlots(cmd: SlotCommand, answer: (ok: boolean, value: unknown) => void): void {
    const out = applySlotCommand(this.region, this.moving, cmd);
    if (!out.ok) return answer(false, out.reason === 'stale' ? this.epochNotMatch() : { kind: 'etcd', code: 'InvalidArgument', message: `flotilla: ${out.message}` });
    if (out.region === this.region) return answer(true, { region: this.region });
    if (out.drop) {
      const drop = out.drop;
      this.kv.dropKeys((k) => keyInSlots(drop, k));
    }
    if (out.install) {
      const install = out.install;
      this.kv.importKeys((k) => keyInSlots(install.slots, k), install.chunks);
    }
    this.region = out.region;
    this.moving = out.moving;
    this.ctx.saveRegion(this);
    answer(true, { region: this.region });
  }

  /** Leases carried by keys of this region. */
  leasesInUse(): bigint[] {
    return this.ctx.leases.leasesWhere((k) => insideRegion(this.region, k, new Uint8Array(0)));
  }

  // ---- watch feeds ----

  /** Feed calls held until this region has events for them (or their deadline). */
  private feeds: Array<{ op: Extract<RegionOp, { op: 'events' }>; reply: Reply; deadline: number }> = [];
  /** Revisions proposed here and not applied yet, in order (the leader hands them out in order). */
  private proposedRevs: number[] = [];

  hasFeeds(): boolean {
    return this.feeds.length > 0;
  }

  /**
   * Every write this region will ever apply has a revision above this: below the first proposed
   * and unapplied one, and not above the newest timestamp the lane has seen (a write still
   * waiting for its timestamp gets one above that).
   */
  resolvedRevision(): number {
    const first = this.proposedRevs[0];
    return Math.min(this.ctx.lastTimestamp(), first === undefined ? Infinity : first - 1);
  }

  /** Answers the held feed calls that can be answered: with events, a resolved target, or time up. */
  serveFeeds(force = false): void {
    if (this.feeds.length === 0) return;
    const now = this.ctx.now();
    const keep: typeof this.feeds = [];
    for (const f of this.feeds) {
      if (!this.isLeader) {
        f.reply(false, this.notLeader());
        continue;
      }
      if (!force && !this.eventsMayHaveChanged && f.deadline > now && this.resolvedRevision() < f.op.until) {
        keep.push(f);
        continue;
      }
      const resolved = this.resolvedRevision();
      let events;
      try {
        if (f.op.fromRev <= this.compactRev) throw new EtcdError('Compacted');
        events = this.kv.eventsSince(f.op.key, f.op.rangeEnd, f.op.fromRev, f.op.limit);
      } catch (e) {
        f.reply(false, etcdError(e));
        continue;
      }
      // Only what is resolved: a write applied above `resolved` cannot be, but keep it exact.
      const usable = events.filter((e) => e.kv.modRevision <= Math.max(resolved, this.lastApplied));
      const full = usable.length >= f.op.limit;
      if (usable.length > 0 || f.deadline <= now || resolved >= f.op.until) {
        const last = usable.length > 0 ? usable[usable.length - 1]!.kv.modRevision : 0;
        // A full page resolves only up to its last event; otherwise everything up to `resolved`.
        f.reply(true, { events: usable, resolved: full ? last : Math.max(resolved, last) } satisfies RegionEvents);
      } else keep.push(f);
    }
    this.feeds = keep;
    this.eventsMayHaveChanged = false;
  }

  /** Set when a write applied here since the feeds were last served. */
  private eventsMayHaveChanged = false;

  /** The reply of the membership change in flight (Raft has at most one pending). */
  private pendingChange: Reply | undefined;

  private proposeChangePeer(change: PeerChange, reply: Reply): void {
    if (!this.isLeader) return reply(false, this.notLeader());
    if (change.type === 'remove-peer' && change.peerId === this.peerId) {
      // A leader removing itself would leave the region leaderless until an election timeout.
      return reply(false, { kind: 'etcd', code: 'InvalidArgument', message: `flotilla: region ${this.region.id}: transfer leadership before removing the leader's peer` });
    }
    if (this.pendingChange) return reply(false, { kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: 'a membership change is in flight' } });
    const cmd: ChangePeer = { type: 'change-peer', epoch: this.region.epoch, change };
    const dry = execAdmin({ region: this.region }, cmd);
    if (!dry.ok) return reply(false, adminError(dry.error));
    try {
      this.node.proposeConfChange(toConfChange(cmd));
    } catch (e) {
      return reply(false, e instanceof ProposalDroppedError ? this.notLeader() : etcdError(e));
    }
    this.pendingChange = reply;
  }

  private notLeader(): CallError {
    const leader = this.leaderPeer();
    return { kind: 'region', error: { code: 'NotLeader', regionId: this.region.id, ...(leader ? { leader } : {}) } };
  }

  private epochNotMatch(): CallError {
    // With the regions the last split made, so a router learns the whole new shape at once.
    return { kind: 'region', error: { code: 'EpochNotMatch', current: [this.region, ...this.splitOff] } };
  }

  /** The regions the last split cut off this one (as they were created). */
  private splitOff: Region[] = [];

  // ---- timestamps ----

  /** Writes waiting for a timestamp (the lane requests them all at once). */
  timestampsNeeded(): number {
    return this.awaitingTs.length;
  }

  /**
   * Hands the timestamps [first, end) to the waiting writes, in arrival order, and proposes
   * them. Returns the first timestamp it did not use (the next region starts there: a region
   * may skip some, and no two regions of a lane may share one). Timestamps at or below the region's last revision are
   * skipped (a block fetched before this peer became leader): the writes then wait for the next.
   */
  proposeWithTimestamps(first: number, end: number): number {
    let next = first;
    if (next <= this.lastRev) next = this.lastRev + 1;
    const datas: Uint8Array[] = [];
    const proposed: PendingWrite[] = [];
    while (this.awaitingTs.length > 0 && next < end) {
      const w = this.awaitingTs.shift()!;
      if (!this.isLeader) {
        w.reply(false, this.notLeader());
        continue;
      }
      datas.push(pack({ ...w.entry, rev: next } satisfies WriteEntry));
      this.proposedRevs.push(next);
      proposed.push(w);
      this.lastRev = next;
      next++;
    }
    if (datas.length === 0) return next;
    try {
      this.node.proposeBatch(datas);
    } catch (e) {
      const err: CallError = e instanceof ProposalDroppedError ? this.notLeader() : etcdError(e);
      for (const w of proposed) w.reply(false, err);
      this.proposedRevs.length = Math.max(0, this.proposedRevs.length - proposed.length);
      return next;
    }
    for (const w of proposed) this.waiting.set(w.entry.rid, w.reply);
    return next;
  }

  /** The timestamp request failed (PD unreachable): the writes waiting for it fail. */
  failAwaitingTs(error: CallError): void {
    const ws = this.awaitingTs;
    this.awaitingTs = [];
    for (const w of ws) w.reply(false, error);
  }

  // ---- the Ready loop (driven by the lane) ----

  /** Starts this loop's ReadIndex round, if reads are queued. */
  startReadRound(): void {
    if (this.readQueue.length === 0) return;
    const ctx = `r${this.readSeq++}`;
    const reads = this.readQueue;
    this.readQueue = [];
    try {
      this.node.readIndex(ctx);
    } catch {
      for (const r of reads) r.fail();
      return;
    }
    this.readRounds.set(ctx, reads);
  }

  /** Persists this Ready's Raft state and applies its committed entries (inside the lane's write). */
  persistAndApply(rd: Ready, outcomes: Array<{ reply: Reply; ok: boolean; value: unknown }>): void {
    if (rd.snapshot) this.installSnapshot(rd.snapshot);
    if (rd.entries.length > 0) this.log.append(rd.entries);
    if (rd.hardState) this.log.setHardState(rd.hardState);
    let applied = 0;
    for (const e of rd.committedEntries) {
      applied = e.index;
      this.applyEntry(e, outcomes);
    }
    if (applied > 0) this.log.setApplied(applied as Index);
  }

  private applyEntry(e: Entry, outcomes: Array<{ reply: Reply; ok: boolean; value: unknown }>): void {
    if (e.type === 'conf-change') return this.applyChangePeer(e, outcomes);
    if (e.data.length === 0) return;
    const env = unpack<WriteEntry | AdminEntry | SlotEntry>(e.data);
    const reply = this.waiting.get(env.rid);
    if (reply) this.waiting.delete(env.rid);
    const answer = (ok: boolean, value: unknown) => {
      if (reply) outcomes.push({ reply, ok, value });
    };
    if ('admin' in env) return this.applyAdmin(env.admin, answer);
    if ('slots' in env) return this.applySlots(env.slots, answer);
    const w = env;
    while (this.proposedRevs.length > 0 && this.proposedRevs[0]! <= w.rev) this.proposedRevs.shift();
    // The region may have changed between proposal and apply: check again, as every replica does.
    if (w.version !== this.region.epoch.version) return answer(false, this.epochNotMatch());
    if (w.rev <= this.lastApplied) {
      // Cannot happen while timestamps are handed out as they are; refused the same way everywhere.
      return answer(false, { kind: 'etcd', code: 'Unavailable', message: `revision ${w.rev} is not above ${this.lastApplied}` } satisfies CallError);
    }
    const kv = this.kv;
    try {
      let value: unknown;
      switch (w.op.op) {
        case 'put':
          value = kv.put(w.op.req, w.rev);
          break;
        case 'deleteRange':
          value = kv.deleteRange(w.op.req, w.rev);
          break;
        case 'txn':
          value = kv.txn(w.op.req, w.rev);
          break;
        case 'compact':
          // Already compacted this far: nothing to do (the router asks every region; some may
          // have done it in an earlier try).
          const did = w.op.revision > this.compactRev;
          if (did) {
            if (this.region.slots) kv.compactRange(w.op.revision, new Uint8Array(0), new Uint8Array(0));
            else kv.compactRange(w.op.revision, this.region.start, this.region.end);
            this.compactRev = w.op.revision;
            this.ctx.saveRegion(this);
          }
          value = { revision: w.rev, compacted: did };
          break;
      }
      this.lastApplied = w.rev;
      if (this.lastRev < w.rev) this.lastRev = w.rev;
      this.eventsMayHaveChanged = true;
      this.writesSinceReport++;
      answer(true, value);
    } catch (err) {
      answer(false, etcdError(err));
    }
  }

  /**
   * An admin command, applied by every replica at the same point of the log. A split changes
   * only metadata: the parent keeps the right-most range, the lane creates the new regions' peers
   * over the same tablet (their keys are already there).
   */
  private applyAdmin(cmd: AdminCommand, answer: (ok: boolean, value: unknown) => void): void {
    const out = execAdmin({ region: this.region, ...(this.merging ? { merging: this.merging } : {}) }, cmd);
    if (!out.ok) return answer(false, adminError(out.error));
    const result = out.value;
    switch (result.type) {
      case 'batch-split':
        this.region = result.derived.region;
        this.splitOff = result.created;
        this.ctx.saveRegion(this);
        this.ctx.onSplit(this, result.created);
        return answer(true, { regions: [...result.created, this.region] });
      case 'prepare-merge':
      case 'rollback-merge':
        this.region = result.state.region;
        this.merging = result.state.merging;
        this.ctx.saveRegion(this);
        return answer(true, { region: this.region });
      case 'commit-merge':
        // The source's keys are already in this lane's tablet: its peer here just goes away.
        this.region = result.state.region;
        this.ctx.saveRegion(this);
        this.ctx.onMerged(this, result.source);
        return answer(true, { region: this.region });
      case 'change-peer':
        // Membership changes come as conf-change entries (applyChangePeer), never as these.
        return answer(false, { kind: 'etcd', code: 'InvalidArgument', message: 'flotilla: a membership change outside a conf-change entry' });
    }
  }

  /**
   * A membership change, applied by every replica: the region's peers change only if the
   * command applies to the region as it is here, and then Raft's configuration changes with
   * them, so the two always name the same group.
   */
  private applyChangePeer(e: Entry, outcomes: Array<{ reply: Reply; ok: boolean; value: unknown }>): void {
    const reply = this.isLeader ? this.pendingChange : undefined;
    if (reply) this.pendingChange = undefined;
    const answer = (ok: boolean, value: unknown) => {
      if (reply) outcomes.push({ reply, ok, value });
    };
    if (e.data.length === 0) return answer(false, { kind: 'region', error: { code: 'RegionBusy', regionId: this.region.id, reason: 'membership change dropped' } });
    const { cmd, confChange } = changePeerOfEntry(e.data);
    const out = execAdmin({ region: this.region }, cmd);
    if (!out.ok) return answer(false, adminError(out.error));
    const confState = this.node.applyConfChange(confChange);
    this.log.setConfState(confState);
    this.region = (out.value as Extract<AdminResult, { type: 'change-peer' }>).state.region;
    this.ctx.saveRegion(this);
    if (!this.region.peers.some((p) => p.id === this.peerId)) {
      this.removed = true;
      this.ctx.onRemoved(this);
    }
    answer(true, { region: this.region });
  }

  /**
   * The snapshot a follower the log cannot serve gets: this region's metadata and its keys with
   * their whole history, as of the applied index (read outside any write: the last commit, where
   * the tablet and the applied index agree).
   */
  private snapshotForFollower(): Snapshot {
    const index = this.log.applied();
    const chunks = [...this.kv.exportRange(this.region.start, this.region.end)];
    const data = pack({ region: this.region, chunks, compactRev: this.compactRev } satisfies SnapshotImage);
    return { metadata: { index, term: this.log.term(index), confState: this.log.confState() }, data };
  }

  /** Inside the write: replaces this region's keys with the image and the log with its point. */
  private installSnapshot(snap: Snapshot): void {
    const image = this.decodedSnapshot?.snap === snap ? this.decodedSnapshot.image : unpack<SnapshotImage>(snap.data);
    this.decodedSnapshot = undefined;
    this.region = image.region;
    this.compactRev = image.compactRev ?? 0;
    this.kv.importRange(image.region.start, image.region.end, image.chunks);
    this.log.applySnapshot({ metadata: snap.metadata, data: new Uint8Array(0) });
    this.log.setApplied(snap.metadata.index);
    this.initialized = true;
    this.ctx.saveRegion(this);
  }

  /** The revision of the last write this replica applied. */
  lastApplied = 0;

  /** After the write committed: leader changes and confirmed read rounds. */
  afterCommit(rd: Ready): void {
    if (rd.softState) {
      const wasLeader = this.lead === this.peerId;
      this.lead = rd.softState.lead;
      if (wasLeader && rd.softState.role !== 'leader') this.dropLeaderWork();
    }
    for (const rs of rd.readStates) {
      const reads = this.readRounds.get(rs.requestCtx);
      if (!reads) continue;
      this.readRounds.delete(rs.requestCtx);
      this.readReady.push({ index: rs.index, reads });
    }
  }

  /** Runs the reads whose index has been applied. After advance(). */
  releaseReads(): void {
    if (this.readReady.length === 0) return;
    const applied = this.node.raft.raftLog.applied;
    const keep: typeof this.readReady = [];
    for (const r of this.readReady) {
      if (r.index <= applied) for (const q of r.reads) q.run();
      else keep.push(r);
    }
    this.readReady = keep;
  }

  /**
   * A deposed leader's work: reads in flight may never be confirmed and writes waiting for a
   * timestamp will not be proposed here. The router retries them on the new leader.
   */
  private dropLeaderWork(): void {
    this.proposedRevs = [];
    for (const f of this.feeds) f.reply(false, this.notLeader());
    this.feeds = [];
    for (const [, reads] of this.readRounds) for (const q of reads) q.fail();
    this.readRounds.clear();
    for (const q of this.readQueue) q.fail();
    this.readQueue = [];
    this.failAwaitingTs(this.notLeader());
  }

  /** The peer is going away (store stopping, region removed): answer everything waiting. */
  close(error: CallError): void {
    this.dropLeaderWork();
    // Proposed calls may still apply (they are in the log): their outcome is unknown, and a
    // retry could apply them twice. The router must not retry them: etcd's timeout.
    const unknown: CallError = { kind: 'etcd', code: 'Timeout', message: 'etcdserver: request timed out' };
    for (const [, reply] of this.waiting) reply(false, error.kind === 'etcd' ? error : unknown);
    this.waiting.clear();
    for (const r of this.readReady) for (const q of r.reads) q.fail();
    this.readReady = [];
  }
}

interface QueuedRead {
  run(): void;
  fail(): void;
}

function adminError(e: AdminError): CallError {
  if (e.code === 'InvalidAdminCommand') return { kind: 'etcd', code: 'InvalidArgument', message: `flotilla: region ${e.regionId}: ${e.reason}` };
  return { kind: 'region', error: e };
}

function etcdError(e: unknown): CallError {
  if (e instanceof EtcdError) return { kind: 'etcd', code: e.code, message: e.message };
  throw e;
}

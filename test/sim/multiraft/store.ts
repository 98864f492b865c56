// A simulated store: many region peers, each a RawNode over its own PeerStorage, sharing the
// store's region meta (regions/peer/region_meta.ts), its tombstones and its link to the network.
//
// Peer lifecycle (TiKV's, simplified):
//   - created initialized: by bootstrap, or by the parent's split applied on this store;
//   - created uninitialized (no range, empty log): by a Raft message for a peer this store does
//     not have and never destroyed; it is initialized by a snapshot, or by the split when this
//     store's parent peer catches up (its hard state, a vote maybe, is kept);
//   - destroyed (leaving a tombstone, so late messages cannot recreate it): when it applies its
//     own removal, when its region is merged on this store, when a newer peer of its region
//     arrives here, or when PD finds it stale (driver.ts).
//
// Ready handling is one atomic step per peer (one storage write in the real system): persist
// the log and hard state, send, apply (which may create or destroy other peers of this store),
// advance. A crash before it runs loses the whole Ready.

import { epochEquals, keyInRange, type PeerId, type Region, type RegionEpoch, type RegionError, type RegionId, type RegionPeer, type StoreId } from '../../../src/cluster/region.js';
import {
  changePeerOfEntry,
  checkDataRequest,
  confStateOf,
  execAdmin,
  execChangePeer,
  toConfChange,
  type AdminCommand,
  type AdminError,
  type AdminResult,
  type RegionState,
} from '../../../regions/peer/admin/index.js';
import { StoreRegionMeta, type SnapshotVerdict } from '../../../regions/peer/region_meta.js';
import {
  ProposalDroppedError,
  RawNode,
  emptyHardState,
  type ConfState,
  type Entry,
  type Index,
  type Message,
  type Ready,
} from '../../../src/raft/index.js';
import { assert, assertNever } from '../../../src/util/assert.js';
import type { World } from '../world.js';
import { decodeCommand, encodeCommand } from './command.js';
import { decodeImage, initLogIndex, initLogTerm, PeerStorage, type Data, type SnapshotImage } from './storage.js';

const encoder = new TextEncoder();

export function keyBytes(key: string): Uint8Array {
  return encoder.encode(key);
}

/** A Raft message between stores, with what the receiving store needs to route it. */
export interface Envelope {
  from: StoreId;
  to: StoreId;
  regionId: RegionId;
  fromPeer: PeerId;
  toPeer: PeerId;
  msg: Message;
}

export type WriteResult =
  | { status: 'ok' }
  /** Definitely not applied (refused at apply, or its log slot went to another entry). */
  | { status: 'rejected'; error: RegionError | { code: 'StaleCommand' } }
  /** The proposer is gone: it may or may not apply. */
  | { status: 'unknown'; why: string };

export type ReadResult = { status: 'ok'; value: number | undefined } | { status: 'rejected'; error: RegionError } | { status: 'unknown' };

export interface SimOptions {
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  msgBytesMax: number;
  /** Snapshot and compact a peer's log once it holds this many applied entries. */
  compactEntries: number;
  compactKeep: number;
  tickUnits: number;
  latency: [number, number];
  /** Deliberate bugs, to prove the invariants catch them (tests only). */
  bugs: ReadonlySet<Bug>;
}

export type Bug =
  /** Writes apply without the epoch and range check: a write can land in a region that no longer owns its key. */
  | 'apply-ignores-epoch'
  /** A split leaves the new regions' data with the parent. */
  | 'split-keeps-data'
  /** Commit-merge drops the source's data. */
  | 'merge-drops-source'
  /** PD proposes commit-merge without waiting for every source peer to apply prepare-merge. */
  | 'commit-without-wait'
  /** PD destroys a merged-away source peer at once, even where the target still needs its data. */
  | 'eager-source-gc'
  /** A store accepts every snapshot, even one overlapping another of its regions. */
  | 'snapshot-ignores-overlap';

/** What a store needs from the cluster around it. */
export interface StoreContext {
  readonly world: World;
  readonly opts: SimOptions;
  send(env: Envelope, report?: (delivered: boolean) => void): void;
  /** PD's region heartbeat, perfect: a peer applied an admin command. */
  adminApplied(regionId: RegionId, result: AdminResult): void;
  recordApply(regionId: RegionId, peerId: PeerId, e: Entry): void;
  recordLeader(regionId: RegionId, peerId: PeerId, term: number): void;
  /** PD's record of a region that merged away: its frozen state (undefined if it did not). */
  mergedSource(regionId: RegionId): RegionState | undefined;
  /** Counts an event worth seeing in the run's summary (and worth asserting a run exercised). */
  count(what: string): void;
  fail(invariant: string, detail: string): never;
}

interface Proposal {
  index: number;
  done: (r: WriteResult) => void;
}

interface PendingRead {
  key: string;
  epoch: RegionEpoch;
  index: number | undefined;
  done: (r: ReadResult) => void;
}

export class SimPeer {
  raw: RawNode | undefined;
  busy = false;
  /** Bumped whenever the volatile state is dropped, so events of the old one are ignored. */
  incarnation = 0;
  readonly proposals = new Map<string, Proposal>();
  readonly reads = new Map<string, PendingRead>();
  /** The region of a snapshot accepted for this peer but not installed yet. */
  pendingSnap: Region | undefined;
  /** Applied its own removal in the Ready being handled. */
  removed = false;
  destroyed = false;

  constructor(
    readonly regionId: RegionId,
    readonly peerId: PeerId,
    readonly storeId: StoreId,
    readonly disk: PeerStorage,
  ) {}

  get state(): RegionState | undefined {
    return this.disk.apply.state;
  }

  get initialized(): boolean {
    return this.disk.apply.state !== undefined;
  }

  get isLeader(): boolean {
    return this.raw !== undefined && this.raw.raft.state === 'leader';
  }
}

export class SimStore {
  up = true;
  slowDisk = false;
  readonly peers = new Map<RegionId, SimPeer>();
  readonly tombstones = new Set<PeerId>();
  readonly meta: StoreRegionMeta;
  /** Where peers this store heard from live (to answer peers its regions do not list yet). */
  private readonly peerStores = new Map<PeerId, StoreId>();
  private nextProposal = 1;

  constructor(
    readonly id: StoreId,
    private readonly c: StoreContext,
  ) {
    this.meta = new StoreRegionMeta(id);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle.

  /** Bootstrap: this store's peer of a region that starts at the boot point of its log. */
  bootPeer(state: RegionState, data: Data): SimPeer {
    const local = state.region.peers.find((p) => p.storeId === this.id);
    assert(local, `store ${this.id} boots region ${state.region.id} without a peer on it`);
    const disk = new PeerStorage();
    disk.boot(state, data, { term: initLogTerm, vote: 0, commit: initLogIndex });
    const p = new SimPeer(state.region.id, local.id, this.id, disk);
    this.peers.set(p.regionId, p);
    this.meta.insert(state);
    this.startRaw(p);
    return p;
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.c.world.trace.str('crash').u32(this.id);
    for (const p of this.peers.values()) this.dropVolatile(p, 'store crashed');
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.c.world.trace.str('restart').u32(this.id);
    for (const p of this.peers.values()) this.startRaw(p);
    for (const p of this.peers.values()) this.afterEvent(p);
  }

  tick(): void {
    if (!this.up) return;
    for (const p of this.peers.values()) {
      p.raw!.tick();
      this.afterEvent(p);
    }
  }

  /** Destroys a peer for good (PD found it stale, or its region moved on without it). */
  destroyPeer(p: SimPeer, why: string): void {
    assert(!p.destroyed, `peer ${p.peerId} destroyed twice`);
    this.c.world.trace.str('destroy').u32(this.id).u32(p.peerId);
    p.destroyed = true;
    this.tombstones.add(p.peerId);
    if (this.peers.get(p.regionId) === p) this.peers.delete(p.regionId);
    if (this.meta.localPeer(p.regionId)?.id === p.peerId) this.meta.remove(p.regionId);
    this.dropVolatile(p, why);
  }

  private startRaw(p: SimPeer): void {
    const o = this.c.opts;
    p.raw = new RawNode({
      id: p.peerId,
      group: p.regionId,
      storage: p.disk,
      applied: p.disk.apply.index as Index,
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      msgBytesMax: o.msgBytesMax,
      disableProposalForwarding: true,
      rand: this.c.world.rand.fork(),
    });
    p.busy = false;
  }

  private dropVolatile(p: SimPeer, why: string): void {
    p.incarnation++;
    p.raw = undefined;
    p.busy = false;
    p.pendingSnap = undefined;
    const props = [...p.proposals.values()];
    const reads = [...p.reads.values()];
    p.proposals.clear();
    p.reads.clear();
    for (const x of props) x.done({ status: 'unknown', why });
    for (const r of reads) r.done({ status: 'unknown' });
  }

  // -------------------------------------------------------------------------------------------
  // Client and PD requests.

  /** Proposes a put; an error now, or undefined and `done` later. */
  put(regionId: RegionId, epoch: RegionEpoch, key: string, value: number, done: (r: WriteResult) => void): RegionError | undefined {
    const p = this.leaderPeer(regionId);
    if ('code' in p) return p;
    const st = p.state!;
    const err = checkDataRequest(st, { epoch, keys: [keyBytes(key)] }, 'write', this.currentFor(st, key));
    if (err) return err;
    const id = `${this.id}.${this.nextProposal++}`;
    try {
      p.raw!.propose(encodeCommand({ t: 'put', id, epoch, key, value }));
    } catch (e) {
      if (e instanceof ProposalDroppedError) return { code: 'RegionBusy', regionId, reason: e.message };
      throw e;
    }
    p.proposals.set(id, { index: p.raw!.raft.raftLog.lastIndex(), done });
    this.c.world.trace.str('put').u32(p.peerId).num(value);
    this.afterEvent(p);
    return undefined;
  }

  /** A linearizable read through ReadIndex. */
  read(regionId: RegionId, epoch: RegionEpoch, key: string, done: (r: ReadResult) => void): RegionError | undefined {
    const p = this.leaderPeer(regionId);
    if ('code' in p) return p;
    const st = p.state!;
    const err = checkDataRequest(st, { epoch, keys: [keyBytes(key)] }, 'read', this.currentFor(st, key));
    if (err) return err;
    const ctx = `${this.id}.r${this.nextProposal++}`;
    try {
      p.raw!.readIndex(ctx);
    } catch (e) {
      if (e instanceof ProposalDroppedError) return { code: 'RegionBusy', regionId, reason: e.message };
      throw e;
    }
    p.reads.set(ctx, { key, epoch, index: undefined, done });
    this.afterEvent(p);
    return undefined;
  }

  /** PD proposes an admin command at this store's peer, which must lead. Dry-run first. */
  proposeAdmin(regionId: RegionId, cmd: AdminCommand): AdminError | undefined {
    const p = this.leaderPeer(regionId);
    if ('code' in p) return p;
    const out = execAdmin(p.state!, cmd);
    if (!out.ok) return out.error;
    try {
      if (cmd.type === 'change-peer') {
        // TiKV's rule: a leader does not propose its own removal; transfer leadership first.
        if (cmd.change.type === 'remove-peer' && cmd.change.peerId === p.peerId) {
          return { code: 'RegionBusy', regionId, reason: 'transfer leadership before removing the leader' };
        }
        p.raw!.proposeConfChange(toConfChange(cmd));
      } else {
        p.raw!.propose(encodeCommand({ t: 'admin', cmd }));
      }
    } catch (e) {
      if (e instanceof ProposalDroppedError) return { code: 'RegionBusy', regionId, reason: e.message };
      throw e;
    }
    this.c.world.trace.str('admin').u32(p.peerId).str(cmd.type);
    this.afterEvent(p);
    return undefined;
  }

  transferLeader(regionId: RegionId, to: PeerId): void {
    const p = this.leaderPeer(regionId);
    if ('code' in p) return;
    try {
      p.raw!.transferLeader(to);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    this.c.world.trace.str('transfer').u32(p.peerId).u32(to);
    this.afterEvent(p);
  }

  private leaderPeer(regionId: RegionId): SimPeer | RegionError {
    if (!this.up) return { code: 'ServerIsBusy', reason: `store ${this.id} is down` };
    const p = this.peers.get(regionId);
    if (!p || !p.initialized || !p.raw) return { code: 'RegionNotFound', regionId };
    if (!p.isLeader) {
      const lead = p.raw.raft.lead;
      const leader = p.state!.region.peers.find((x) => x.id === lead);
      return leader ? { code: 'NotLeader', regionId, leader } : { code: 'NotLeader', regionId };
    }
    return p;
  }

  /** The regions to hand back with EpochNotMatch: this one, and the one here holding the key. */
  private currentFor(st: RegionState, key: string): Region[] {
    const holder = this.meta.locate(keyBytes(key));
    return holder && holder.region.id !== st.region.id ? [st.region, holder.region] : [st.region];
  }

  // -------------------------------------------------------------------------------------------
  // Messages.

  /** Delivers a Raft message; false if nobody here takes it. */
  receive(env: Envelope): boolean {
    if (!this.up) return false;
    const m = env.msg;
    if (this.tombstones.has(env.toPeer)) return false;
    let p = this.peers.get(env.regionId);
    if (p && p.peerId !== env.toPeer) {
      // Peer IDs only grow: a message for an older peer is stale; a newer peer means ours was
      // removed from the region (and a new one is being added here).
      if (p.peerId > env.toPeer) return false;
      this.c.count('peer replaced by a newer one');
      this.destroyPeer(p, `replaced by peer ${env.toPeer}`);
      p = undefined;
    }
    this.peerStores.set(env.fromPeer, env.from);
    if (!p) {
      p = new SimPeer(env.regionId, env.toPeer, this.id, new PeerStorage());
      this.peers.set(p.regionId, p);
      this.startRaw(p);
      this.c.world.trace.str('uninit').u32(this.id).u32(p.peerId);
    }
    let snapRegion: Region | undefined;
    if (m.type === 'snap') {
      const img = decodeImage(m.snapshot!.data);
      const pending: Region[] = [];
      for (const x of this.peers.values()) if (x !== p && x.pendingSnap) pending.push(x.pendingSnap);
      const v = this.checkSnapshot(img.state, pending);
      if (!v.ok && !this.c.opts.bugs.has('snapshot-ignores-overlap')) {
        this.c.world.trace.str('snap-refused').u32(p.peerId);
        this.c.count('snapshot refused (overlap)');
        return false;
      }
      snapRegion = img.state.region;
    }
    const t = this.c.world.trace;
    t.u32(env.fromPeer).u32(env.toPeer).str(m.type).num(m.term).num(m.index);
    p.raw!.step(m);
    if (snapRegion && p.raw!.raft.raftLog.hasPendingSnapshot()) p.pendingSnap = snapRegion;
    this.afterEvent(p);
    return true;
  }

  /**
   * The region meta's verdict on a snapshot, with each merged source it would destroy confirmed
   * with PD: that source did merge, into this snapshot's region, at the state the local peer is
   * in. (A lagging source peer may sit at an earlier attempt that was rolled back: not garbage.)
   */
  private checkSnapshot(incoming: RegionState, pending: Region[]): SnapshotVerdict {
    const v = this.meta.checkSnapshot(incoming, pending);
    if (!v.ok) return v;
    for (const id of v.destroy) {
      const frozen = this.c.mergedSource(id);
      const local = this.meta.get(id)!;
      if (!frozen || frozen.merging!.target.id !== incoming.region.id || !epochEquals(frozen.region.epoch, local.region.epoch)) {
        return { ok: false, reason: `region ${id} here is merging, but PD has no such merge into region ${incoming.region.id}` };
      }
    }
    return v;
  }

  private sendRaft(p: SimPeer, m: Message): void {
    const toStore = p.state?.region.peers.find((x) => x.id === m.to)?.storeId ?? this.peerStores.get(m.to as PeerId);
    if (toStore === undefined) return;
    for (const e of m.entries) Object.freeze(e);
    const env: Envelope = { from: this.id, to: toStore, regionId: p.regionId, fromPeer: p.peerId, toPeer: m.to as PeerId, msg: m };
    if (m.type === 'snap') {
      const inc = p.incarnation;
      this.c.send(env, (ok) => {
        if (p.incarnation !== inc || !p.raw) return;
        p.raw.reportSnapshot(m.to, ok);
        this.afterEvent(p);
      });
    } else {
      this.c.send(env);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Ready.

  afterEvent(p: SimPeer): void {
    if (!this.up || !p.raw) return;
    const raw = p.raw;
    if (raw.raft.state === 'leader') this.c.recordLeader(p.regionId, p.peerId, raw.raft.term);
    if (p.busy || !raw.hasReady()) return;
    const rd = raw.ready();
    p.busy = true;
    const inc = p.incarnation;
    const w = this.c.world;
    const delay = this.slowDisk ? 5 + w.rand.int(30) : w.rand.int(2);
    w.after(delay, () => {
      if (p.incarnation !== inc || !this.up) return; // Crashed or destroyed meanwhile: the Ready is lost.
      this.handleReady(p, rd);
    });
  }

  private handleReady(p: SimPeer, rd: Ready): void {
    const raw = p.raw!;
    this.c.world.trace.str('ready').u32(p.peerId).u32(rd.entries.length).u32(rd.committedEntries.length).u32(rd.messages.length);
    // 1. Persist (the same write as the apply below).
    let image: SnapshotImage | undefined;
    if (rd.snapshot) {
      image = decodeImage(rd.snapshot.data);
      p.disk.log.applySnapshot(rd.snapshot);
    }
    if (rd.entries.length > 0) p.disk.log.append(rd.entries);
    if (rd.hardState) p.disk.log.setHardState(rd.hardState);
    // 2. Send.
    for (const m of rd.messages) this.sendRaft(p, m);
    // 3. Apply.
    const created: SimPeer[] = [];
    if (image) this.installSnapshot(p, image);
    for (const e of rd.committedEntries) {
      if (p.removed) break; // TiKV stops applying once a peer removed itself.
      this.applyEntry(p, e, created);
    }
    for (const rs of rd.readStates) {
      const r = p.reads.get(rs.requestCtx);
      if (r) r.index = rs.index;
    }
    p.busy = false;
    raw.advance(rd);
    if (!raw.raft.raftLog.hasPendingSnapshot()) p.pendingSnap = undefined;
    if (p.removed) {
      this.destroyPeer(p, 'removed from its region');
    } else {
      this.maybeCompact(p);
      this.serveReads(p);
    }
    this.meta.checkInvariants();
    for (const n of created) this.afterEvent(n);
    if (!p.destroyed) this.afterEvent(p);
  }

  private installSnapshot(p: SimPeer, img: SnapshotImage): void {
    const r = img.state.region;
    assert(r.id === p.regionId, `snapshot of region ${r.id} at a peer of region ${p.regionId}`);
    assert(r.peers.some((x) => x.id === p.peerId), `snapshot of region ${r.id} without peer ${p.peerId}`);
    const v = this.checkSnapshot(img.state, []);
    assert(v.ok || this.c.opts.bugs.has('snapshot-ignores-overlap'), `store ${this.id} installs a snapshot it refused: ${v.ok ? '' : v.reason}`);
    const destroyed = this.meta.installSnapshot(img.state);
    this.c.count('snapshot installed');
    for (const id of destroyed) {
      this.c.count('merged source destroyed by snapshot');
      const src = this.peers.get(id);
      assert(src, `store ${this.id}: merged source ${id} has no peer`);
      this.destroyPeer(src, `merged into region ${r.id} (snapshot)`);
    }
    p.disk.apply = { index: img.index, state: img.state, data: new Map(img.data) };
    this.c.world.trace.str('install').u32(p.peerId).num(img.index);
  }

  private applyEntry(p: SimPeer, e: Entry, created: SimPeer[]): void {
    const a = p.disk.apply;
    assert(a.state, `uninitialized peer ${p.peerId} applies entry ${e.index}`);
    assert(e.index === a.index + 1, `peer ${p.peerId} applies ${e.index} after ${a.index}`);
    this.c.recordApply(p.regionId, p.peerId, e);
    if (e.type === 'conf-change') {
      const { cmd, confChange } = changePeerOfEntry(e.data);
      const out = execChangePeer(a.state, cmd);
      if (out.ok) {
        const cs = p.raw!.applyConfChange(confChange);
        const want = confStateOf(out.value.state.region);
        if (!sameConf(cs, want)) {
          this.c.fail('raft config = region peers', `peer ${p.peerId}: raft ${JSON.stringify(cs)} region ${JSON.stringify(want)}`);
        }
        this.onAdminResult(p, out.value, created);
      } else {
        this.c.count(`admin refused: change-peer ${out.error.code}`);
      }
    } else if (e.data.length > 0) {
      const c = decodeCommand(e.data);
      switch (c.t) {
        case 'put': {
          const err = this.c.opts.bugs.has('apply-ignores-epoch')
            ? undefined
            : checkDataRequest(a.state, { epoch: c.epoch, keys: [keyBytes(c.key)] }, 'write');
          if (!err) a.data.set(c.key, c.value);
          else this.c.count(`put refused at apply: ${err.code}`);
          const prop = p.proposals.get(c.id);
          if (prop) {
            p.proposals.delete(c.id);
            prop.done(err ? { status: 'rejected', error: err } : { status: 'ok' });
          }
          break;
        }
        case 'admin': {
          assert(c.cmd.type !== 'change-peer', 'change-peer in a normal entry');
          const out = execAdmin(a.state, c.cmd);
          if (out.ok) this.onAdminResult(p, out.value, created);
          else this.c.count(`admin refused: ${c.cmd.type} ${out.error.code}`);
          break;
        }
        default:
          assertNever(c, 'command');
      }
    }
    a.index = e.index;
    // A proposal whose log slot went to another entry can never commit.
    for (const [id, prop] of p.proposals) {
      if (prop.index <= e.index) {
        p.proposals.delete(id);
        this.c.count('stale command');
        prop.done({ status: 'rejected', error: { code: 'StaleCommand' } });
      }
    }
  }

  /** On apply result: what an admin command changes on this store beyond the region itself. */
  private onAdminResult(p: SimPeer, result: AdminResult, created: SimPeer[]): void {
    const a = p.disk.apply;
    switch (result.type) {
      case 'batch-split': {
        const fx = this.meta.applyResult(p.regionId, result, (r) => this.mayCreateSplitPeer(r));
        a.state = result.derived;
        const lead = p.isLeader;
        if (fx.skipped.length > 0) this.c.count('split peer not created (tombstone or newer peer)');
        for (const r of [...fx.created, ...fx.skipped]) {
          const moved: Data = new Map();
          if (this.c.opts.bugs.has('split-keeps-data')) {
            created.push(this.createSplitPeer(r, moved, lead));
            continue;
          }
          for (const [key, v] of a.data) {
            if (keyInRange(keyBytes(key), r.start, r.end)) {
              moved.set(key, v);
              a.data.delete(key);
            }
          }
          if (fx.created.includes(r)) created.push(this.createSplitPeer(r, moved, lead));
        }
        break;
      }
      case 'change-peer': {
        const fx = this.meta.applyResult(p.regionId, result);
        a.state = result.state;
        if (fx.removedSelf) p.removed = true;
        break;
      }
      case 'prepare-merge':
      case 'rollback-merge':
        this.meta.applyResult(p.regionId, result);
        a.state = result.state;
        break;
      case 'commit-merge': {
        const src = this.peers.get(result.source.id);
        if (!src || !src.state?.merging) {
          this.c.fail(
            'merge source ready',
            `store ${this.id}: region ${p.regionId} applies commit-merge of region ${result.source.id} whose local peer ` +
              (src ? 'has not applied prepare-merge' : 'is missing'),
          );
        }
        this.meta.applyResult(p.regionId, result);
        if (!this.c.opts.bugs.has('merge-drops-source')) for (const [key, v] of src.disk.apply.data) a.data.set(key, v);
        this.c.count('commit-merge applied');
        a.state = result.state;
        this.destroyPeer(src, `merged into region ${p.regionId}`);
        break;
      }
      default:
        assertNever(result, 'admin result');
    }
    this.c.adminApplied(p.regionId, result);
  }

  /** Whether the split applied here creates this store's peer of new region r. */
  private mayCreateSplitPeer(r: Region): boolean {
    const local = r.peers.find((x) => x.storeId === this.id)!;
    // Removed from the new region before this store's parent peer caught up with the split.
    if (this.tombstones.has(local.id)) return false;
    const ex = this.peers.get(r.id);
    if (!ex) return true;
    if (ex.peerId === local.id) {
      assert(!ex.initialized, `store ${this.id}: split creates peer ${local.id} that is already initialized`);
      return true;
    }
    // A newer peer of the region was added here meanwhile; it gets a snapshot.
    assert(ex.peerId > local.id, `store ${this.id}: peer ${ex.peerId} of new region ${r.id} predates the split`);
    return false;
  }

  private createSplitPeer(r: Region, data: Data, campaign: boolean): SimPeer {
    const local: RegionPeer = r.peers.find((x) => x.storeId === this.id)!;
    const ex = this.peers.get(r.id);
    let prev = emptyHardState;
    if (ex) {
      this.c.count('uninitialized peer initialized by split');
      // An uninitialized peer that may have voted: its term and vote must survive.
      prev = ex.disk.log.getHardState();
      this.dropVolatile(ex, 'initialized by split');
      this.peers.delete(r.id);
    }
    const disk = new PeerStorage();
    const hs =
      prev.term >= initLogTerm
        ? { term: prev.term, vote: prev.vote, commit: initLogIndex }
        : { term: initLogTerm, vote: 0, commit: initLogIndex };
    disk.boot({ region: r }, data, hs);
    const np = new SimPeer(r.id, local.id, this.id, disk);
    this.peers.set(r.id, np);
    this.startRaw(np);
    // The new region's peer beside the parent's leader campaigns at once (TiKV does the same),
    // so the new region is not leaderless for an election timeout.
    if (campaign && local.role === 'voter') np.raw!.campaign();
    this.c.world.trace.str('split-peer').u32(this.id).u32(np.peerId);
    return np;
  }

  private maybeCompact(p: SimPeer): void {
    const a = p.disk.apply;
    const log = p.disk.log;
    if (!a.state || a.index - log.firstIndex() + 1 < this.c.opts.compactEntries) return;
    p.disk.snapshot(); // one at the applied index, so the compacted entries stay covered
    const to = a.index - this.c.opts.compactKeep;
    if (to >= log.firstIndex()) log.compact(to as Index);
  }

  private serveReads(p: SimPeer): void {
    const a = p.disk.apply;
    for (const [ctx, r] of p.reads) {
      if (r.index === undefined || a.index < r.index) continue;
      p.reads.delete(ctx);
      const err = checkDataRequest(a.state!, { epoch: r.epoch, keys: [keyBytes(r.key)] }, 'read');
      r.done(err ? { status: 'rejected', error: err } : { status: 'ok', value: a.data.get(r.key) });
    }
  }
}

function sameConf(a: ConfState, b: ConfState): boolean {
  const s = (x: number[]): string => [...x].sort((m, n) => m - n).join(',');
  return (
    s(a.voters) === s(b.voters) &&
    s(a.learners) === s(b.learners) &&
    a.votersOutgoing.length === 0 &&
    a.learnersNext.length === 0
  );
}

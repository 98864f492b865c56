// A lane: one worker thread of a store, hosting many region peers over one LMDB environment
// and one MVCC tablet (every region of the lane keeps its keys in the same tables, so a split
// or merge moves no data). The lane runs the Ready loop of all its peers:
//
//   once per event-loop turn in which anything happened:
//     1. start the ReadIndex rounds of reads queued this turn; ask for timestamps for new writes;
//     2. collect a Ready from every peer that has one;
//     3. ONE storage write for all of them: append entries, hard states, apply committed entries
//        (group commit; one fsync however many regions were busy);
//     4. post ONE batch to the main thread: every peer's messages (grouped by store), replies;
//     5. advance every peer, release reads.
//
// The lane is plain code driven by `handle(batch)` and `tick()`; worker.ts wires it to a thread,
// tests drive it directly. Nothing here blocks on the main thread: timestamps arrive as messages.
// Nor on a scan of a region's data: its size and where to split it are jobs run off this thread
// (regions/jobs), whose answers the lane checks against the region as it is when they arrive.

import { compareKeys, type Region, type RegionId, type StoreId } from '../../src/cluster/region.js';
import { unpack } from '../../src/util/msgpack.js';
import { MvccStore } from '../../src/mvcc/index.js';
import type { Index, Message, NodeId, Ready, Term } from '../../src/raft/index.js';
import { openEngine, RaftLogStore, type Engine, type Table } from '../../src/storage/index.js';
import { assertNever } from '../../src/util/assert.js';
import { Prng } from '../../src/util/prng.js';
import { Peer, type PeerContext, type Reply } from '../peer/peer.js';
import type { Job, JobAnswer, JobOutcome, LaneJobs, SpanSize, TabletSpan } from '../jobs/jobs.js';
import { jobsOnThisThread } from '../jobs/run.js';
import { LeaseIndex } from './lease_index.js';
import type { MovingSlots } from '../peer/slot_move.js';
import type { MergeState } from '../peer/admin/index.js';
import type { CallError, FromLane, LaneOptions, RegionReport, RegionStats, ToLane } from './protocol.js';

/** How often an idle lane with held watch feeds asks the oracle for a timestamp (feed latency). */
const resolvedTickMs = 20;

/** LMDB named tables per lane: room for about 400 hash groups (5 tables each) beside the rest. */
const laneTablesMax = 2048;

/** The table prefix of the tablet the lane's range-mode regions share. */
const rangeTablet = 'tablet';

/** The table prefix of a region's tablet (a hash group has its own, see kvFor). Jobs name tablets by it. */
function tabletName(region: Region): string {
  return region.slots ? `group${region.id}` : rangeTablet;
}

/** One region's line of a stats report, before its size is known. */
interface StatsRow {
  peer: Peer;
  writeQps: number;
  readQps: number;
}

interface StoredPeer {
  region: Region;
  peerId: NodeId;
  /** Hash mode: slots frozen for a move in progress. */
  moving?: MovingSlots;
  /** Range mode: frozen as a merge source. */
  merging?: MergeState;
  compactRev?: number;
}

export class Lane {
  private readonly engine: Engine;
  private readonly kv: MvccStore;
  private readonly regionsTable: Table<string, StoredPeer>;
  private readonly peers = new Map<RegionId, Peer>();
  /**
   * The peers the lane drives: all but the hibernating ones. Ticks, Ready checks and feed
   * checks go over these only, so 10,000 idle regions cost nothing per tick.
   */
  private readonly awake = new Set<Peer>();
  private readonly ctx: PeerContext;
  private out: FromLane[] = [];
  private scheduled = false;
  private stopped = false;
  private tsoSeq = 0;
  /** The timestamp request in flight (one at a time keeps a lane's revisions in order). */
  private tsoInFlight: number | undefined;
  private callSeq = 0;
  private readonly incarnation: string;
  private changed = new Set<RegionId>();
  private readonly storeId: StoreId;
  /** The directory of the lane's environment (jobs open it for reading). */
  private readonly path: string;
  /** New regions whose peer here should campaign once the current write is durable. */
  private campaignAfterWrite: RegionId[] = [];

  /**
   * @param jobs where the lane's scans run (regions/jobs): a store's lanes get the store's pool;
   *   by default they run on the lane's own thread, for a lane driven in one thread (tests).
   */
  constructor(
    o: LaneOptions,
    private readonly post: (batch: FromLane[]) => void,
    private readonly defer: (fn: () => void) => void,
    clockMs: number,
    private readonly clock: () => number = () => Date.now(),
    private readonly jobs: LaneJobs = jobsOnThisThread,
  ) {
    this.feedTimer = setInterval(() => this.feedTick(), resolvedTickMs);
    this.feedTimer.unref?.();
    this.storeId = o.storeId;
    this.path = o.path;
    // Named tables: the range tablet, the Raft log, the region list, and each hash group's tablet.
    this.engine = openEngine({ path: o.path, noSync: o.noSync, flushDelayMs: o.flushDelayMs, tablesMax: laneTablesMax });
    this.kv = new MvccStore(this.engine, { name: rangeTablet, leases: this.leaseIndex });
    for (const { key, lease } of this.kv.leasedKeys()) this.leaseIndex.attach(lease, key);
    this.regionsTable = this.engine.table<StoredPeer>('regions', { keys: 'string' });
    this.tombstones = this.engine.table<{ at: number }>('tombstones', { keys: 'string' });
    // Tables open outside writes: the Raft log tables, before a split creates peers inside one.
    void new RaftLogStore(this.engine, 0);
    this.incarnation = `${o.storeId}.${o.lane}.${clockMs.toString(36)}`;
    this.ctx = {
      lastTimestamp: () => this.lastTso,
      now: () => this.clock(),
      kvFor: (region) => this.kvFor(region),
      leases: this.leaseIndex,
      onWake: (peer) => {
        this.awake.add(peer);
      },
      saveRegion: (peer) => {
        this.regionsTable.put(String(peer.region.id), {
          region: peer.region,
          peerId: peer.peerId,
          ...(peer.moving ? { moving: peer.moving } : {}),
          ...(peer.merging ? { merging: peer.merging } : {}),
          ...(peer.compactRev > 0 ? { compactRev: peer.compactRev } : {}),
        });
        this.changed.add(peer.region.id);
        // Its range may have changed (a split, a snapshot): measure it again at the next report.
        this.measured.delete(peer.region.id);
        this.quiet.delete(peer.region.id);
        this.saves.set(peer, (this.saves.get(peer) ?? 0) + 1);
      },
      splitKeyNearMiddle: (region, done) => {
        const span = this.spanForJob(region);
        this.runJob({ kind: 'splitKey', path: this.path, span }, (o) => done(o.ok ? { ok: true, value: o.value.key } : o));
      },
      onSplit: (parent, created) => this.onSplit(parent, created),
      onRemoved: (peer) => this.onRemoved(peer),
      onMerged: (target, source) => this.onMerged(target, source),
      localMergeSource: (source, target) => {
        const p = this.peers.get(source.id);
        return p?.merging?.target.id === target && p.region.epoch.version === source.epoch.version && p.region.epoch.confVer === source.epoch.confVer;
      },
      lane: o.lane,
      rand: new Prng((o.storeId * 7919 + o.lane * 104729 + clockMs) >>> 0),
      electionTicks: Math.max(2, Math.round(o.electionMs / o.heartbeatMs)),
      hibernateTicks: o.hibernateTicks,
    };
    // Restart: every peer this lane hosted comes back from its stored region and Raft state.
    // A hash group's tablet opens here, before its peer applies anything: opening tables is
    // only allowed outside a write, and the lease index learns the tablet's leased keys.
    for (const { value } of this.regionsTable.range()) {
      this.kvFor(value.region);
      this.openPeer(value.region, value.peerId, value.moving, value.merging, value.compactRev);
    }
  }

  private readonly groupTablets = new Map<RegionId, MvccStore>();
  /** Which keys carry which lease, over every tablet of the lane. */
  private readonly leaseIndex = new LeaseIndex();

  /**
   * Range-mode regions share the lane's tablet (a split moves no data). A hash-mode group has a
   * tablet of its own: a range read then sees only the group's keys, and moving slots between
   * groups is a copy between tablets, as Redis Cluster migrates keys.
   */
  private kvFor(region: Region): MvccStore {
    if (!region.slots) return this.kv;
    let t = this.groupTablets.get(region.id);
    if (!t) {
      t = new MvccStore(this.engine, { name: tabletName(region), leases: this.leaseIndex });
      for (const { key, lease } of t.leasedKeys()) this.leaseIndex.attach(lease, key);
      this.groupTablets.set(region.id, t);
    }
    return t;
  }

  /** Reports every region opened from disk, then 'started': the host routes nothing here before. */
  reportStartup(): void {
    this.reportChanges([]);
    this.out.push({ t: 'started' });
    this.flush();
  }

  get regionCount(): number {
    return this.peers.size;
  }

  private openPeer(region: Region, peerId: NodeId, moving?: MovingSlots, merging?: MergeState, compactRev?: number): Peer {
    const log = new RaftLogStore(this.engine, region.id);
    const peer = new Peer({
      region,
      peerId,
      log,
      ctx: this.ctx,
      applied: log.applied(),
      lastRev: 0,
      ...(moving ? { moving } : {}),
      ...(merging ? { merging } : {}),
      ...(compactRev ? { compactRev } : {}),
    });
    this.peers.set(region.id, peer);
    this.awake.add(peer);
    this.changed.add(region.id);
    return peer;
  }

  /** Creates this store's peer of a region that is new here (bootstrap or replica). */
  private createPeer(region: Region, peerId: NodeId): void {
    if (this.peers.has(region.id)) return;
    this.kvFor(region); // a hash group's tablet opens its tables outside the write
    const peer = this.engine.write(() => this.initPeer(region, peerId));
    // A region with one voter elects itself at once instead of waiting for a timeout.
    const voters = region.peers.filter((p) => p.role === 'voter');
    if (voters.length === 1 && voters[0]!.id === peerId) peer.node.campaign();
  }

  /**
   * Inside a write: the Raft state a new region starts from, the same on every store: a snapshot
   * at index 1 naming its voters and learners (as a new etcd cluster does), so they elect in
   * term 2. Then the peer itself.
   */
  private initPeer(region: Region, peerId: NodeId): Peer {
    const log = new RaftLogStore(this.engine, region.id);
    if (log.lastIndex() === 0 && log.snapshot().metadata.index === 0) {
      const voters = region.peers.filter((p) => p.role === 'voter').map((p) => p.id);
      const learners = region.peers.filter((p) => p.role === 'learner').map((p) => p.id);
      const confState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
      log.applySnapshot({ metadata: { index: 1 as Index, term: 1 as Term, confState }, data: new Uint8Array(0) });
      log.setApplied(1 as Index);
      log.setHardState({ term: 1 as Term, vote: 0, commit: 1 as Index });
    }
    this.regionsTable.put(String(region.id), { region, peerId });
    return this.openPeer(region, peerId);
  }

  /** Regions whose peer here was removed: messages for them create nothing again. */
  private readonly tombstones: Table<string, { at: number }>;

  /**
   * The peer a message is for. A leader's message for a region this lane does not host creates
   * an empty, uninitialized peer (a replica being added): the leader finds its log empty and
   * sends a snapshot. Regions whose peer was removed here are not recreated.
   */
  private peerFor(msg: Message): Peer | undefined {
    const id = msg.group as RegionId;
    const known = this.peers.get(id);
    if (known) return known;
    if (msg.type !== 'app' && msg.type !== 'heartbeat' && msg.type !== 'snap') return undefined;
    if (this.tombstones.get(String(id)) !== undefined) return undefined;
    const region: Region = { id, start: new Uint8Array(0), end: new Uint8Array(0), epoch: { confVer: 0, version: 0 }, peers: [] };
    const log = new RaftLogStore(this.engine, id);
    const peer = new Peer({ region, peerId: msg.to, log, ctx: this.ctx, applied: log.applied(), lastRev: 0, initialized: false });
    this.peers.set(id, peer);
    this.awake.add(peer);
    return peer;
  }

  /**
   * A snapshot for a region whose range another peer here still covers (this store missed a
   * split or merge: the parent has not applied it yet) would install keys that peer's own log
   * will write again. Dropped: the leader sends it again, and once the local peer has applied
   * the change, the ranges no longer overlap (TiKV's check_snapshot).
   */
  private snapshotOverlaps(msg: Message): boolean {
    const snap = msg.snapshot;
    if (!snap || snap.data.length === 0) return false;
    let region: Region;
    try {
      region = unpack<{ region: Region }>(snap.data).region;
    } catch {
      return false;
    }
    if (region.slots) return false;
    for (const p of this.peers.values()) {
      if (p.region.id === region.id || !p.initialized || p.region.slots) continue;
      const r = p.region;
      const startsBeforeEnd = region.end.length === 0 || compareKeys(r.start, region.end) < 0;
      const endsAfterStart = r.end.length === 0 || compareKeys(region.start, r.end) < 0;
      if (startsBeforeEnd && endsAfterStart) return true;
    }
    return false;
  }

  /**
   * Inside the write: this store's peer left its region. Its keys, Raft log and region record
   * go; a tombstone stays so late messages do not bring it back.
   */
  private onRemoved(peer: Peer): void {
    const r = peer.region;
    this.kvFor(r).dropRange(r.slots ? new Uint8Array(0) : r.start, r.slots ? new Uint8Array(0) : r.end);
    new RaftLogStore(this.engine, r.id).destroy();
    this.regionsTable.remove(String(r.id));
    this.tombstones.put(String(r.id), { at: r.epoch.confVer });
    this.removedAfterWrite.push(r.id);
  }

  private removedAfterWrite: RegionId[] = [];

  /**
   * Inside the write: a merge's target took the source's range. The source's peer goes, with its
   * Raft log and record, but not its keys: they are the target's now. A tombstone keeps late
   * messages from bringing it back.
   */
  private onMerged(_target: Peer, source: Region): void {
    const peer = this.peers.get(source.id);
    if (!peer) return;
    peer.removed = true;
    new RaftLogStore(this.engine, source.id).destroy();
    this.regionsTable.remove(String(source.id));
    this.tombstones.put(String(source.id), { at: source.epoch.confVer });
    this.removedAfterWrite.push(source.id);
  }

  /** A peer PD no longer lists (removed while this store was away or partitioned). */
  private destroyStale(id: RegionId, confVer: number): void {
    const peer = this.peers.get(id);
    if (!peer || peer.region.epoch.confVer >= confVer || peer.isLeader) return;
    this.engine.write(() => {
      peer.removed = true;
      this.onRemoved(peer);
    });
    this.schedule();
  }

  /**
   * A split applied (inside the write): the new regions' peers on this store start over the same
   * tablet. Beside a leading parent they campaign at once once the write is durable, so the new
   * regions have leaders (and PD hears of them) without waiting an election timeout.
   */
  private onSplit(parent: Peer, created: Region[]): void {
    for (const r of created) {
      const mine = r.peers.find((p) => p.storeId === this.storeId);
      if (!mine || this.peers.has(r.id)) continue;
      const child = this.initPeer(r, mine.id);
      // The new region's history is the parent's: so is its compaction point.
      child.compactRev = parent.compactRev;
      if (parent.isLeader) this.campaignAfterWrite.push(r.id);
    }
  }

  // ---- inputs ----

  handle(batch: ToLane[]): void {
    if (this.stopped) return;
    for (const m of batch) {
      switch (m.t) {
        case 'raft':
          for (const msg of m.msgs) {
            if (msg.type === 'snap' && this.snapshotOverlaps(msg)) continue;
            const peer = this.peerFor(msg);
            if (!peer) continue;
            peer.learnStore(msg.from, m.fromStore);
            peer.step(msg);
          }
          break;
        case 'unreachable': {
          const p = this.peers.get(m.region);
          p?.wake();
          p?.node.reportUnreachable(m.peer);
          break;
        }
        case 'snapStatus': {
          const p = this.peers.get(m.region);
          p?.wake();
          p?.node.reportSnapshot(m.peer, m.ok);
          break;
        }
        case 'call':
          this.call(m);
          break;
        case 'tso':
          this.onTimestamps(m.id, m.first, m.count);
          break;
        case 'tsoFailed':
          this.tsoInFlight = undefined;
          for (const p of this.peers.values()) p.failAwaitingTs({ kind: 'etcd', code: 'Unavailable', message: `timestamp oracle: ${m.message}` });
          break;
        case 'createPeer':
          this.createPeer(m.region, m.peerId);
          break;
        case 'destroy':
          this.destroyStale(m.region, m.confVer);
          break;
        case 'wakeLedBy':
          for (const p of this.peers.values()) if (p.hibernating && p.leaderPeer()?.storeId === m.store) p.wake();
          break;
        case 'leaseSummary': {
          const byRegion: Array<[RegionId, bigint[]]> = [];
          for (const p of this.peers.values()) {
            if (!p.isLeader || !p.initialized) continue;
            const ids = p.leasesInUse();
            if (ids.length > 0) byRegion.push([p.region.id, ids]);
          }
          this.out.push({ t: 'leaseSummary', id: m.id, byRegion });
          break;
        }
        case 'stop':
          this.stop();
          return;
        default:
          assertNever(m, 'lane message');
      }
    }
    this.schedule();
  }

  private call(m: Extract<ToLane, { t: 'call' }>): void {
    const reply: Reply = (ok, value) => {
      if (ok) this.out.push({ t: 'reply', id: m.id, ok: true, value });
      else this.out.push({ t: 'reply', id: m.id, ok: false, error: value as CallError });
      this.schedule();
    };
    const peer = this.peers.get(m.region);
    if (!peer) return reply(false, { kind: 'region', error: { code: 'RegionNotFound', regionId: m.region } });
    peer.call(m.epoch, m.op, () => `${this.incarnation}:${this.callSeq++}`, reply);
  }

  tick(): void {
    if (this.stopped) return;
    for (const p of this.awake) p.tick();
    this.schedule();
  }

  /** Every few ms while watch feeds are held: keeps the oracle asked and answers what is due. */
  private feedTick(): void {
    if (this.stopped) return;
    let feeding = false;
    for (const p of this.awake) {
      if (!p.hasFeeds()) continue;
      feeding = true;
      p.serveFeeds();
    }
    if (feeding) {
      this.requestTimestamps();
      this.flush();
    }
  }

  private lastStatsMs: number | undefined;
  private readonly measured = new Map<RegionId, SpanSize>();
  /** Regions last reported idle: reported again only once they are busy or re-measured. */
  private readonly quiet = new Set<RegionId>();
  /** How many times each peer's region was saved: a measure answer asked before the last save is of another shape. */
  private readonly saves = new WeakMap<Peer, number>();
  /** A report waits for its measure job: later rounds wait for it (their counts keep adding up). */
  private statsMeasuring = false;

  /**
   * Every statsIntervalMs: the size and load of each region this lane leads. The size is
   * measured again only for regions written since (an idle region costs nothing here), by a job
   * off this thread (regions/jobs/region_size.ts): the lane keeps serving meanwhile, and the
   * report goes out when the sizes are back.
   */
  reportStats(nowMs: number): void {
    if (this.stopped || this.statsMeasuring) return;
    if (this.lastStatsMs === undefined) {
      this.lastStatsMs = nowMs;
      return;
    }
    const seconds = Math.max(0.001, (nowMs - this.lastStatsMs) / 1000);
    this.lastStatsMs = nowMs;
    const rows: StatsRow[] = [];
    const toMeasure: Array<{ peer: Peer; region: Region; saves: number }> = [];
    for (const p of this.peers.values()) {
      const writes = p.writesSinceReport;
      const reads = p.readsSinceReport;
      p.writesSinceReport = 0;
      p.readsSinceReport = 0;
      if (!p.isLeader) continue;
      const m = this.measured.get(p.region.id);
      // An idle region measured before, whose idleness was already reported, says nothing new.
      if (m && writes === 0 && reads === 0 && this.quiet.has(p.region.id)) continue;
      rows.push({ peer: p, writeQps: writes / seconds, readQps: reads / seconds });
      if (!m || writes > 0) toMeasure.push({ peer: p, region: p.region, saves: this.saves.get(p) ?? 0 });
    }
    if (toMeasure.length === 0) return this.postStats(rows);
    this.statsMeasuring = true;
    const spans = toMeasure.map(({ region }) => this.spanForJob(region));
    this.runJob({ kind: 'measure', path: this.path, spans }, (o) => {
      this.statsMeasuring = false;
      if (!o.ok) this.out.push({ t: 'log', line: `flotilla: lane ${this.ctx.lane}: measuring ${spans.length} regions failed (they are measured again next time): ${o.message}` });
      else {
        toMeasure.forEach(({ peer, region, saves }, i) => {
          // Saved since it was asked for (a split, a snapshot, a compaction): the answer is of
          // the old shape; the region is measured again next time.
          if (this.peers.get(region.id) !== peer || (this.saves.get(peer) ?? 0) !== saves) return;
          this.measured.set(region.id, o.value[i]!);
        });
      }
      this.postStats(rows);
    });
  }

  /** The stats of `rows` that are measured and still led here, with the lane's file sizes. */
  private postStats(rows: StatsRow[]): void {
    const stats: RegionStats[] = [];
    for (const { peer: p, writeQps, readQps } of rows) {
      const m = this.measured.get(p.region.id);
      if (!m || !p.isLeader || this.peers.get(p.region.id) !== p) continue;
      if (writeQps === 0 && readQps === 0) this.quiet.add(p.region.id);
      else this.quiet.delete(p.region.id);
      stats.push({ region: p.region.id, approximateBytes: m.bytes, approximateKeys: m.keys, writeQps, readQps });
    }
    this.out.push({ t: 'stats', stats, dbBytes: this.engine.sizeBytes(), dbBytesInUse: this.engine.sizeInUseBytes() });
    this.flush();
  }

  // ---- jobs ----

  /**
   * The span of a region's keys, for a job. Its tablet is opened here first: a job opens only
   * tables this lane holds open, the one way of opening them from another thread that touches
   * nothing the environment's threads share (lmdb.ts).
   */
  private spanForJob(region: Region): TabletSpan {
    this.kvFor(region);
    return { tablet: tabletName(region), start: region.start, end: region.end };
  }

  /** Jobs asked for and not answered yet: the engine closes only after them (see stop). */
  private readonly jobsInFlight = new Set<Promise<void>>();

  /**
   * Runs a job off this thread (this.jobs); `done` runs on the lane when it ends, unless the
   * lane stopped meanwhile, and the Ready loop runs after it (it may have proposed or replied).
   */
  private runJob<J extends Job>(job: J, done: (o: JobOutcome<JobAnswer<J>>) => void): void {
    const settled: Promise<void> = Promise.resolve()
      .then(() => this.jobs.run(job))
      .then(
        (value): JobOutcome<JobAnswer<J>> => ({ ok: true, value }),
        (e: unknown): JobOutcome<JobAnswer<J>> => ({ ok: false, message: e instanceof Error ? e.message : String(e) }),
      )
      .then((o) => {
        this.jobsInFlight.delete(settled);
        if (this.stopped) return;
        done(o);
        this.schedule();
      });
    this.jobsInFlight.add(settled);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.run();
    });
  }

  // ---- timestamps ----

  /** The newest timestamp seen from PD (feeds resolve up to it). */
  private lastTso = 0;
  private lastTsoAtMs = 0;

  private requestTimestamps(): void {
    if (this.tsoInFlight !== undefined) return;
    let count = 0;
    for (const p of this.awake) count += p.timestampsNeeded();
    if (count === 0) {
      // Held watch feeds wait for their regions' resolved revision to move: an idle lane asks
      // the oracle for one timestamp now and then, so it does.
      const feeding = [...this.awake].some((p) => p.hasFeeds());
      if (!feeding || this.clock() - this.lastTsoAtMs < resolvedTickMs) return;
      count = 1;
    }
    this.tsoInFlight = ++this.tsoSeq;
    this.out.push({ t: 'tso', id: this.tsoInFlight, count });
  }

  private onTimestamps(id: number, first: number, count: number): void {
    if (id !== this.tsoInFlight) return;
    this.tsoInFlight = undefined;
    this.lastTso = Math.max(this.lastTso, first + count - 1);
    this.lastTsoAtMs = this.clock();
    let next = first;
    const end = first + count;
    // Writes waiting for timestamps came with a call, which woke their peer.
    for (const p of this.awake) {
      if (next >= end) break;
      if (p.timestampsNeeded() === 0) continue;
      next = p.proposeWithTimestamps(next, end);
    }
  }

  // ---- the Ready loop ----

  private run(): void {
    if (this.stopped) return;
    const busy: Array<{ peer: Peer; rd: Ready }> = [];
    for (const p of this.awake) {
      p.startReadRound();
      if (p.node.hasReady()) busy.push({ peer: p, rd: p.node.ready() });
    }
    this.requestTimestamps();
    const outcomes: Array<{ reply: Reply; ok: boolean; value: unknown }> = [];
    // A snapshot may bring a hash group whose tablet is not open yet: tables open outside writes.
    for (const { peer, rd } of busy) {
      const r = peer.snapshotRegion(rd);
      if (r) this.kvFor(r);
    }
    const mustWrite = busy.some(({ rd }) => rd.entries.length > 0 || rd.hardState !== undefined || rd.committedEntries.length > 0 || rd.snapshot !== undefined);
    if (mustWrite) {
      this.engine.write(() => {
        for (const { peer, rd } of busy) peer.persistAndApply(rd, outcomes);
      });
    }
    // Durable: messages may go out, grouped by destination store.
    const byStore = new Map<StoreId, Message[]>();
    for (const { peer, rd } of busy) {
      for (const m of rd.messages) {
        const store = peer.storeOf(m.to);
        if (store === undefined) continue;
        let l = byStore.get(store);
        if (!l) byStore.set(store, (l = []));
        l.push(m);
      }
      if (rd.softState) this.changed.add(peer.region.id);
      peer.afterCommit(rd);
    }
    for (const [toStore, msgs] of byStore) this.out.push({ t: 'send', toStore, msgs });
    for (const id of this.campaignAfterWrite) this.peers.get(id)?.node.campaign();
    const removed = this.removedAfterWrite;
    this.removedAfterWrite = [];
    const campaigned = this.campaignAfterWrite.length > 0;
    this.campaignAfterWrite = [];
    for (const o of outcomes) o.reply(o.ok, o.value);
    for (const { peer, rd } of busy) {
      peer.node.advance(rd);
      peer.releaseReads();
    }
    for (const id of removed) {
      this.peers.get(id)?.close({ kind: 'region', error: { code: 'RegionNotFound', regionId: id } });
      const gone = this.peers.get(id);
      if (gone) this.awake.delete(gone);
      this.peers.delete(id);
      this.changed.delete(id);
    }
    for (const p of this.awake) {
      p.serveFeeds();
      // Asleep with nothing left to do: out of the loop until a message or call wakes it.
      if (p.hibernating && !p.node.hasReady()) this.awake.delete(p);
    }
    this.reportChanges(removed);
    this.flush();
    if (campaigned || busy.some(({ peer }) => peer.node.hasReady())) this.schedule();
  }

  private reportChanges(removed: RegionId[]): void {
    if (this.changed.size === 0 && removed.length === 0) return;
    const changed: RegionReport[] = [];
    for (const id of this.changed) {
      const p = this.peers.get(id);
      if (!p || !p.initialized) continue;
      changed.push({
        region: p.region,
        leader: p.leaderPeer(),
        isLeader: p.isLeader,
        appliedRevision: p.lastApplied,
        ...(p.moving ? { moving: p.moving } : {}),
        ...(p.merging ? { mergingInto: p.merging.target } : {}),
      });
    }
    this.changed.clear();
    this.out.push({ t: 'regions', changed, removed });
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const batch = this.out;
    this.out = [];
    this.post(batch);
  }

  private readonly feedTimer: NodeJS.Timeout;

  stop(): void {
    if (this.stopped) return;
    clearInterval(this.feedTimer);
    for (const p of this.peers.values()) p.close({ kind: 'etcd', code: 'Stopped', message: 'etcdserver: server stopped' });
    this.flush();
    this.stopped = true;
    // Jobs read this environment through handles of their own: it closes after they end, so this
    // handle is its last and the environment really closes (and a lane opened on the same
    // directory later in this process opens it anew, for writing: lmdb.ts).
    void Promise.allSettled(this.jobsInFlight)
      .then(() => this.engine.close())
      .then(() => this.post([{ t: 'stopped' }]));
  }
}

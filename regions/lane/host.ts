// The main thread's side of a store's lanes: starts the worker threads, places region peers on
// them, and carries everything between them and the rest of the store (router, transport, PD
// client). What goes to one lane during one event-loop turn is posted as one batch.

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { compareKeys, type Region, type RegionEpoch, type RegionId, type StoreId } from '../../src/cluster/region.js';
import { RegionCallError } from '../../src/cluster/region_ops.js';
import type { Message, NodeId } from '../../src/raft/index.js';
import { assert, assertNever } from '../../src/util/assert.js';
import { serveJobs } from '../jobs/channel.js';
import { JobPool } from '../jobs/pool.js';
import type { FromLane, LaneOptions, RegionOp, RegionReport, RegionStats, ToLane } from './protocol.js';

export { RegionCallError };

export interface LaneHostOptions extends Omit<LaneOptions, 'lane' | 'path'> {
  /** Number of lanes (worker threads). */
  lanes: number;
  /** The lane's data directory: `${dataDir}/lane-${n}`. */
  dataDir: string;
  /** Sends Raft messages to another store (the transport). */
  send(toStore: StoreId, msgs: Message[]): void;
  /** `count` consecutive timestamps from PD's oracle; resolves with the first. */
  timestamps(count: number): Promise<number>;
  /** Regions created or changed on this store (router cache, PD heartbeats). */
  onRegions?(reports: RegionReport[], removed: RegionId[]): void;
  log?(line: string): void;
  /** New statistics of regions led here (busy ones, or re-measured). */
  onStats?(stats: RegionStats[]): void;
  /** Where a region lies, as PD knows it (for placing a region new to this store). */
  regionInfo?(id: RegionId): Promise<Region | undefined>;
  /** A lane died; the store stops. */
  onFatal?(err: Error): void;
  /** Calls not answered within this time fail with etcd's request timeout. */
  requestTimeoutMs?: number;
}

/** What a lane's thread starts with: its options, and its end of the channel to the store's job pool. */
export interface LaneWorkerData extends LaneOptions {
  jobsPort: MessagePort;
}

interface PendingCall {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class LaneHost {
  private readonly workers: Worker[] = [];
  private readonly queues: ToLane[][] = [];
  private flushScheduled = false;
  private readonly laneOf = new Map<RegionId, number>();
  private readonly regionCount: number[] = [];
  private readonly calls = new Map<number, PendingCall>();
  private callSeq = 0;
  private stopping: Promise<void> | undefined;
  /** The latest report of every region hosted here. */
  readonly regions = new Map<RegionId, RegionReport>();
  private readonly laneDb: Array<{ bytes: number; inUse: number }> = [];
  /** The store's job pool, for every lane (regions/jobs/pool.ts says why here), and the lanes' ports to it. */
  private readonly jobs = new JobPool();
  private readonly jobPorts: MessagePort[] = [];

  /** The lanes' LMDB files together, as last measured (etcd's dbSize, dbSizeInUse). */
  dbSize(): { bytes: number; inUse: number } {
    let bytes = 0;
    let inUse = 0;
    for (const d of this.laneDb) {
      bytes += d?.bytes ?? 0;
      inUse += d?.inUse ?? 0;
    }
    return { bytes, inUse };
  }

  /** The latest statistics of the regions led here. */
  readonly stats = new Map<RegionId, RegionStats>();

  private constructor(private readonly o: LaneHostOptions) {}

  static async start(o: LaneHostOptions): Promise<LaneHost> {
    assert(o.lanes >= 1, `lanes must be at least 1, got ${o.lanes}`);
    const host = new LaneHost(o);
    const ready: Array<Promise<void>> = [];
    for (let n = 0; n < o.lanes; n++) {
      const { lanes: _l, dataDir, send: _s, timestamps: _t, onRegions: _r, log: _g, requestTimeoutMs: _q, onFatal: _f, onStats: _st, regionInfo: _ri, ...rest } = o;
      const opts: LaneOptions = { ...rest, lane: n, path: `${dataDir}/lane-${n}` };
      const jobs = new MessageChannel();
      serveJobs(jobs.port1, host.jobs);
      host.jobPorts.push(jobs.port1);
      const workerData: LaneWorkerData = { ...opts, jobsPort: jobs.port2 };
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData, transferList: [jobs.port2] });
      host.workers.push(w);
      host.queues.push([]);
      host.regionCount.push(0);
      // Ready once the lane reported the regions it opened from disk: a message for one of them
      // must reach that lane, not make an empty peer on another.
      ready.push(new Promise((resolve, reject) => {
        w.on('message', (batch: FromLane[]) => {
          if (batch.some((m) => m.t === 'started')) resolve();
        });
        w.once('error', reject);
      }));
      w.on('message', (batch: FromLane[]) => host.onLane(n, batch));
      // A lane that failed (an assertion: a bug) leaves its regions without a peer here: the
      // store must not go on serving as if nothing happened.
      w.on('error', (err) => {
        o.log?.(`flotilla: lane ${n} failed: ${err.stack ?? err.message}`);
        o.onFatal?.(err);
      });
    }
    await Promise.all(ready);
    return host;
  }

  get laneCount(): number {
    return this.workers.length;
  }

  /** Creates this store's peer of a region on the lane with the fewest regions. */
  createPeer(region: Region, peerId: NodeId): void {
    let lane = this.laneOf.get(region.id);
    if (lane === undefined) {
      lane = this.emptiestLane();
      this.place(region.id, lane);
    }
    this.enqueue(lane, { t: 'createPeer', region, peerId });
  }

  private emptiestLane(): number {
    let lane = 0;
    for (let n = 1; n < this.regionCount.length; n++) if (this.regionCount[n]! < this.regionCount[lane]!) lane = n;
    return lane;
  }

  private place(region: RegionId, lane: number): void {
    if (this.laneOf.has(region)) return;
    this.laneOf.set(region, lane);
    this.regionCount[lane]!++;
  }

  /**
   * Raft messages from another store. A leader's message for a region not hosted here goes to
   * the lane with the fewest regions, which creates an empty peer for it (a replica being added).
   */
  receive(fromStore: StoreId, msgs: Message[]): void {
    const byLane = new Map<number, Message[]>();
    for (const m of msgs) {
      const lane = this.laneOf.get(m.group as RegionId);
      if (lane === undefined) {
        if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') this.placeUnknown(m.group as RegionId);
        // Dropped meanwhile: the leader sends again.
        continue;
      }
      let l = byLane.get(lane);
      if (!l) byLane.set(lane, (l = []));
      l.push(m);
    }
    for (const [lane, l] of byLane) this.enqueue(lane, { t: 'raft', fromStore, msgs: l });
  }

  private readonly placing = new Set<RegionId>();

  /**
   * A region new to this store (a replica being added, or a split this store has not applied
   * yet). Its peer must be on the lane of any local region whose range it overlaps: that region
   * is its parent not yet split here, and when it splits it creates the peer on its own lane.
   * Where the region lies comes from PD; until then its messages are dropped.
   */
  private placeUnknown(id: RegionId): void {
    if (this.placing.has(id) || this.laneOf.has(id)) return;
    this.placing.add(id);
    const lookup = this.o.regionInfo ? this.o.regionInfo(id) : Promise.resolve(undefined);
    lookup
      .catch(() => undefined)
      .then((region) => {
        if (this.laneOf.has(id)) return;
        // PD has not heard of it yet (a split just made it): a later message asks again.
        if (!region && this.o.regionInfo) return;
        let lane: number | undefined;
        if (region && !region.slots) {
          for (const r of this.regions.values()) {
            if (r.region.slots || !rangesMeet(r.region, region)) continue;
            lane = this.laneOf.get(r.region.id);
            break;
          }
        }
        this.place(id, lane ?? this.emptiestLane());
      })
      .finally(() => this.placing.delete(id));
  }

  unreachable(region: RegionId, peer: NodeId): void {
    const lane = this.laneOf.get(region);
    if (lane !== undefined) this.enqueue(lane, { t: 'unreachable', region, peer });
  }

  private readonly summaries = new Map<number, (byRegion: Array<[RegionId, bigint[]]>) => void>();
  private summarySeq = 0;

  /** For each region led here whose keys carry leases: those leases. */
  async leasesInUse(): Promise<Map<RegionId, bigint[]>> {
    const parts = await Promise.all(
      this.workers.map(
        (_, lane) =>
          new Promise<Array<[RegionId, bigint[]]>>((resolve) => {
            const id = ++this.summarySeq;
            this.summaries.set(id, resolve);
            this.enqueue(lane, { t: 'leaseSummary', id });
          }),
      ),
    );
    return new Map(parts.flat());
  }

  /** Wakes the hibernating peers whose leader is on `store` (it looks down). */
  wakeLedBy(store: StoreId): void {
    for (let lane = 0; lane < this.workers.length; lane++) this.enqueue(lane, { t: 'wakeLedBy', store });
  }

  /** Drops this store's stale peer of a region (see the 'destroy' message). */
  destroy(region: RegionId, confVer: number): void {
    const lane = this.laneOf.get(region);
    if (lane !== undefined) this.enqueue(lane, { t: 'destroy', region, confVer });
  }

  /** Every region with a peer on `store`, to tell them it cannot be reached. */
  regionsWithPeerOn(store: StoreId): Array<{ region: RegionId; peer: NodeId }> {
    const out: Array<{ region: RegionId; peer: NodeId }> = [];
    for (const r of this.regions.values()) for (const p of r.region.peers) if (p.storeId === store) out.push({ region: r.region.id, peer: p.id });
    return out;
  }

  /** Runs `op` on this store's peer of `region`. Rejects with RegionCallError. */
  call(region: RegionId, epoch: RegionEpoch, op: RegionOp): Promise<unknown> {
    const lane = this.laneOf.get(region);
    if (lane === undefined) return Promise.reject(new RegionCallError({ kind: 'region', error: { code: 'RegionNotFound', regionId: region } }));
    const id = ++this.callSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.calls.delete(id)) reject(new RegionCallError({ kind: 'etcd', code: 'Timeout', message: 'etcdserver: request timed out' }));
      }, this.o.requestTimeoutMs ?? 7000);
      timer.unref?.();
      this.calls.set(id, { resolve, reject, timer });
      this.enqueue(lane, { t: 'call', id, region, epoch, op });
    });
  }

  private enqueue(lane: number, m: ToLane): void {
    this.queues[lane]!.push(m);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (let n = 0; n < this.workers.length; n++) {
        const q = this.queues[n]!;
        if (q.length === 0) continue;
        this.queues[n] = [];
        this.workers[n]!.postMessage(q);
      }
    });
  }

  private onLane(lane: number, batch: FromLane[]): void {
    for (const m of batch) {
      switch (m.t) {
        case 'send':
          this.o.send(m.toStore, m.msgs);
          break;
        case 'reply': {
          const c = this.calls.get(m.id);
          if (!c) break;
          this.calls.delete(m.id);
          clearTimeout(c.timer);
          if (m.ok) c.resolve(m.value);
          else c.reject(new RegionCallError(m.error));
          break;
        }
        case 'tso':
          this.o.timestamps(m.count).then(
            (first) => this.enqueue(lane, { t: 'tso', id: m.id, first, count: m.count }),
            (err: Error) => this.enqueue(lane, { t: 'tsoFailed', id: m.id, message: err.message }),
          );
          break;
        case 'regions':
          for (const r of m.changed) {
            this.place(r.region.id, lane);
            this.regions.set(r.region.id, r);
          }
          // A removed region keeps its lane: late messages for it go where its tombstone is.
          for (const id of m.removed) {
            this.regions.delete(id);
            this.stats.delete(id);
          }
          this.o.onRegions?.(m.changed, m.removed);
          break;
        case 'stats':
          for (const st of m.stats) this.stats.set(st.region, st);
          if (m.stats.length > 0) this.o.onStats?.(m.stats);
          this.laneDb[lane] = { bytes: m.dbBytes, inUse: m.dbBytesInUse };
          break;
        case 'leaseSummary':
          this.summaries.get(m.id)?.(m.byRegion);
          this.summaries.delete(m.id);
          break;
        case 'log':
          this.o.log?.(m.line);
          break;
        case 'stopped':
        case 'started':
          break;
        default:
          assertNever(m, 'lane message');
      }
    }
  }

  /** Stops every lane: pending calls fail, storage closes. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      const done = this.workers.map((w) => new Promise<void>((resolve) => {
        w.on('message', (batch: FromLane[]) => {
          if (batch.some((m) => m.t === 'stopped')) resolve();
        });
        w.once('exit', () => resolve());
      }));
      for (let n = 0; n < this.workers.length; n++) this.enqueue(n, { t: 'stop' });
      await Promise.all(done);
      await Promise.all(this.workers.map((w) => w.terminate()));
      // The lanes waited for their jobs before closing their storage (Lane.stop): none is left.
      for (const p of this.jobPorts) p.close();
      await this.jobs.close();
      for (const [, c] of this.calls) {
        clearTimeout(c.timer);
        c.reject(new RegionCallError({ kind: 'etcd', code: 'Stopped', message: 'etcdserver: server stopped' }));
      }
      this.calls.clear();
    })();
    return this.stopping;
  }
}

function rangesMeet(a: Region, b: Region): boolean {
  const aBeforeB = a.end.length !== 0 && compareKeys(a.end, b.start) <= 0;
  const bBeforeA = b.end.length !== 0 && compareKeys(b.end, a.start) <= 0;
  return !aBeforeB && !bBeforeA;
}

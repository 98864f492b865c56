// The router: etcd's API (an EtcdBackend) over a sharded key space. Every store runs one; it
// sends each request to the leader of the region holding its keys, through a RegionSender (this
// store's lanes, or another store), and retries what regions refuse:
//
//   put "k"  → table.locate("k") = region 7 (epoch 1/3), leader peer 21 on store 2
//            → sender.send(store 2, region 7, put) → { code: 'NotLeader', leader: peer 22 }
//            → table learns the hint → retry at once on store 3 → PutResponse
//
// Ranges and deletes over several regions are split per region (split_request.ts), sent in
// parallel and merged (merge.ts). What cannot keep etcd's semantics across regions yet fails
// with a clear NotSupported error instead of a weaker answer (see notSupported below).

import type { EtcdBackend, LeaseGrantResult, LeaseTimeToLiveResult, Member, ResponseHeader, StatusInfo, AlarmMember, AlarmType } from '../api/backend.js';
import { compareKeys, type Region, type RegionId, type RegionPeer, type StoreId } from '../cluster/region.js';
import { RegionCallError, type RegionEvents, type RegionOp } from '../cluster/region_ops.js';
import { EtcdError, type EtcdErrorCode } from '../mvcc/errors.js';
import type {
  CompactionRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../mvcc/types.js';
import type { Rand } from '../util/prng.js';
import type { WatchHub } from '../watch/types.js';
import { nextRetry } from './backoff.js';
import { FeedReshaped, ShardedWatch, type FeedTransport } from './watch_feeds.js';
import { mergeDeleteRange, mergeRange } from './merge.js';
import { applyRegionError, type KeySpan, type RouteTable } from './route.js';
import { isEmptySpan, keysOfTxn, rangeBounds, singleRegionOf, splitDeleteRange, splitRange } from './split_request.js';

/** Sends an op to the peer of a region on a store; rejects with RegionCallError. */
export interface RegionSender {
  send(store: StoreId, region: Region, op: RegionOp): Promise<unknown>;
}

/** Where regions are looked up when the cache does not know them (PD). */
export interface RegionDirectory {
  regionByKey(key: Uint8Array): Promise<{ region: Region; leader: RegionPeer | undefined } | undefined>;
  /** Every region (hash mode asks for all groups when a slot has no known owner). */
  allRegions(): Promise<Array<{ region: Region; leader: RegionPeer | undefined }>>;
  /** A fresh timestamp from the oracle (watch feeds start there). */
  timestamp(): Promise<number>;
  regionById(id: RegionId): Promise<{ region: Region; leader: RegionPeer | undefined } | undefined>;
  /** PD's lessor (its core's): rejects with EtcdError for etcd's lease errors. */
  lease(call: LeaseCall): Promise<unknown>;
}

/** The lease calls PD's lessor takes (placement/pd/service.ts LeaseCall). */
export type LeaseCall =
  | { action: 'grant'; ttl: number; id: bigint }
  | { action: 'revoke'; id: bigint }
  | { action: 'keepAlive'; id: bigint }
  | { action: 'timeToLive'; id: bigint }
  | { action: 'leases' };

export interface RouterOptions {
  /** RegionCache in range mode, SlotTable in hash mode. */
  table: RouteTable;
  directory: RegionDirectory;
  sender: RegionSender;
  rand: Rand;
  /** This store: its peer of a region is tried first when the leader is unknown. */
  localStore: StoreId;
  header(): ResponseHeader;
  status(): Promise<StatusInfo>;
  members(): Promise<Member[]>;
  /** Watch responses are split in fragments of this size for clients that ask (etcd: max request bytes). */
  fragmentBytesMax: number;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** How long a request waits for PD to know the region of its key, and how often it asks. */
const directoryWaitMsMax = 3_000;
const directoryRetryMs = 50;
/** How long a lease checked alive is trusted by puts naming it (the reaper removes late keys). */
const leaseCheckMs = 1_000;
/** How many times one request follows regions that split or merged under it. */
const reshapesMax = 8;

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Requests that the sharded modes do not serve yet, each with what the user needs to know. */
function notSupported(what: string): EtcdError {
  return new EtcdError('NotSupported', `etcdserver: flotilla: ${what} is not supported in the sharded modes yet`);
}

export class Router implements EtcdBackend {
  readonly watchHub: WatchHub;

  constructor(private readonly o: RouterOptions) {
    this.watchHub = new ShardedWatch({ transport: this.feedTransport(), fragmentBytesMax: o.fragmentBytesMax, ...(o.log ? { log: o.log } : {}) });
  }

  /** What the watch feeds need: the oracle, the regions, and held event calls to leaders. */
  private feedTransport(): FeedTransport {
    return {
      timestamp: () => this.o.directory.timestamp(),
      allRegions: () => this.regionsOf({ start: new Uint8Array(0), end: new Uint8Array(0) }),
      poll: (region, q) =>
        this.onRegion<RegionEvents>(
          async () => {
            const r = this.o.table.get(region.id);
            if (!r || r.epoch.version !== region.epoch.version) throw new FeedReshaped();
            return r;
          },
          () => ({ op: 'events', ...q }),
        ),
    };
  }

  /** Runs an op on the leader of the region with this ID, wherever it is, with the retries. */
  callRegion(id: RegionId, op: RegionOp): Promise<unknown> {
    return this.onRegion(async () => {
      const cached = this.o.table.get(id);
      if (cached) return cached;
      const found = await this.o.directory.regionById(id);
      if (!found) throw new EtcdError('Unavailable', `etcdserver: flotilla: no region ${id}`);
      this.o.table.update([found.region]);
      if (found.leader) this.o.table.setLeader(id, found.leader);
      return this.o.table.get(id) ?? found.region;
    }, () => op);
  }

  /** Runs an op at one store's peer of a region (leader or not), once, without retries. */
  callOnStore(store: StoreId, region: Region, op: RegionOp): Promise<unknown> {
    return this.o.sender.send(store, region, op);
  }

  /** Stops the watch feeds (the store is stopping). */
  close(): void {
    (this.watchHub as ShardedWatch).stop();
  }

  header(revision?: number): ResponseHeader {
    const h = this.o.header();
    return revision === undefined ? h : { ...h, revision };
  }

  // ---- single region ----

  /** The region holding `key`, from the cache or else from PD. */
  private async regionOf(key: Uint8Array): Promise<Region> {
    const cached = this.o.table.locate(key);
    if (cached) return cached;
    let found = await this.o.directory.regionByKey(key);
    // Right after a split PD may not have heard of the new region yet: it will within a heartbeat.
    for (let waitedMs = 0; !found && waitedMs < directoryWaitMsMax; waitedMs += directoryRetryMs) {
      await (this.o.sleep ?? realSleep)(directoryRetryMs);
      found = await this.o.directory.regionByKey(key);
    }
    if (!found) throw new EtcdError('Unavailable', 'etcdserver: flotilla: no region holds the key (is the cluster bootstrapped?)');
    this.o.table.update([found.region]);
    if (found.leader) this.o.table.setLeader(found.region.id, found.leader);
    return this.o.table.locate(key) ?? found.region;
  }

  /** The peer to ask: the known leader, else this store's peer, else the first voter. */
  private target(r: Region, skip: Set<number>): RegionPeer {
    const leader = this.o.table.leaderOf(r.id);
    if (leader && !skip.has(leader.id)) return leader;
    const candidates = r.peers.filter((p) => p.role === 'voter' && !skip.has(p.id));
    const local = candidates.find((p) => p.storeId === this.o.localStore);
    return local ?? candidates[0] ?? r.peers[0]!;
  }

  /**
   * Runs `op(region)` on the region holding `key`, retrying routing errors. `op` builds the
   * request for the region as it is known at each attempt (a split may have changed it).
   */
  private onKey<T>(key: Uint8Array, op: (r: Region) => RegionOp): Promise<T> {
    return this.onRegion(() => this.regionOf(key), op);
  }

  /** onKey for a region found by `find` at each attempt (a key's, or a given piece's). */
  private async onRegion<T>(find: () => Promise<Region>, op: (r: Region) => RegionOp): Promise<T> {
    let slept = 0;
    const tried = new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const r = await find();
      const peer = this.target(r, tried);
      const request = op(r);
      try {
        return (await this.o.sender.send(peer.storeId, r, request)) as T;
      } catch (err) {
        const regionError = routingError(err);
        if (!regionError) throw toEtcdError(err);
        applyRegionError(this.o.table, regionError);
        if (regionError.code === 'NotLeader' && !regionError.leader) tried.add(peer.id);
        if (regionError.code === 'NotLeader' && regionError.leader) tried.delete(regionError.leader.id);
        const d = nextRetry({ attempt, error: regionError, sleptMs: slept, rand: this.o.rand });
        if (!d.retry) throw new EtcdError('Timeout', `etcdserver: request timed out (region ${r.id}: ${regionError.code})`);
        if (d.delayMs > 0) {
          await (this.o.sleep ?? realSleep)(d.delayMs);
          slept += d.delayMs;
        }
        // Unknown stores come back into the rotation once every peer was tried.
        if (tried.size >= r.peers.length) tried.clear();
      }
    }
  }

  // ---- several regions ----

  /** The regions covering [start, end) in key order, asking PD for the parts the cache lacks. */
  private async regionsOf(span: KeySpan): Promise<Region[]> {
    for (let round = 0; ; round++) {
      const route = this.o.table.regionsFor(span.start, span.end);
      if (route.complete) return route.regions;
      if (round >= 64) throw new EtcdError('Unavailable', 'etcdserver: flotilla: the region directory does not cover the key range');
      if ('gaps' in route) {
        for (const gap of route.gaps as KeySpan[]) await this.regionOf(gap.start);
      } else {
        // Hash mode: some slot has no known group; learn them all (a handful of groups).
        const all = await this.o.directory.allRegions();
        this.o.table.update(all.map((a) => a.region));
        for (const a of all) if (a.leader) this.o.table.setLeader(a.region.id, a.leader);
        if (round > 0) await (this.o.sleep ?? realSleep)(directoryRetryMs);
      }
    }
  }

  /**
   * Runs one piece per region over the request's range and returns their answers. A piece whose
   * region changed shape meanwhile (a split or merge the table learnt of) is split again over the
   * regions now holding its own range.
   */
  private async overRange<Req extends { key: Uint8Array; rangeEnd: Uint8Array }, Res>(
    req: Req,
    split: (req: Req, regions: readonly Region[]) => Array<{ region: Region; req: Req }>,
    send: (req: Req) => RegionOp,
    depth = 0,
  ): Promise<Res[]> {
    // Each level follows a region that changed shape during the request: a few are normal.
    if (depth > reshapesMax) throw new EtcdError('Unavailable', 'etcdserver: flotilla: regions kept changing shape during the request');
    const span = rangeBounds(req.key, req.rangeEnd);
    const regions = isEmptySpan(span) ? [await this.regionOf(req.key)] : await this.regionsOf(span);
    const pieces = split(req, regions);
    const answers = await Promise.all(
      pieces.map(async (p): Promise<Res[]> => {
        try {
          const find = async () => {
            const r = this.o.table.get(p.region.id);
            if (!r || r.epoch.version !== p.region.epoch.version) throw new Reshaped();
            return r;
          };
          const one = await this.onRegion<Res>(find, () => send(p.req));
          return [one];
        } catch (err) {
          if (err instanceof Reshaped) return this.overRange<Req, Res>(p.req, split, send, depth + 1);
          throw err;
        }
      }),
    );
    return answers.flat();
  }

  // ---- KV ----

  async range(req: RangeRequest): Promise<RangeResponse> {
    const span = rangeBounds(req.key, req.rangeEnd);
    if (!isEmptySpan(span) && req.revision !== 0 && (await this.regionsOf(span)).length > 1) {
      // Each region would read at the revision, but a region may still commit a write below it
      // (timestamps are taken before proposing): the answer would not be one snapshot.
      throw notSupported('a range at a past revision over several regions');
    }
    const pieces = await this.overRange<RangeRequest, RangeResponse>(req, splitRange, (q) => ({ op: 'range', req: q }));
    return mergeRange(req, pieces);
  }

  async put(req: PutRequest): Promise<PutResponse> {
    if (req.lease !== 0n) await this.checkLease(req.lease);
    return this.onKey(req.key, () => ({ op: 'put', req }));
  }

  async deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    if (req.key.length === 0) throw new EtcdError('KeyNotProvided');
    const span = rangeBounds(req.key, req.rangeEnd);
    const regions = isEmptySpan(span) ? [await this.regionOf(req.key)] : await this.regionsOf(span);
    if (regions.length > 1) throw notSupported(`a delete over ${regions.length} regions (one revision for all of them needs a cross-region transaction)`);
    const pieces = await this.overRange<DeleteRangeRequest, DeleteRangeResponse>(req, splitDeleteRange, (q) => ({ op: 'deleteRange', req: q }));
    return mergeDeleteRange(pieces);
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    for (const id of leasesOfTxn(req)) await this.checkLease(id);
    const spans = keysOfTxn(req);
    if (spans.length === 0) {
      // A txn that touches no key still gets a header: any region can answer it.
      return this.onKey(new Uint8Array(0), () => ({ op: 'txn', req }));
    }
    for (const s of spans) await this.regionsOf(s);
    const one = singleRegionOf(spans, this.o.table);
    if (!one) throw notSupported('a transaction whose keys lie in more than one region');
    return this.onKey(spans[0]!.start, (r) => {
      const again = singleRegionOf(spans, this.o.table);
      if (!again || again.id !== r.id) throw notSupported('a transaction whose keys lie in more than one region');
      return { op: 'txn', req };
    });
  }

  /**
   * Every region compacts its own history below the revision (one after the other does not
   * matter: a read below a region's compaction answers Compacted there). A revision above the
   * oracle's newest is etcd's FutureRev; one at or below every region's compaction, Compacted.
   */
  async compact(req: CompactionRequest): Promise<{ revision: number }> {
    const now = await this.o.directory.timestamp();
    if (req.revision > now) throw new EtcdError('FutureRev');
    const parts = await this.onEveryRegion<{ revision: number; compacted: boolean }>({ op: 'compact', revision: req.revision });
    if (!parts.some((p) => p.compacted)) throw new EtcdError('Compacted');
    return { revision: Math.max(...parts.map((p) => p.revision)) };
  }

  // ---- leases ----
  // PD's core keeps the leases (grants, renews, expires them as etcd does); regions only record
  // which lease a key was put with. When a lease is revoked or expires, each region deletes its
  // own keys of it: revoke does that at once, expiry within leaseReapIntervalMs (a store's
  // reaper, regions/store/lease_reaper.ts). NB: not one revision across regions, as etcd's is.

  /** Leases known to exist, with when that was checked (a put naming a lease checks it first). */
  private readonly liveLeases = new Map<bigint, number>();

  private async checkLease(id: bigint): Promise<void> {
    const now = Date.now();
    const seen = this.liveLeases.get(id);
    if (seen !== undefined && now - seen < leaseCheckMs) return;
    const ttl = (await this.o.directory.lease({ action: 'timeToLive', id })) as LeaseTimeToLiveResult;
    if (ttl.ttl < 0) {
      this.liveLeases.delete(id);
      throw new EtcdError('LeaseNotFound');
    }
    this.liveLeases.set(id, now);
  }

  leaseGrant(ttl: number, id: bigint): Promise<LeaseGrantResult> {
    return this.o.directory.lease({ action: 'grant', ttl, id }) as Promise<LeaseGrantResult>;
  }

  async leaseRevoke(id: bigint): Promise<{ revision: number }> {
    const r = (await this.o.directory.lease({ action: 'revoke', id })) as { revision: number };
    this.liveLeases.delete(id);
    // The keys of the lease go now, region by region.
    const revs = await this.onEveryRegion<{ revision?: number }>({ op: 'revokeLease', id });
    return { revision: Math.max(r.revision, ...revs.map((x) => x.revision ?? 0)) };
  }

  leaseKeepAlive(id: bigint): Promise<LeaseGrantResult> {
    return this.o.directory.lease({ action: 'keepAlive', id }) as Promise<LeaseGrantResult>;
  }

  async leaseTimeToLive(id: bigint, keys: boolean): Promise<LeaseTimeToLiveResult> {
    const r = (await this.o.directory.lease({ action: 'timeToLive', id })) as LeaseTimeToLiveResult;
    if (!keys || r.ttl < 0) return { ...r, keys: [] };
    const parts = await this.onEveryRegion<{ keys: Uint8Array[] }>({ op: 'leaseKeys', id });
    return { ...r, keys: parts.flatMap((p) => p.keys).sort(compareKeys) };
  }

  leaseLeases(): Promise<bigint[]> {
    return this.o.directory.lease({ action: 'leases' }) as Promise<bigint[]>;
  }

  /** Runs an op on every region's leader (the whole key space), with the retries. */
  private async onEveryRegion<T>(op: RegionOp): Promise<T[]> {
    const regions = await this.regionsOf({ start: new Uint8Array(0), end: new Uint8Array(0) });
    return Promise.all(regions.map((r) => this.callRegion(r.id, op) as Promise<T>));
  }

  // ---- cluster and maintenance ----

  status(): Promise<StatusInfo> {
    return this.o.status();
  }

  memberList(): Promise<Member[]> {
    return this.o.members();
  }

  async alarm(action: 'GET' | 'ACTIVATE' | 'DEACTIVATE', _memberId: bigint, _alarm: AlarmType): Promise<AlarmMember[]> {
    if (action === 'GET') return [];
    throw notSupported('alarms');
  }

  async hash(): Promise<{ hash: number; revision: number }> {
    throw notSupported('hash');
  }

  async hashKV(_revision: number): Promise<{ hash: number; compactRevision: number; revision: number }> {
    throw notSupported('hashkv');
  }

  async defragment(): Promise<void> {
    // LMDB reuses freed pages in place; there is nothing to rewrite.
  }

  async moveLeader(_targetId: bigint): Promise<void> {
    throw notSupported('move-leader (use `flotilla ctl transfer-leader REGION STORE`)');
  }
}

function routingError(err: unknown) {
  return err instanceof RegionCallError ? err.regionError : undefined;
}

const knownCodes = new Set<string>([
  'KeyNotProvided', 'KeyNotFound', 'TooManyOps', 'DuplicateKey', 'RequestTooLarge', 'Compacted', 'FutureRev',
  'LeaseNotFound', 'LeaseExist', 'LeaseTTLTooLarge', 'NoSpace', 'NoLeader', 'Timeout', 'Stopped', 'MemberNotFound',
  'BadLeaderTransferee', 'NotLeader', 'InvalidArgument', 'NotSupported', 'Unavailable',
]);

/** A region's etcd error, as the EtcdError the API maps to a gRPC status. */
function toEtcdError(err: unknown): Error {
  if (err instanceof EtcdError) return err;
  if (err instanceof RegionCallError && err.error.kind === 'etcd') {
    const { code, message } = err.error;
    if (knownCodes.has(code)) return new EtcdError(code as EtcdErrorCode, message);
    return new EtcdError('Unavailable', message);
  }
  return err as Error;
}

function leasesOfTxn(t: TxnRequest, out = new Set<bigint>()): Set<bigint> {
  for (const op of [...t.success, ...t.failure]) {
    if ('requestPut' in op && op.requestPut.lease !== 0n) out.add(op.requestPut.lease);
    if ('requestTxn' in op) leasesOfTxn(op.requestTxn, out);
  }
  return out;
}

/** A piece's region split or merged after the piece was made: split the piece again. */
class Reshaped extends Error {}

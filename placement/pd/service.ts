// PD's services on top of its own etcd core (an unsharded member): the store and region
// directory, bootstrap of the first region, IDs and timestamps, and the operators that reach a
// region's leader in its heartbeat reply.
//
// Only the PD member that leads the core's Raft group serves; the others answer NotLeader with
// the leader's client URL (the PD client then goes there). On becoming leader, the service loads
// the directory from the core (one linearizable range per prefix) before serving, so a new
// leader starts from everything its predecessor wrote.
//
// Layout in the core (values msgpack):
//   /flotilla/pd/cluster            {mode, replicas, bootstrapped}
//   /flotilla/pd/stores/<id>        StoreInfo
//   /flotilla/pd/regions/<id>       Region (the directory; leaders and statistics stay in memory)
//   /flotilla/pd/tso, /flotilla/pd/id   the saved bounds of the oracle and the ID allocator
// IDs are zero-padded to 20 digits so the keys sort numerically.

import type { Region, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';
import { compareKeys, epochAtLeast, keyInRange } from '../../src/cluster/region.js';
import type { EtcdBackend } from '../../src/api/backend.js';
import { pack, unpack } from '../../src/util/msgpack.js';
import { IdAllocator } from '../id_alloc.js';
import { TimestampOracle } from '../tso.js';

export type ClusterMode = 'range' | 'hash';

export interface StoreInfo {
  id: StoreId;
  clientUrl: string;
  peerUrl: string;
  lanes: number;
  lastHeartbeatMs: number;
  regionCount: number;
  leaderCount: number;
  capacityBytes: number;
  availableBytes: number;
}

export interface RegionStats {
  leader: RegionPeer | undefined;
  approximateBytes: number;
  approximateKeys: number;
  writeQps: number;
  readQps: number;
  lastHeartbeatMs: number;
}

/** What a region's leader is asked to do next (delivered in the heartbeat reply). */
export type RegionCommand =
  | { kind: 'split'; keys: Uint8Array[]; newRegionIds: RegionId[]; newPeerIds: number[][] }
  | { kind: 'transferLeader'; toPeer: number };

export interface StoreHeartbeat {
  id: StoreId;
  clientUrl: string;
  peerUrl: string;
  lanes: number;
  regionCount: number;
  leaderCount: number;
  capacityBytes: number;
  availableBytes: number;
}

export interface RegionHeartbeat {
  region: Region;
  leader: RegionPeer;
  approximateBytes: number;
  approximateKeys: number;
  writeQps: number;
  readQps: number;
}

export class PdNotLeader extends Error {
  readonly code = 'PdNotLeader';
  constructor(readonly leaderClientUrl: string | undefined) {
    super('pd: this member does not lead PD');
  }
}

/** Thrown for requests a user can get wrong (ctl). */
export class PdRequestError extends Error {
  readonly code = 'PdRequestError';
}

export interface PdServiceOptions {
  core: EtcdBackend;
  /** Whether this member leads the core now, and the leader's client URL. */
  leadership(): { isLeader: boolean; leaderClientUrl: string | undefined };
  mode: ClusterMode;
  replicas: number;
  clock: () => number;
}

const prefix = '/flotilla/pd/';
const enc = new TextEncoder();
const keyOf = (s: string) => enc.encode(prefix + s);
const pad = (n: number) => String(n).padStart(20, '0');

/** The end of a prefix scan: the prefix with its last byte incremented. */
function prefixEnd(p: Uint8Array): Uint8Array {
  const e = p.slice();
  e[e.length - 1]!++;
  return e;
}

export class PdService {
  private loaded: Promise<void> | undefined;
  private readonly stores = new Map<StoreId, StoreInfo>();
  private readonly regions = new Map<RegionId, Region>();
  private readonly stats = new Map<RegionId, RegionStats>();
  private readonly commands = new Map<RegionId, RegionCommand>();
  private bootstrapped = false;
  private bootstrapping: Promise<void> | undefined;
  private tso: TimestampOracle | undefined;
  private ids: IdAllocator | undefined;

  constructor(private readonly o: PdServiceOptions) {}

  // ---- leadership ----

  /** Resolves once this member leads and has loaded the directory; throws PdNotLeader. */
  private async ready(): Promise<void> {
    const l = this.o.leadership();
    if (!l.isLeader) {
      this.loaded = undefined;
      throw new PdNotLeader(l.leaderClientUrl);
    }
    if (!this.loaded) {
      this.loaded = this.load();
      this.loaded.catch(() => (this.loaded = undefined));
    }
    await this.loaded;
  }

  private async load(): Promise<void> {
    this.stores.clear();
    this.regions.clear();
    this.stats.clear();
    this.commands.clear();
    const meta = await this.get('cluster');
    this.bootstrapped = meta ? unpack<{ bootstrapped: boolean }>(meta).bootstrapped : false;
    for (const v of await this.scan('stores/')) {
      const s = unpack<StoreInfo>(v);
      this.stores.set(s.id, { ...s, lastHeartbeatMs: this.o.clock() });
    }
    for (const v of await this.scan('regions/')) {
      const r = unpack<Region>(v);
      this.regions.set(r.id, r);
    }
    const saved = async (name: string) => {
      const v = await this.get(name);
      return v ? unpack<number>(v) : undefined;
    };
    const saver = (name: string) => (value: number) => this.put(name, pack(value));
    // The oracle's physical 0 is fixed the first time any PD leader serves.
    let epochMs = await saved('tso-epoch');
    if (epochMs === undefined) {
      epochMs = this.o.clock();
      await this.put('tso-epoch', pack(epochMs));
    }
    this.tso = new TimestampOracle({ clock: this.o.clock, epochMs, savedWindowEndMs: await saved('tso'), save: saver('tso') });
    this.ids = new IdAllocator({ savedEnd: await saved('id'), save: saver('id') });
  }

  private async get(name: string): Promise<Uint8Array | undefined> {
    const r = await this.o.core.range(rangeReq(keyOf(name), new Uint8Array(0)));
    return r.kvs[0]?.value;
  }

  private async scan(sub: string): Promise<Uint8Array[]> {
    const start = keyOf(sub);
    const r = await this.o.core.range(rangeReq(start, prefixEnd(start)));
    return r.kvs.map((kv) => kv.value);
  }

  private async put(name: string, value: Uint8Array): Promise<void> {
    // NB: a deposed leader's put could still land after the new leader loaded; the bounds only
    // grow and the directory keeps the highest epoch per region, so a late write is harmless.
    await this.o.core.put({ key: keyOf(name), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
  }

  // ---- IDs and timestamps ----

  async timestamps(count: number): Promise<number> {
    await this.ready();
    return this.tso!.allocate(count);
  }

  async allocIds(count: number): Promise<number> {
    await this.ready();
    return this.ids!.allocate(count);
  }

  // ---- stores ----

  /** Keeps the oracle's window and the ID batch ahead of need (the PD leader runs it on a timer). */
  async maintain(): Promise<void> {
    if (!this.o.leadership().isLeader || !this.loaded) return;
    await this.loaded;
    await this.tso!.extendWindowIfLow();
    await this.ids!.refillIfLow();
  }

  async storeHeartbeat(hb: StoreHeartbeat): Promise<{ clusterId: string; stores: StoreInfo[]; bootstrap: Region[] }> {
    await this.ready();
    const known = this.stores.get(hb.id);
    const info: StoreInfo = { ...hb, lastHeartbeatMs: this.o.clock() };
    this.stores.set(hb.id, info);
    if (!known || known.clientUrl !== hb.clientUrl || known.peerUrl !== hb.peerUrl || known.lanes !== hb.lanes) {
      await this.put(`stores/${pad(hb.id)}`, pack({ ...info, lastHeartbeatMs: 0 }));
    }
    await this.maybeBootstrap();
    // Regions with a peer on this store that it may not have created yet: at bootstrap, the
    // first region; the store creates what it does not host (creating is idempotent).
    const bootstrap = [...this.regions.values()].filter((r) => r.peers.some((p) => p.storeId === hb.id) && !this.stats.has(r.id));
    return { clusterId: this.o.core.header().clusterId.toString(), stores: [...this.stores.values()], bootstrap };
  }

  /**
   * The first region is created once `replicas` stores have registered: it covers the whole key
   * space with a voter on each of the first `replicas` stores (by ID), so it starts replicated
   * without a snapshot.
   */
  private maybeBootstrap(): Promise<void> {
    if (this.bootstrapped || this.stores.size < this.o.replicas) return Promise.resolve();
    // Heartbeats of several stores arrive together: one bootstrap, the others wait for it.
    if (!this.bootstrapping) {
      this.bootstrapping = this.bootstrap().finally(() => (this.bootstrapping = undefined));
    }
    return this.bootstrapping;
  }

  private async bootstrap(): Promise<void> {
    const chosen = [...this.stores.keys()].sort((a, b) => a - b).slice(0, this.o.replicas);
    const first = await this.ids!.allocate(1 + chosen.length);
    const region: Region = {
      id: first as RegionId,
      start: new Uint8Array(0),
      end: new Uint8Array(0),
      epoch: { confVer: 1, version: 1 },
      peers: chosen.map((storeId, i) => ({ id: (first + 1 + i) as RegionPeer['id'], storeId, role: 'voter' })),
    };
    await this.put(`regions/${pad(region.id)}`, pack(region));
    await this.put('cluster', pack({ mode: this.o.mode, replicas: this.o.replicas, bootstrapped: true }));
    this.regions.set(region.id, region);
    this.bootstrapped = true;
  }

  // ---- regions ----

  async regionHeartbeat(hb: RegionHeartbeat): Promise<{ command?: RegionCommand }> {
    await this.ready();
    const known = this.regions.get(hb.region.id);
    if (!known || (epochAtLeast(hb.region.epoch, known.epoch) && !sameShape(known, hb.region))) {
      // A newer shape (split, membership change): regions it now overlaps with older epochs are
      // the split's other halves, reported by their own leaders.
      this.regions.set(hb.region.id, hb.region);
      await this.put(`regions/${pad(hb.region.id)}`, pack(hb.region));
    }
    this.stats.set(hb.region.id, {
      leader: hb.leader,
      approximateBytes: hb.approximateBytes,
      approximateKeys: hb.approximateKeys,
      writeQps: hb.writeQps,
      readQps: hb.readQps,
      lastHeartbeatMs: this.o.clock(),
    });
    const command = this.commands.get(hb.region.id);
    if (command) this.commands.delete(hb.region.id);
    return command ? { command } : {};
  }

  /** The region holding `key`, with its leader as last reported. */
  async regionByKey(key: Uint8Array): Promise<{ region: Region; leader: RegionPeer | undefined } | undefined> {
    await this.ready();
    let best: Region | undefined;
    for (const r of this.regions.values()) {
      if (!keyInRange(key, r.start, r.end)) continue;
      // Until both halves of a split have reported, the parent's old shape may still overlap:
      // the higher version is the newer truth.
      if (!best || r.epoch.version > best.epoch.version) best = r;
    }
    return best ? { region: best, leader: this.stats.get(best.id)?.leader } : undefined;
  }

  async regionById(id: RegionId): Promise<{ region: Region; leader: RegionPeer | undefined } | undefined> {
    await this.ready();
    const r = this.regions.get(id);
    return r ? { region: r, leader: this.stats.get(id)?.leader } : undefined;
  }

  async listRegions(): Promise<Array<{ region: Region; stats: RegionStats | undefined }>> {
    await this.ready();
    return [...this.regions.values()]
      .sort((a, b) => compareKeys(a.start, b.start) || a.id - b.id)
      .map((region) => ({ region, stats: this.stats.get(region.id) }));
  }

  async listStores(): Promise<StoreInfo[]> {
    await this.ready();
    const leaders = new Map<StoreId, number>();
    const counts = new Map<StoreId, number>();
    for (const r of this.regions.values()) {
      for (const p of r.peers) counts.set(p.storeId, (counts.get(p.storeId) ?? 0) + 1);
      const l = this.stats.get(r.id)?.leader;
      if (l) leaders.set(l.storeId, (leaders.get(l.storeId) ?? 0) + 1);
    }
    return [...this.stores.values()]
      .sort((a, b) => a.id - b.id)
      .map((s) => ({ ...s, regionCount: counts.get(s.id) ?? 0, leaderCount: leaders.get(s.id) ?? 0 }));
  }

  // ---- operators asked for by hand (ctl) ----

  /** Splits the region holding `key` at `key`. */
  async split(key: Uint8Array): Promise<{ regionId: RegionId; newRegionId: RegionId }> {
    const found = await this.regionByKey(key);
    if (!found) throw new PdRequestError('no region holds that key');
    const r = found.region;
    if (compareKeys(key, r.start) === 0) throw new PdRequestError(`region ${r.id} already starts at that key`);
    const first = await this.allocIds(1 + r.peers.length);
    const newRegionId = first as RegionId;
    this.commands.set(r.id, {
      kind: 'split',
      keys: [key],
      newRegionIds: [newRegionId],
      newPeerIds: [r.peers.map((_, i) => first + 1 + i)],
    });
    return { regionId: r.id, newRegionId };
  }

  async transferLeader(regionId: RegionId, toStore: StoreId): Promise<void> {
    const found = await this.regionById(regionId);
    if (!found) throw new PdRequestError(`no region ${regionId}`);
    const peer = found.region.peers.find((p) => p.storeId === toStore && p.role === 'voter');
    if (!peer) throw new PdRequestError(`region ${regionId} has no voter on store ${toStore}`);
    this.commands.set(regionId, { kind: 'transferLeader', toPeer: peer.id });
  }
}

function sameShape(a: Region, b: Region): boolean {
  return (
    a.epoch.confVer === b.epoch.confVer &&
    a.epoch.version === b.epoch.version &&
    compareKeys(a.start, b.start) === 0 &&
    compareKeys(a.end, b.end) === 0
  );
}

function rangeReq(key: Uint8Array, rangeEnd: Uint8Array) {
  return {
    key,
    rangeEnd,
    limit: 0,
    revision: 0,
    sortOrder: 'NONE' as const,
    sortTarget: 'KEY' as const,
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
  };
}

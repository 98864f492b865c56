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
//   /flotilla/pd/regions/<id>       Region (the directory; leaders and statistics stay in memory);
//                                   an empty value: the region was dropped (see placeReport)
//   /flotilla/pd/tso, /flotilla/pd/id   the saved bounds of the oracle and the ID allocator
//   /flotilla/pd/schedule-config    the scheduling overrides set over the HTTP API
// IDs are zero-padded to 20 digits so the keys sort numerically.
//
// The leader also runs the scheduling loop (scheduling.ts) from maintain(): its operators reach
// regions in heartbeat replies, after any hand-made command (ctl split / transfer-leader).

import type { Region, RegionId, RegionPeer, SlotRanges, StoreId } from '../../src/cluster/region.js';
import { compareKeys, epochAtLeast, keyInRange } from '../../src/cluster/region.js';
import type { EtcdBackend } from '../../src/api/backend.js';
import type { RegionPeerChange } from '../../src/cluster/region_ops.js';
import type { LeaseCall } from '../../src/router/router.js';
import { slotCount, slotOf } from '../../src/router/slots.js';
import { pack, unpack } from '../../src/util/msgpack.js';
import { Prng, type Rand } from '../../src/util/prng.js';
import type { RegionInfo, StoreReport } from '../cluster.js';
import { IdAllocator } from '../id_alloc.js';
import { RegionDirectory } from './directory.js';
import { TimestampOracle } from '../tso.js';
import { PdScheduling, type RoundSummary, type SchedulingOptions } from './scheduling.js';
import type { ScheduleOverrides } from './scheduling_config.js';

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
  | { kind: 'transferLeader'; toPeer: number }
  /** One membership change: add-learner, add-voter, promote-learner, remove-peer. */
  | { kind: 'changePeer'; change: RegionPeerChange }
  /** Hash mode: move these slots (with their keys) from this group to group `to`. */
  | { kind: 'moveSlots'; slots: SlotRanges; to: RegionId }
  /** Range mode: merge this region into the adjacent region `target`. */
  | { kind: 'merge'; target: RegionId };

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

export type { LeaseCall } from '../../src/router/router.js';

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

/** The part of the member's etcd core PD uses: linearizable reads and puts of its own keys. */
/** What PD uses of its etcd core: its keys, and (for the sharded modes' leases) its lessor. */
export type PdCore = Pick<EtcdBackend, 'range' | 'put' | 'header'> &
  Partial<Pick<EtcdBackend, 'leaseGrant' | 'leaseRevoke' | 'leaseKeepAlive' | 'leaseTimeToLive' | 'leaseLeases'>>;

export interface PdServiceOptions {
  core: PdCore;
  /** Whether this member leads the core now, and the leader's client URL. */
  leadership(): { isLeader: boolean; leaderClientUrl: string | undefined };
  mode: ClusterMode;
  replicas: number;
  /** Hash mode: the slot groups created at bootstrap (default 3). */
  hashGroups?: number;
  clock: () => number;
  /** For the schedulers' choices among equals; default seeded from the clock. */
  rand?: Rand;
  /** Scheduling knobs that are not user config (resend and hold times); tests shorten them. */
  scheduling?: Omit<SchedulingOptions, 'replicas' | 'rand'>;
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
  private readonly regions = new RegionDirectory();
  private readonly stats = new Map<RegionId, RegionStats>();
  /**
   * Sizes a region reported before its range changed, while it keeps reporting exactly them:
   * a store's lane measures a region's size again only once it is written (regions/lane/lane.ts,
   * reportStats), so an idle parent reports its pre-split size after the split. Scheduling sees
   * such a region's size as unmeasured (0), or the split checker would split it again and again.
   */
  private readonly unmeasured = new Map<RegionId, { bytes: number; keys: number }>();
  private readonly commands = new Map<RegionId, RegionCommand>();
  private bootstrapped = false;
  private bootstrapping: Promise<void> | undefined;
  /** When PD saw each region split (new, or its range changed). */
  private readonly splitAt = new Map<RegionId, number>();
  private tso: TimestampOracle | undefined;
  private ids: IdAllocator | undefined;
  private readonly scheduling: PdScheduling;

  constructor(private readonly o: PdServiceOptions) {
    this.scheduling = new PdScheduling({ ...o.scheduling, replicas: o.replicas, rand: o.rand ?? new Prng(o.clock()) });
  }

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
    this.unmeasured.clear();
    this.commands.clear();
    this.scheduling.reset(this.o.clock());
    const meta = await this.get('cluster');
    this.bootstrapped = meta ? unpack<{ bootstrapped: boolean }>(meta).bootstrapped : false;
    for (const v of await this.scan('stores/')) {
      const s = unpack<StoreInfo>(v);
      this.stores.set(s.id, { ...s, lastHeartbeatMs: this.o.clock() });
    }
    // Newest versions first, through the same rule as reports: whatever a deposed leader's late
    // put left behind, the directory loads without overlaps.
    const saved = (await this.scan('regions/')).filter((v) => v.length > 0).map((v) => unpack<Region>(v));
    saved.sort((a, b) => b.epoch.version - a.epoch.version || b.epoch.confVer - a.epoch.confVer);
    for (const r of saved) {
      const p = placeReport(this.regions, r);
      if (p.verdict !== 'changed') continue;
      for (const d of p.dropped) this.regions.delete(d.id);
      this.regions.set(r.id, r);
    }
    const overrides = await this.get('schedule-config');
    this.scheduling.setOverrides(overrides ? unpack<ScheduleOverrides>(overrides) : {});
    const savedBound = async (name: string) => {
      const v = await this.get(name);
      return v ? unpack<number>(v) : undefined;
    };
    const saver = (name: string) => (value: number) => this.put(name, pack(value));
    // The oracle's physical 0 is fixed the first time any PD leader serves.
    let epochMs = await savedBound('tso-epoch');
    if (epochMs === undefined) {
      epochMs = this.o.clock();
      await this.put('tso-epoch', pack(epochMs));
    }
    this.tso = new TimestampOracle({ clock: this.o.clock, epochMs, savedWindowEndMs: await savedBound('tso'), save: saver('tso') });
    this.ids = new IdAllocator({ savedEnd: await savedBound('id'), save: saver('id') });
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

  /**
   * Keeps the oracle's window and the ID batch ahead of need, and runs a scheduling round when
   * one is due (the PD leader runs it on a timer, more often than rounds).
   */
  async maintain(): Promise<void> {
    if (!this.o.leadership().isLeader || !this.loaded) return;
    await this.loaded;
    await this.tso!.extendWindowIfLow();
    await this.ids!.refillIfLow();
    if (this.scheduling.isDue(this.o.clock())) await this.scheduleRound();
  }

  // ---- scheduling ----

  /** One scheduling round now (maintain() runs them every scheduleIntervalMs). */
  async scheduleRound(): Promise<RoundSummary> {
    await this.ready();
    const nowMs = this.o.clock();
    const stores: StoreReport[] = [...this.stores.values()].map((s) => ({
      id: s.id,
      address: s.clientUrl,
      lastHeartbeatMs: s.lastHeartbeatMs,
      capacityBytes: s.capacityBytes,
      availableBytes: s.availableBytes,
      lanes: s.lanes,
    }));
    const regions = [...this.regions.values()].map((r) => regionInfo(r, this.stats.get(r.id), this.unmeasured.has(r.id)));
    return this.scheduling.round({ nowMs, stores, regions, ids: this.ids!, handMade: (id) => this.commands.has(id), splitAtMs: (id) => this.splitAt.get(id) });
  }

  /** GET /pd/api/v1/schedulers: enabled schedulers, the config in force, operators in flight. */
  async schedulers(): Promise<unknown> {
    await this.ready();
    return this.scheduling.schedulersJson();
  }

  /** GET /pd/api/v1/operators. */
  async operators(): Promise<unknown> {
    await this.ready();
    return this.scheduling.operatorsJson();
  }

  /** Applies a JSON patch to the scheduling config and saves it; throws PlacementConfigError. */
  async updateScheduleConfig(patch: unknown): Promise<unknown> {
    await this.ready();
    const next = this.scheduling.patchOverrides(patch);
    await this.put('schedule-config', pack(next));
    this.scheduling.setOverrides(next);
    return this.scheduling.schedulersJson();
  }

  async storeHeartbeat(hb: StoreHeartbeat): Promise<{ clusterId: string; mode: ClusterMode; stores: StoreInfo[]; bootstrap: Region[] }> {
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
    return { clusterId: this.o.core.header().clusterId.toString(), mode: this.o.mode, stores: [...this.stores.values()], bootstrap };
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

  /**
   * Range mode: one region over the whole key space. Hash mode: `hashGroups` groups, each
   * owning an equal run of the 16,384 slots (group i of 3: slots [0, 5461], [5462, 10922] ...).
   */
  private async bootstrap(): Promise<void> {
    const chosen = [...this.stores.keys()].sort((a, b) => a - b).slice(0, this.o.replicas);
    const count = this.o.mode === 'hash' ? (this.o.hashGroups ?? 3) : 1;
    const created: Region[] = [];
    for (let g = 0; g < count; g++) {
      const first = await this.ids!.allocate(1 + chosen.length);
      const region: Region = {
        id: first as RegionId,
        start: new Uint8Array(0),
        end: new Uint8Array(0),
        epoch: { confVer: 1, version: 1 },
        peers: chosen.map((storeId, i) => ({ id: (first + 1 + i) as RegionPeer['id'], storeId, role: 'voter' })),
      };
      if (this.o.mode === 'hash') region.slots = [[Math.floor((g * slotCount) / count), Math.floor(((g + 1) * slotCount) / count) - 1]];
      created.push(region);
    }
    for (const region of created) await this.put(`regions/${pad(region.id)}`, pack(region));
    await this.put('cluster', pack({ mode: this.o.mode, replicas: this.o.replicas, bootstrapped: true }));
    for (const region of created) this.regions.set(region.id, region);
    this.bootstrapped = true;
  }

  // ---- regions ----

  async regionHeartbeat(hb: RegionHeartbeat): Promise<{ command?: RegionCommand }> {
    await this.ready();
    const placed = placeReport(this.regions, hb.region);
    // A report older than what PD knows (a deposed leader's, or one overtaken in flight): its
    // leader and sizes are stale too, and a command planned from it would be.
    if (placed.verdict === 'stale') return {};
    // Memory first, then the core: concurrent heartbeats see the directory whole at every await.
    const id = hb.region.id;
    if (placed.verdict === 'changed') {
      const known = this.regions.get(id);
      // A new region, or a range that shrank: a split (the merge checker leaves it alone a while).
      if (!known || !sameRange(known, hb.region)) this.splitAt.set(id, this.o.clock());
      const before = this.stats.get(id);
      if (known && before && !sameRange(known, hb.region)) this.unmeasured.set(id, sizesOf(before));
      for (const d of placed.dropped) {
        const s = this.stats.get(d.id);
        // The parent's old shape dropped before its new one reports: its sizes are the stale ones.
        if (s) this.unmeasured.set(d.id, sizesOf(s));
        this.regions.delete(d.id);
        this.stats.delete(d.id);
        this.commands.delete(d.id);
        this.scheduling.regionDropped(d.id);
      }
      this.regions.set(id, hb.region);
    }
    const stale = this.unmeasured.get(id);
    if (stale && (stale.bytes !== hb.approximateBytes || stale.keys !== hb.approximateKeys)) this.unmeasured.delete(id);
    this.stats.set(id, {
      leader: hb.leader,
      approximateBytes: hb.approximateBytes,
      approximateKeys: hb.approximateKeys,
      writeQps: hb.writeQps,
      readQps: hb.readQps,
      lastHeartbeatMs: this.o.clock(),
    });
    if (placed.verdict === 'changed') {
      // NB: a dropped region leaves an empty value rather than no key: the core PD is given
      // (start.ts) offers range and put only. A few bytes per merged-away region.
      for (const d of placed.dropped) await this.put(`regions/${pad(d.id)}`, new Uint8Array(0));
      await this.put(`regions/${pad(id)}`, pack(hb.region));
    }
    const nowMs = this.o.clock();
    const handMade = this.commands.get(hb.region.id);
    if (handMade) {
      this.commands.delete(hb.region.id);
      this.scheduling.handMadeDelivered(hb.region.id, nowMs);
      return { command: handMade };
    }
    const scheduled = this.scheduling.takeCommand(hb.region.id, { epoch: hb.region.epoch, leaderPeerId: hb.leader.id }, nowMs);
    return scheduled ? { command: scheduled } : {};
  }

  /**
   * A store's region heartbeats in one call: the regions it leads whose shape, leader or load
   * changed, and (as a poll) commands waiting for any region whose leader PD last saw on this
   * store, so a hibernating region that reports nothing still gets its operator.
   */
  async regionHeartbeats(storeId: StoreId, hbs: RegionHeartbeat[]): Promise<{ commands: Array<{ regionId: RegionId; command: RegionCommand }> }> {
    await this.ready();
    const commands: Array<{ regionId: RegionId; command: RegionCommand }> = [];
    const reported = new Set<RegionId>();
    for (const hb of hbs) {
      reported.add(hb.region.id);
      const { command } = await this.regionHeartbeat(hb);
      if (command) commands.push({ regionId: hb.region.id, command });
    }
    const nowMs = this.o.clock();
    for (const [id, st] of this.stats) {
      if (reported.has(id) || st.leader?.storeId !== storeId) continue;
      const region = this.regions.get(id);
      if (!region) continue;
      const handMade = this.commands.get(id);
      if (handMade) {
        this.commands.delete(id);
        this.scheduling.handMadeDelivered(id, nowMs);
        commands.push({ regionId: id, command: handMade });
        continue;
      }
      const scheduled = this.scheduling.takeCommand(id, { epoch: region.epoch, leaderPeerId: st.leader.id }, nowMs);
      if (scheduled) commands.push({ regionId: id, command: scheduled });
    }
    return { commands };
  }

  /** The region holding `key`, with its leader as last reported. */
  async regionByKey(key: Uint8Array): Promise<{ region: Region; leader: RegionPeer | undefined } | undefined> {
    await this.ready();
    if (this.o.mode === 'range') {
      const r = this.regions.locate(key);
      return r ? { region: r, leader: this.stats.get(r.id)?.leader } : undefined;
    }
    let best: Region | undefined;
    const slot = this.o.mode === 'hash' ? slotOf(key) : -1;
    for (const r of this.regions.values()) {
      if (r.slots ? !r.slots.some(([from, to]) => slot >= from && slot <= to) : !keyInRange(key, r.start, r.end)) continue;
      // At most one region holds the key: range-mode entries never overlap (placeReport), and
      // hash-mode groups own disjoint slots. The version breaks a tie that should not happen.
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
    const [one] = await this.splitMany([key]);
    return { regionId: one!.regionId, newRegionId: one!.newRegionIds[0]! };
  }

  /**
   * Splits at every key: one batch split per region holding some of them (a region that already
   * starts at a key is not split there). 10,000 keys in one region make 10,000 new regions in one
   * Raft command.
   */
  async splitMany(keys: Uint8Array[]): Promise<Array<{ regionId: RegionId; newRegionIds: RegionId[] }>> {
    await this.ready();
    const byRegion = new Map<RegionId, { region: Region; keys: Uint8Array[] }>();
    for (const key of keys) {
      const found = await this.regionByKey(key);
      if (!found) throw new PdRequestError('no region holds that key');
      const r = found.region;
      if (r.slots) throw new PdRequestError('hash-mode groups move slots, they do not split');
      if (compareKeys(key, r.start) === 0) continue;
      let g = byRegion.get(r.id);
      if (!g) byRegion.set(r.id, (g = { region: r, keys: [] }));
      g.keys.push(key);
    }
    if (byRegion.size === 0) throw new PdRequestError('every key already starts a region');
    const out: Array<{ regionId: RegionId; newRegionIds: RegionId[] }> = [];
    for (const { region: r, keys: ks } of byRegion.values()) {
      ks.sort(compareKeys);
      const unique = ks.filter((k, i) => i === 0 || compareKeys(ks[i - 1]!, k) !== 0);
      const per = 1 + r.peers.length;
      const first = await this.allocIds(unique.length * per);
      const newRegionIds: RegionId[] = [];
      const newPeerIds: number[][] = [];
      for (let i = 0; i < unique.length; i++) {
        newRegionIds.push((first + i * per) as RegionId);
        newPeerIds.push(r.peers.map((_, j) => first + i * per + 1 + j));
      }
      this.scheduling.handOver(r.id, this.o.clock());
      this.commands.set(r.id, { kind: 'split', keys: unique, newRegionIds, newPeerIds });
      out.push({ regionId: r.id, newRegionIds });
    }
    return out;
  }

  // ---- leases (the sharded modes keep them in PD's core: its lessor grants, renews and expires them) ----

  async lease(c: LeaseCall): Promise<unknown> {
    await this.ready();
    const core = this.o.core;
    const need = <T>(f: T | undefined): T => {
      if (f === undefined) throw new PdRequestError('this PD has no lessor');
      return f;
    };
    switch (c.action) {
      case 'grant':
        return need(core.leaseGrant)(c.ttl, c.id);
      case 'revoke':
        return need(core.leaseRevoke)(c.id);
      case 'keepAlive':
        return need(core.leaseKeepAlive)(c.id);
      case 'timeToLive':
        return need(core.leaseTimeToLive)(c.id, false);
      case 'leases':
        return need(core.leaseLeases)();
    }
  }

  /** Hash mode: queues a move of `slots` from group `from` to group `to`. */
  async moveSlots(from: RegionId, to: RegionId, slots: SlotRanges): Promise<void> {
    await this.ready();
    if (this.o.mode !== 'hash') throw new PdRequestError('slot moves are for hash mode');
    const source = this.regions.get(from);
    const target = this.regions.get(to);
    if (!source?.slots || !target?.slots) throw new PdRequestError(`groups ${from} and ${to} must both exist`);
    if (from === to) throw new PdRequestError('a group cannot move slots to itself');
    for (const [a, b] of slots) {
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a <= b && b < slotCount)) throw new PdRequestError(`bad slot range [${a}, ${b}]`);
      for (let s = a; s <= b; s++) {
        if (!source.slots.some(([x, y]) => s >= x && s <= y)) throw new PdRequestError(`group ${from} does not own slot ${s}`);
      }
    }
    this.commands.set(from, { kind: 'moveSlots', slots, to });
    this.scheduling.handOver(from, this.o.clock());
  }

  /** Range mode: queues a merge of region `source` into its neighbour `target`. */
  async merge(source: RegionId, target: RegionId): Promise<void> {
    await this.ready();
    if (this.o.mode !== 'range') throw new PdRequestError('merges are for range mode');
    if (!this.regions.has(source) || !this.regions.has(target)) throw new PdRequestError(`regions ${source} and ${target} must both exist`);
    this.commands.set(source, { kind: 'merge', target });
    this.scheduling.handOver(source, this.o.clock());
  }

  async transferLeader(regionId: RegionId, toStore: StoreId): Promise<void> {
    const found = await this.regionById(regionId);
    if (!found) throw new PdRequestError(`no region ${regionId}`);
    const peer = found.region.peers.find((p) => p.storeId === toStore && p.role === 'voter');
    if (!peer) throw new PdRequestError(`region ${regionId} has no voter on store ${toStore}`);
    this.scheduling.handOver(regionId, this.o.clock());
    this.commands.set(regionId, { kind: 'transferLeader', toPeer: peer.id });
  }
}

/**
 * Where a region report fits in the directory, which never holds two overlapping ranges: a
 * report newer than every region it overlaps replaces them (they split, or merged into it, and
 * their own leaders report what is left of them); a report that overlaps a region of the same
 * or a newer version, or is older than the entry for its own ID, is stale and changes nothing.
 *
 * Worked example: region 1 = [a, z) v5 splits at g into 2 = [a, g) and 1 = [g, z), both v6.
 *
 *   reports in this order      directory after each
 *   2 = [a, g) v6              2 = [a, g)              (1 = [a, z) v5 dropped; [g, z) unknown)
 *   1 = [g, z) v6              2 = [a, g), 1 = [g, z)
 * or
 *   1 = [g, z) v6              1 = [g, z)              ([a, g) unknown)
 *   2 = [a, g) v6              2 = [a, g), 1 = [g, z)
 *
 * and a late 1 = [a, z) v5 is stale in both. NB: a gap until the other half reports is the
 * price of never overlapping; routers wait for a missing range (src/router/router.ts), while
 * an overlap would route a key to whichever region a lookup met first.
 *
 * Hash-mode groups (slots) span the whole key space and are placed by their ID and epoch only.
 */
export function placeReport(
  directory: ReadonlyMap<RegionId, Region>,
  report: Region,
): { verdict: 'stale' } | { verdict: 'same' } | { verdict: 'changed'; dropped: Region[] } {
  const known = directory.get(report.id);
  if (known && !epochAtLeast(report.epoch, known.epoch)) return { verdict: 'stale' };
  if (known && sameShape(known, report) && samePeers(known, report)) return { verdict: 'same' };
  const dropped: Region[] = [];
  if (report.slots === undefined) {
    const candidates = directory instanceof RegionDirectory ? directory.overlapping(report) : directory.values();
    for (const r of candidates) {
      if (r.id === report.id || r.slots !== undefined || !rangesOverlap(r, report)) continue;
      if (r.epoch.version >= report.epoch.version) return { verdict: 'stale' };
      dropped.push(r);
    }
  }
  return { verdict: 'changed', dropped };
}

function rangesOverlap(a: Region, b: Region): boolean {
  const aBeforeB = a.end.length !== 0 && compareKeys(a.end, b.start) <= 0;
  const bBeforeA = b.end.length !== 0 && compareKeys(b.end, a.start) <= 0;
  return !aBeforeB && !bBeforeA;
}

function samePeers(a: Region, b: Region): boolean {
  if (a.peers.length !== b.peers.length) return false;
  return a.peers.every((p, i) => {
    const q = b.peers[i]!;
    return p.id === q.id && p.storeId === q.storeId && p.role === q.role;
  });
}

/**
 * A directory entry as the schedulers see it: a leader the region does not list as a voter is
 * no leader, and unmeasured sizes are 0.
 */
function regionInfo(region: Region, stats: RegionStats | undefined, unmeasured: boolean): RegionInfo {
  const l = stats?.leader;
  const leader = l !== undefined && region.peers.some((p) => p.id === l.id && p.role === 'voter') ? l.id : undefined;
  return {
    region,
    leader,
    approximateBytes: unmeasured ? 0 : (stats?.approximateBytes ?? 0),
    approximateKeys: unmeasured ? 0 : (stats?.approximateKeys ?? 0),
    readQps: stats?.readQps ?? 0,
    writeQps: stats?.writeQps ?? 0,
    lastHeartbeatMs: stats?.lastHeartbeatMs ?? 0,
  };
}

function sameRange(a: Region, b: Region): boolean {
  return compareKeys(a.start, b.start) === 0 && compareKeys(a.end, b.end) === 0;
}

function sizesOf(s: RegionStats): { bytes: number; keys: number } {
  return { bytes: s.approximateBytes, keys: s.approximateKeys };
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

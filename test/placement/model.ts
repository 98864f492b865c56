// A tiny model of a sharded cluster for the randomized placement tests: stores that live or
// die, regions with peers, leaders and sizes, and what a region's leader does with each
// operator step. It asserts what a real store would refuse (two peers on one store, a leader
// removing itself), so an operator that breaks a region fails the test where it is applied.
//
// Keys are 4-byte big-endian numbers; region i of n initially owns [i * 2^32 / n, ...), the
// first starting at "" and the last ending at "" (unbounded).

import type { PeerId, Region, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';
import { compareKeys } from '../../src/cluster/region.js';
import { assert, assertNever } from '../../src/util/assert.js';
import type { Prng } from '../../src/util/prng.js';
import { buildClusterSnapshot, type ClusterSnapshot, type RegionInfo, type StoreReport } from '../../placement/cluster.js';
import type { IdSource } from '../../placement/id_alloc.js';
import type { Operator } from '../../placement/operator.js';
import { GiB, MiB } from './fixtures.js';

const keySpace = 2 ** 32;

export interface ModelRegion {
  region: Region;
  leader: PeerId | undefined;
  bytes: number;
  keys: number;
  readQps: number;
  writeQps: number;
}

export class Model {
  nowMs = 1_000_000;
  readonly stores = new Map<StoreId, { alive: boolean; lastHeartbeatMs: number }>();
  readonly regions = new Map<RegionId, ModelRegion>();
  readonly limits = { storeDisconnectMs: 3_000, storeDownMs: 10_000 };

  constructor(
    private readonly rand: Prng,
    readonly ids: IdSource & { next: number },
    o: { stores: number; regions: number; replicas: number; skew: boolean },
  ) {
    for (let s = 1; s <= o.stores; s++) this.stores.set(s as StoreId, { alive: true, lastHeartbeatMs: this.nowMs });
    const storeIds = [...this.stores.keys()];
    for (let i = 0; i < o.regions; i++) {
      // Skewed: most regions on the first `replicas + 1` stores, as after a cluster grew.
      const pool = o.skew && rand.chance(0.9) ? storeIds.slice(0, o.replicas + 1) : storeIds;
      const chosen = shuffle(pool, rand).slice(0, o.replicas);
      const id = this.newId() as RegionId;
      const peers: RegionPeer[] = chosen.map((storeId) => ({ id: this.newId() as PeerId, storeId, role: 'voter' }));
      const lo = Math.floor((i * keySpace) / o.regions);
      const hi = Math.floor(((i + 1) * keySpace) / o.regions);
      this.regions.set(id, {
        region: { id, start: i === 0 ? new Uint8Array() : keyOf(lo), end: i === o.regions - 1 ? new Uint8Array() : keyOf(hi), epoch: { confVer: 1, version: 1 }, peers },
        leader: peers[rand.int(peers.length)]!.id,
        bytes: 50 * MiB,
        keys: 100_000,
        readQps: 0,
        writeQps: 0,
      });
    }
  }

  newId(): number {
    return this.ids.tryNext()!;
  }

  snapshot(): ClusterSnapshot {
    const bytesOn = new Map<StoreId, number>();
    for (const r of this.regions.values()) for (const p of r.region.peers) bytesOn.set(p.storeId, (bytesOn.get(p.storeId) ?? 0) + r.bytes);
    const stores: StoreReport[] = [...this.stores].map(([id, s]) => ({
      id,
      address: `s${id}`,
      lastHeartbeatMs: s.alive ? this.nowMs : s.lastHeartbeatMs,
      capacityBytes: 100 * GiB,
      availableBytes: 100 * GiB - (bytesOn.get(id) ?? 0),
      lanes: 2,
    }));
    const regions: RegionInfo[] = [...this.regions.values()].map((r) => ({
      region: r.region,
      leader: r.leader,
      approximateBytes: r.bytes,
      approximateKeys: r.keys,
      readQps: r.readQps,
      writeQps: r.writeQps,
      lastHeartbeatMs: this.nowMs,
    }));
    return buildClusterSnapshot({ nowMs: this.nowMs, stores, regions, limits: this.limits });
  }

  kill(id: StoreId): void {
    const s = this.stores.get(id)!;
    s.alive = false;
    s.lastHeartbeatMs = this.nowMs;
  }

  addStore(): StoreId {
    const id = (Math.max(...this.stores.keys()) + 1) as StoreId;
    this.stores.set(id, { alive: true, lastHeartbeatMs: this.nowMs });
    return id;
  }

  private alive(id: StoreId): boolean {
    return this.stores.get(id)?.alive === true;
  }

  /** Raft: a region whose leader died elects a live voter, if a majority of its voters live. */
  electLeaders(): void {
    for (const r of this.regions.values()) {
      const leader = r.region.peers.find((p) => p.id === r.leader);
      if (leader !== undefined && this.alive(leader.storeId)) continue;
      const voters = r.region.peers.filter((p) => p.role === 'voter');
      const live = voters.filter((p) => this.alive(p.storeId));
      r.leader = live.length * 2 > voters.length ? live[this.rand.int(live.length)]!.id : undefined;
    }
  }

  /** The region's leader carries out the operator's current step (if it can). */
  apply(op: Operator): void {
    const r = this.regions.get(op.regionId);
    const step = op.steps[op.currentStep];
    if (r === undefined || step === undefined || r.leader === undefined) return;
    const leaderStore = r.region.peers.find((p) => p.id === r.leader)!.storeId;
    if (!this.alive(leaderStore)) return;
    const region = r.region;
    switch (step.type) {
      case 'AddLearner':
        if (!this.alive(step.storeId)) return;
        assert(!region.peers.some((p) => p.storeId === step.storeId), `two peers of region ${region.id} on store ${step.storeId}`);
        r.region = { ...region, peers: [...region.peers, { id: step.peerId, storeId: step.storeId, role: 'learner' }], epoch: bumpConf(region) };
        return;
      case 'PromoteLearner': {
        const p = region.peers.find((q) => q.id === step.peerId);
        assert(p !== undefined && p.role === 'learner', `promote of a peer that is not a learner in region ${region.id}`);
        if (!this.alive(p.storeId)) return;
        r.region = { ...region, peers: region.peers.map((q) => (q.id === step.peerId ? { ...q, role: 'voter' } : q)), epoch: bumpConf(region) };
        return;
      }
      case 'RemovePeer': {
        const p = region.peers.find((q) => q.storeId === step.storeId);
        assert(p !== undefined, `remove of a missing peer in region ${region.id}`);
        assert(p.id !== r.leader, `region ${region.id}: asked the leader to remove itself`);
        r.region = { ...region, peers: region.peers.filter((q) => q !== p), epoch: bumpConf(region) };
        return;
      }
      case 'TransferLeader': {
        const p = region.peers.find((q) => q.storeId === step.toStore);
        assert(p !== undefined && p.role === 'voter', `leader transfer of region ${region.id} to a store without a voter`);
        if (this.alive(p.storeId)) r.leader = p.id;
        return;
      }
      case 'SplitRegion':
        this.split(r);
        return;
      case 'MergeRegion':
        this.merge(r, this.regions.get(step.targetId)!);
        return;
      default:
        assertNever(step, 'step');
    }
  }

  /** Split at the middle key: the new region takes the left half, the old ID keeps the right. */
  private split(r: ModelRegion): void {
    const lo = numOf(r.region.start, 0);
    const hi = numOf(r.region.end, keySpace);
    if (hi - lo < 2) return;
    const mid = keyOf(Math.floor((lo + hi) / 2));
    const epoch = { confVer: r.region.epoch.confVer, version: r.region.epoch.version + 1 };
    const id = this.newId() as RegionId;
    const peers = r.region.peers.map((p) => ({ ...p, id: this.newId() as PeerId }));
    const leaderStore = r.region.peers.find((p) => p.id === r.leader)!.storeId;
    this.regions.set(id, {
      region: { id, start: r.region.start, end: mid, epoch, peers },
      leader: peers.find((p) => p.storeId === leaderStore)!.id,
      bytes: Math.floor(r.bytes / 2),
      keys: Math.floor(r.keys / 2),
      readQps: r.readQps / 2,
      writeQps: r.writeQps / 2,
    });
    r.region = { ...r.region, start: mid, epoch };
    r.bytes -= Math.floor(r.bytes / 2);
    r.keys -= Math.floor(r.keys / 2);
    r.readQps /= 2;
    r.writeQps /= 2;
  }

  private merge(source: ModelRegion, target: ModelRegion): void {
    const s = source.region;
    const t = target.region;
    const stores = (x: Region) => x.peers.map((p) => p.storeId).sort().join();
    assert(stores(s) === stores(t), `merge of regions ${s.id} and ${t.id} on different stores`);
    const leftFirst = s.end.length !== 0 && compareKeys(s.end, t.start) === 0;
    assert(leftFirst || (t.end.length !== 0 && compareKeys(t.end, s.start) === 0), `merge of regions ${s.id} and ${t.id} that are not adjacent`);
    this.regions.delete(s.id);
    target.region = {
      ...t,
      start: leftFirst ? s.start : t.start,
      end: leftFirst ? t.end : s.end,
      epoch: { confVer: t.epoch.confVer, version: Math.max(s.epoch.version, t.epoch.version) + 1 },
    };
    target.bytes += source.bytes;
    target.keys += source.keys;
    target.readQps += source.readQps;
    target.writeQps += source.writeQps;
  }

  /** Invariants that hold after every round, whatever PD did. */
  checkInvariants(replicas: number): void {
    const ordered = [...this.regions.values()].sort((a, b) => compareKeys(a.region.start, b.region.start));
    assert(ordered[0]!.region.start.length === 0 && ordered.at(-1)!.region.end.length === 0, 'the key space lost an end');
    for (let i = 0; i < ordered.length; i++) {
      const r = ordered[i]!.region;
      if (i > 0) assert(compareKeys(ordered[i - 1]!.region.end, r.start) === 0, `gap or overlap before region ${r.id}`);
      const stores = new Set(r.peers.map((p) => p.storeId));
      assert(stores.size === r.peers.length, `region ${r.id} has two peers on one store`);
      const voters = r.peers.filter((p) => p.role === 'voter').length;
      assert(voters >= replicas - 1, `region ${r.id} fell to ${voters} voters`);
      const leader = r.peers.find((p) => p.id === ordered[i]!.leader);
      assert(ordered[i]!.leader === undefined || leader?.role === 'voter', `region ${r.id} led by a non-voter`);
    }
  }
}

function bumpConf(r: Region) {
  return { confVer: r.epoch.confVer + 1, version: r.epoch.version };
}

export function keyOf(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function numOf(k: Uint8Array, ifEmpty: number): number {
  return k.length === 0 ? ifEmpty : new DataView(k.buffer, k.byteOffset, 4).getUint32(0);
}

function shuffle<T>(items: readonly T[], rand: Prng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

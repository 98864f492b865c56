// The frozen cluster snapshot every scheduler reads: stores and regions as PD last heard of
// them, with each store's state derived from the age of its last heartbeat. Built once per
// scheduling round; schedulers never see it change under them.
//
// Store states, with the defaults (tikv/pd's: 20 s to disconnected, 30 min to down):
//
//   heartbeat age   0 ........ 20 s ............ 30 min ..........
//   state           up         disconnected      down              (tombstone: removed for good)
//
//   up            takes new peers and leaders;
//   disconnected  maybe a restart or a short partition: nothing new goes there, nothing is
//                 repaired away from it yet (moving a region costs a full snapshot);
//   down          its peers are replaced (replica_repair);
//   tombstone     the operator removed the store; its peers are replaced too.
//
// Per-store counts (regionCount, leaderCount, regionBytes) are derived from the regions, not
// taken from the store's own report, so they agree with the regions schedulers move.

import { assert } from '../src/util/assert.js';
import { compareKeys, type PeerId, type Region, type RegionId, type RegionPeer, type StoreId } from '../src/cluster/region.js';

export type StoreState = 'up' | 'disconnected' | 'down' | 'tombstone';

/** What a store's heartbeat (and PD's store directory) says about it. */
export interface StoreReport {
  id: StoreId;
  address: string;
  lastHeartbeatMs: number;
  capacityBytes: number;
  availableBytes: number;
  /** Worker threads; each hosts many peers. */
  lanes: number;
  /** Set once the store was removed for good (`ctl store delete`, then its peers moved away). */
  tombstone?: boolean;
}

export interface StoreInfo {
  readonly id: StoreId;
  readonly address: string;
  readonly state: StoreState;
  readonly lastHeartbeatMs: number;
  readonly capacityBytes: number;
  readonly availableBytes: number;
  /** Peers (voters and learners) on this store. */
  readonly regionCount: number;
  readonly leaderCount: number;
  /** Sum of approximateBytes of the regions with a peer here. */
  readonly regionBytes: number;
  readonly lanes: number;
}

/** A region as its leader last reported it (region heartbeat). */
export interface RegionInfo {
  readonly region: Readonly<Region>;
  /** The leader's peer ID; undefined while the region has no known leader. */
  readonly leader: PeerId | undefined;
  readonly approximateBytes: number;
  readonly approximateKeys: number;
  readonly readQps: number;
  readonly writeQps: number;
  readonly lastHeartbeatMs: number;
}

export interface ClusterSnapshot {
  readonly nowMs: number;
  readonly stores: ReadonlyMap<StoreId, StoreInfo>;
  readonly regions: ReadonlyMap<RegionId, RegionInfo>;
  /** Range-mode regions (those without slots) sorted by start key; neighbours are adjacent. */
  readonly regionsInKeyOrder: readonly RegionInfo[];
}

export interface StoreStateLimits {
  /** Heartbeat age past which a store is disconnected. */
  storeDisconnectMs: number;
  /** Heartbeat age past which a store is down and its peers are replaced. */
  storeDownMs: number;
}

export const storeStateLimitsDefault: StoreStateLimits = Object.freeze({
  storeDisconnectMs: 20_000,
  storeDownMs: 30 * 60_000,
});

export function storeStateAt(report: StoreReport, nowMs: number, limits: StoreStateLimits): StoreState {
  if (report.tombstone) return 'tombstone';
  // A heartbeat "from the future" (clock skew between PD leaders) counts as fresh.
  const ageMs = Math.max(0, nowMs - report.lastHeartbeatMs);
  if (ageMs > limits.storeDownMs) return 'down';
  if (ageMs > limits.storeDisconnectMs) return 'disconnected';
  return 'up';
}

export interface SnapshotInput {
  nowMs: number;
  stores: Iterable<StoreReport>;
  regions: Iterable<RegionInfo>;
  limits?: StoreStateLimits;
}

export function buildClusterSnapshot(input: SnapshotInput): ClusterSnapshot {
  const limits = input.limits ?? storeStateLimitsDefault;
  assert(limits.storeDisconnectMs > 0 && limits.storeDownMs > limits.storeDisconnectMs, 'bad store state limits');

  const regions = new Map<RegionId, RegionInfo>();
  const counts = new Map<StoreId, { regionCount: number; leaderCount: number; regionBytes: number }>();
  const countsOf = (id: StoreId) => {
    let c = counts.get(id);
    if (c === undefined) counts.set(id, (c = { regionCount: 0, leaderCount: 0, regionBytes: 0 }));
    return c;
  };
  for (const info of input.regions) {
    assertRegionShape(info);
    assert(!regions.has(info.region.id), `region ${info.region.id} reported twice`);
    regions.set(info.region.id, Object.freeze({ ...info }));
    for (const p of info.region.peers) {
      const c = countsOf(p.storeId);
      c.regionCount++;
      c.regionBytes += info.approximateBytes;
      if (p.id === info.leader) c.leaderCount++;
    }
  }

  const stores = new Map<StoreId, StoreInfo>();
  for (const r of input.stores) {
    assert(!stores.has(r.id), `store ${r.id} reported twice`);
    const c = counts.get(r.id) ?? { regionCount: 0, leaderCount: 0, regionBytes: 0 };
    stores.set(
      r.id,
      Object.freeze({
        id: r.id,
        address: r.address,
        state: storeStateAt(r, input.nowMs, limits),
        lastHeartbeatMs: r.lastHeartbeatMs,
        capacityBytes: r.capacityBytes,
        availableBytes: r.availableBytes,
        lanes: r.lanes,
        ...c,
      }),
    );
  }

  const inKeyOrder = [...regions.values()]
    .filter((r) => r.region.slots === undefined)
    .sort((a, b) => compareKeys(a.region.start, b.region.start));
  for (let i = 1; i < inKeyOrder.length; i++) {
    const prevEnd = inKeyOrder[i - 1]!.region.end;
    // The directory resolves overlapping reports before a snapshot is built.
    assert(prevEnd.length !== 0 && compareKeys(prevEnd, inKeyOrder[i]!.region.start) <= 0, 'regions overlap in the snapshot');
  }

  return Object.freeze({
    nowMs: input.nowMs,
    stores,
    regions,
    regionsInKeyOrder: Object.freeze(inKeyOrder),
  });
}

function assertRegionShape(info: RegionInfo): void {
  const r = info.region;
  const storesSeen = new Set<StoreId>();
  for (const p of r.peers) {
    assert(!storesSeen.has(p.storeId), `region ${r.id} has two peers on store ${p.storeId}`);
    storesSeen.add(p.storeId);
  }
  if (info.leader !== undefined) {
    const leader = r.peers.find((p) => p.id === info.leader);
    assert(leader !== undefined && leader.role === 'voter', `region ${r.id}: leader ${info.leader} is not one of its voters`);
  }
}

// ---- Small readers shared by the schedulers and the operator checks.

export function leaderPeer(info: RegionInfo): RegionPeer | undefined {
  return info.leader === undefined ? undefined : info.region.peers.find((p) => p.id === info.leader);
}

export function peerOnStore(region: Readonly<Region>, storeId: StoreId): RegionPeer | undefined {
  return region.peers.find((p) => p.storeId === storeId);
}

export function votersOf(region: Readonly<Region>): RegionPeer[] {
  return region.peers.filter((p) => p.role === 'voter');
}

export function storeIsUp(snapshot: ClusterSnapshot, id: StoreId): boolean {
  return snapshot.stores.get(id)?.state === 'up';
}

/** A store whose peers are lost for good: down, tombstone, or unknown to PD. */
export function storeIsGone(snapshot: ClusterSnapshot, id: StoreId): boolean {
  const s = snapshot.stores.get(id);
  return s === undefined || s.state === 'down' || s.state === 'tombstone';
}

// Store and region filters the schedulers share: where a new peer may go, which regions are
// safe to move, and the helpers to pick among equals at random (seeded, so runs replay).

import type { Rand } from '../../src/util/prng.js';
import type { PeerId, StoreId } from '../../src/cluster/region.js';
import { leaderPeer, peerOnStore, votersOf, type ClusterSnapshot, type RegionInfo, type StoreInfo } from '../cluster.js';
import type { ScheduleConfig } from './config.js';
import type { ScheduleEnv } from './scheduler.js';

/**
 * Whether the store keeps at least storeAvailableRatioMin of its capacity free after taking
 * `bytes` more. Worked example, ratio 0.2: a 100 GB store with 30 GB free takes a 5 GB region
 * (25 GB left >= 20 GB) but not a 15 GB one.
 */
export function hasSpaceFor(store: StoreInfo, bytes: number, c: ScheduleConfig): boolean {
  return store.availableBytes - bytes >= store.capacityBytes * c.storeAvailableRatioMin;
}

/** An up store with room, no peer of the region, and space for it. */
export function canTakePeer(store: StoreInfo, info: RegionInfo, c: ScheduleConfig, env: ScheduleEnv): boolean {
  return (
    store.state === 'up' &&
    peerOnStore(info.region, store.id) === undefined &&
    hasSpaceFor(store, info.approximateBytes, c) &&
    env.storeHasRoom(store.id)
  );
}

/** The best store for a new peer of the region: fewest regions, then most free bytes, then chance. */
export function pickStoreForNewPeer(snapshot: ClusterSnapshot, info: RegionInfo, c: ScheduleConfig, env: ScheduleEnv): StoreInfo | undefined {
  const candidates = [...snapshot.stores.values()].filter((s) => canTakePeer(s, info, c, env));
  return pickBest(candidates, (a, b) => a.regionCount - b.regionCount || b.availableBytes - a.availableBytes, env.rand);
}

/** The least element by `cmp`, a random one among ties. */
export function pickBest<T>(items: readonly T[], cmp: (a: T, b: T) => number, rand: Rand): T | undefined {
  let best: T[] = [];
  for (const x of items) {
    const d = best.length === 0 ? -1 : cmp(x, best[0]!);
    if (d < 0) best = [x];
    else if (d === 0) best.push(x);
  }
  return best.length === 0 ? undefined : best[rand.int(best.length)];
}

/** A copy of `items` in random order (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], rand: Rand): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A region in its normal shape, safe to move for balance: exactly `replicas` voters, no
 * learners, every peer on an up store, a leader. Anything else is replica_repair's business.
 */
export function isHealthy(snapshot: ClusterSnapshot, info: RegionInfo, c: ScheduleConfig): boolean {
  const peers = info.region.peers;
  return (
    info.leader !== undefined &&
    peers.length === c.replicas &&
    votersOf(info.region).length === c.replicas &&
    peers.every((p) => snapshot.stores.get(p.storeId)?.state === 'up')
  );
}

export function leaderStoreId(info: RegionInfo): StoreId | undefined {
  return leaderPeer(info)?.storeId;
}

/** A fresh peer ID, or undefined when the allocator has none ready. */
export function nextPeerId(env: ScheduleEnv): PeerId | undefined {
  return env.ids.tryNext() as PeerId | undefined;
}

export function upStores(snapshot: ClusterSnapshot): StoreInfo[] {
  return [...snapshot.stores.values()].filter((s) => s.state === 'up');
}

export function isHot(info: RegionInfo, c: ScheduleConfig): boolean {
  return info.writeQps >= c.hotWriteQpsMin || info.readQps >= c.hotReadQpsMin;
}

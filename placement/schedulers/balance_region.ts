// Balance regions: move a peer from the fullest up store (most regions, then most bytes) to the
// emptiest, while their region counts differ by more than the tolerance. A move is
// AddLearner -> Promote -> [TransferLeader] -> RemovePeer (move_steps.ts): the region keeps its
// voters throughout, and never has two peers on one store (the target must hold none).
//
// Worked example, tolerance 1: regions per store {1: 9, 2: 6, 3: 6, 4: 3} (4 just joined).
// Gap 9 - 3 = 6 > 1: a region on 1 and not on 4 moves to 4 -> {8, 6, 6, 4}; the next pick is
// again 1 -> 4, and so on. Followers move before leaders, as they need no leader transfer.
//
// Only healthy regions move (replicas voters, all up, no learners): a region short of a voter
// is replica_repair's, and moving it would stack a second change on an unsafe shape.

import type { RegionId, StoreId } from '../../src/cluster/region.js';
import type { ClusterSnapshot, RegionInfo, StoreInfo } from '../cluster.js';
import { newOperator, type Operator } from '../operator.js';
import { hasSpaceFor, isHealthy, leaderStoreId, nextPeerId, upStores } from './candidates.js';
import { balanceTolerance, type ScheduleConfig } from './config.js';
import { movePeerSteps } from './move_steps.js';
import type { ScheduleEnv } from './scheduler.js';

export function balanceRegion(snapshot: ClusterSnapshot, c: ScheduleConfig, env: ScheduleEnv): Operator[] {
  const stores = upStores(snapshot);
  if (stores.length < 2) return [];
  const count = new Map(stores.map((s) => [s.id, s.regionCount]));
  const bytes = new Map(stores.map((s) => [s.id, s.regionBytes]));
  const free = new Map(stores.map((s) => [s.id, s.availableBytes]));
  const byId = new Map(stores.map((s) => [s.id, s]));
  const tolerance = balanceTolerance(stores.reduce((n, s) => n + s.regionCount, 0) / stores.length, c);

  // Movable regions by store holding a peer, so a search looks only at the source's regions.
  const movableOn = new Map<StoreId, RegionInfo[]>();
  for (const info of snapshot.regions.values()) {
    if (env.isBusy(info.region.id) || !isHealthy(snapshot, info, c)) continue;
    for (const p of info.region.peers) {
      let list = movableOn.get(p.storeId);
      if (list === undefined) movableOn.set(p.storeId, (list = []));
      list.push(info);
    }
  }
  const used = new Set<RegionId>();
  const ops: Operator[] = [];
  while (ops.length < c.balanceBatchMax) {
    const move = findMove();
    if (move === undefined) break;
    const { info, from, to } = move;
    const peerId = nextPeerId(env);
    if (peerId === undefined) break;
    used.add(info.region.id);
    const b = info.approximateBytes;
    count.set(from, count.get(from)! - 1);
    count.set(to, count.get(to)! + 1);
    bytes.set(from, bytes.get(from)! - b);
    bytes.set(to, bytes.get(to)! + b);
    free.set(to, free.get(to)! - b);
    ops.push(
      newOperator({
        info,
        kind: 'balance-region',
        desc: `move region ${info.region.id} from store ${from} to store ${to}`,
        steps: movePeerSteps(snapshot, info, from, to, peerId, env.rand),
        nowMs: snapshot.nowMs,
        timeouts: c.timeouts,
      }),
    );
  }
  return ops;

  function findMove(): { info: RegionInfo; from: StoreId; to: StoreId } | undefined {
    const order = stores
      .map((s) => s.id)
      .sort((a, b) => count.get(a)! - count.get(b)! || bytes.get(a)! - bytes.get(b)! || a - b);
    for (let i = order.length - 1; i > 0; i--) {
      const from = order[i]!;
      if (!env.storeHasRoom(from)) continue;
      for (let j = 0; j < i; j++) {
        const to = order[j]!;
        if (count.get(from)! - count.get(to)! <= tolerance) break;
        if (!env.storeHasRoom(to)) continue;
        const target: StoreInfo = { ...byId.get(to)!, availableBytes: free.get(to)! };
        const fits = (info: RegionInfo) =>
          !used.has(info.region.id) &&
          !info.region.peers.some((p) => p.storeId === to) &&
          hasSpaceFor(target, info.approximateBytes, c);
        const candidates = (movableOn.get(from) ?? []).filter(fits);
        if (candidates.length === 0) continue;
        const followers = candidates.filter((info) => leaderStoreId(info) !== from);
        const pool = followers.length > 0 ? followers : candidates;
        return { info: pool[env.rand.int(pool.length)]!, from, to };
      }
    }
    return undefined;
  }
}

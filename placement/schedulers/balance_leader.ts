// Balance leaders: move leaders from the up store leading the most regions to the one leading
// the fewest, while the gap passes the tolerance (config.ts, balanceTolerance). A leader can
// only go where the region already has a voter, so when the fewest-leader store holds no
// follower of the busiest store's regions, the next pair is tried.
//
// Worked example, tolerance 1: leaders per store {1: 6, 2: 2, 3: 4}; gap 6 - 2 = 4 > 1, so a
// region led by 1 with a voter on 2 moves its leader to 2: {5, 3, 4}; gap 5 - 3 = 2 > 1, another:
// {4, 4, 4}. With balanceBatchMax 4 both moves come in one round.
//
// Hot regions are left where hot_region put them; moving them back would undo its work.

import type { RegionId, StoreId } from '../../src/cluster/region.js';
import type { ClusterSnapshot, RegionInfo } from '../cluster.js';
import { newOperator, type Operator } from '../operator.js';
import { isHealthy, isHot, leaderStoreId, upStores } from './candidates.js';
import { balanceTolerance, type ScheduleConfig } from './config.js';
import type { ScheduleEnv } from './scheduler.js';

export function balanceLeader(snapshot: ClusterSnapshot, c: ScheduleConfig, env: ScheduleEnv): Operator[] {
  const stores = upStores(snapshot);
  if (stores.length < 2) return [];
  const leaders = new Map(stores.map((s) => [s.id, s.leaderCount]));
  const tolerance = balanceTolerance(stores.reduce((n, s) => n + s.leaderCount, 0) / stores.length, c);

  // Movable regions by leader store.
  const ledBy = new Map<StoreId, RegionInfo[]>();
  for (const info of snapshot.regions.values()) {
    if (env.isBusy(info.region.id) || isHot(info, c) || !isHealthy(snapshot, info, c)) continue;
    const s = leaderStoreId(info)!;
    let list = ledBy.get(s);
    if (list === undefined) ledBy.set(s, (list = []));
    list.push(info);
  }

  const used = new Set<RegionId>();
  const ops: Operator[] = [];
  while (ops.length < c.balanceBatchMax) {
    const move = findMove();
    if (move === undefined) break;
    const { info, from, to } = move;
    used.add(info.region.id);
    leaders.set(from, leaders.get(from)! - 1);
    leaders.set(to, leaders.get(to)! + 1);
    ops.push(
      newOperator({
        info,
        kind: 'balance-leader',
        desc: `move leader of region ${info.region.id} from store ${from} to store ${to}`,
        steps: [{ type: 'TransferLeader', toStore: to }],
        nowMs: snapshot.nowMs,
        timeouts: c.timeouts,
      }),
    );
  }
  return ops;

  function findMove(): { info: RegionInfo; from: StoreId; to: StoreId } | undefined {
    const byLeaders = stores.map((s) => s.id).sort((a, b) => leaders.get(a)! - leaders.get(b)! || a - b);
    for (let i = byLeaders.length - 1; i > 0; i--) {
      const from = byLeaders[i]!;
      for (let j = 0; j < i; j++) {
        const to = byLeaders[j]!;
        if (leaders.get(from)! - leaders.get(to)! <= tolerance) break;
        if (!env.storeHasRoom(to)) continue;
        const candidates = (ledBy.get(from) ?? []).filter(
          (info) => !used.has(info.region.id) && info.region.peers.some((p) => p.storeId === to && p.role === 'voter'),
        );
        if (candidates.length > 0) return { info: candidates[env.rand.int(candidates.length)]!, from, to };
      }
    }
    return undefined;
  }
}

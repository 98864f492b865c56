// Batch split: one region becomes n + 1 regions at n split keys.
//
// Propose: PD (or the size check) picks keys strictly inside the region and allocates one region
//   ID per key and one peer ID per (new region, parent peer). The leader dry-runs execBatchSplit
//   on its applied state and proposes the command as a normal entry.
// Apply: every peer cuts its region at the keys. The parent keeps the right-most part; the i-th
//   new region takes the i-th part from the left. Every resulting region gets the same new
//   version (parent's + n) and the parent's confVer; the new regions' peers sit on the parent's
//   stores with the parent's roles, peer j of a new region beside peer j of the parent.
// On apply result: the store creates the new regions' peers from the parent's data in their
//   ranges (on the same store: in the real system only metadata moves) and re-indexes its
//   ranges; if the parent's peer leads, the new peers beside it campaign at once.
//
// Worked example: region 1 = ["a", "z") at {confVer 3, version 5}, peers 11@s1 12@s2 13@s3;
// batch-split at ["g", "p"] with new regions 2 (peers 21, 22, 23) and 3 (peers 31, 32, 33):
//
//   region 2 = ["a", "g")  region 3 = ["g", "p")  region 1 = ["p", "z")   all at {3, 7}
//
// NB: the parent keeps the RIGHT part (TiKV's default, right-derive-when-split). Keys that grow
// (timestamps, sequence numbers, etcd revisions in key names) land at the right end of the key
// space, so the right part of a region is usually its hottest. Keeping the parent there means the
// hot part keeps its Raft group: its sitting leader, its log, its leader lease and routers' cached
// leader for that region ID, while the colder left parts are the ones that start new groups and
// pay for an election. Left-derive would make every sequential-insert split move the hot tail to
// a brand-new group that first has to elect a leader.

import { compareKeys, showKey, type PeerId, type Region, type RegionId } from '../../../src/cluster/region.js';
import { checkAdmin } from './check.js';
import {
  cloneState,
  fail,
  invalid,
  ok,
  type AdminResult,
  type BatchSplit,
  type Outcome,
  type RegionState,
} from './command.js';

export type SplitResult = Extract<AdminResult, { type: 'batch-split' }>;

export function execBatchSplit(state: RegionState, cmd: BatchSplit): Outcome<SplitResult> {
  const parent = state.region;
  const err = checkAdmin(state, cmd);
  if (err) return fail(err);
  if (parent.slots) return invalid(parent.id, 'a hash-mode group has no key range to split');
  const n = cmd.splitKeys.length;
  if (n === 0) return invalid(parent.id, 'batch-split without split keys');
  if (cmd.newRegions.length !== n) {
    return invalid(parent.id, `batch-split with ${n} keys but ${cmd.newRegions.length} new regions`);
  }
  for (let i = 0; i < n; i++) {
    const key = cmd.splitKeys[i]!;
    const inside = compareKeys(key, parent.start) > 0 && (parent.end.length === 0 || compareKeys(key, parent.end) < 0);
    if (!inside) return fail({ code: 'KeyNotInRegion', regionId: parent.id, key, region: parent });
    if (i > 0 && compareKeys(cmd.splitKeys[i - 1]!, key) >= 0) {
      return invalid(parent.id, `split keys not sorted and distinct at ${showKey(key)}`);
    }
  }
  const regionIds = new Set<RegionId>([parent.id]);
  const peerIds = new Set<PeerId>(parent.peers.map((p) => p.id));
  for (const t of cmd.newRegions) {
    if (regionIds.has(t.id)) return invalid(parent.id, `new region ID ${t.id} is not new`);
    regionIds.add(t.id);
    if (t.peerIds.length !== parent.peers.length) {
      return invalid(parent.id, `new region ${t.id} has ${t.peerIds.length} peer IDs for ${parent.peers.length} peers`);
    }
    for (const id of t.peerIds) {
      if (peerIds.has(id)) return invalid(parent.id, `new peer ID ${id} is not new`);
      peerIds.add(id);
    }
  }

  const epoch = { confVer: parent.epoch.confVer, version: parent.epoch.version + n };
  const created: Region[] = [];
  let start = parent.start;
  for (let i = 0; i < n; i++) {
    const t = cmd.newRegions[i]!;
    const end = cmd.splitKeys[i]!;
    created.push({
      id: t.id,
      start: start.slice(),
      end: end.slice(),
      epoch: { ...epoch },
      peers: parent.peers.map((p, j) => ({ id: t.peerIds[j]!, storeId: p.storeId, role: p.role })),
    });
    start = end;
  }
  const derived = cloneState(state);
  derived.region.start = start.slice();
  derived.region.epoch = { ...epoch };
  return ok({ type: 'batch-split', derived, created });
}

// Merge: a source region disappears into an adjacent target region whose peers sit on the same
// stores with the same roles, so every store merges two local peers and no data moves between
// stores.
//
// Propose (PD drives the steps and works on nothing else in either region meanwhile):
//   1. prepare-merge to the source, naming the target (with its epoch) as PD sees it.
//   2. Once every peer of the source has applied prepare-merge, commit-merge to the target,
//      carrying the source's frozen state.
//   3. If the target's epoch moved since step 1, commit-merge can never apply (it requires the
//      recorded epoch): rollback-merge to the source. Never roll back otherwise: once a target
//      peer applied commit-merge, the source's data lives on in the target.
// Apply:
//   prepare-merge (source): checks adjacency and stores, bumps version and confVer (a split or
//     conf change proposed before it is refused after it), records the target. From then on the
//     source refuses writes, reads and admin commands, all but its rollback.
//   commit-merge (target): checks that the source is frozen for this target at exactly this
//     target's epoch, adjacent, on the same stores; the target's range grows over the source's,
//     version = max(source version, target version) + 1.
//   rollback-merge (source): unfreezes, version += 1.
// On apply result:
//   commit-merge: each store moves its source peer's data into its target peer and destroys the
//     source peer, in the same write. That source peer must have applied prepare-merge. NB: TiKV
//     carries the source's last log entries in commit-merge so a lagging source peer can catch up
//     inside the target's apply; here PD's wait in step 2 guarantees it instead (source
//     membership is frozen by the confVer bump, and applied state is durable), and the apply
//     side asserts it.
//   prepare-merge / rollback-merge: the store records the source's new state.
//
// Worked example: source 5 = ["g", "p") {confVer 3, version 4}, target 1 = ["p", "") {3, 6}:
//   prepare-merge(target 1 @ {3, 6}) at 5  -> 5 = ["g", "p") {4, 5}, merging into 1
//   commit-merge(source 5) at 1 @ {3, 6}   -> 1 = ["g", "") {3, 7}; region 5 is gone

import { compareKeys, epochEquals, type Region } from '../../../src/cluster/region.js';
import { checkAdmin } from './check.js';
import {
  cloneRegion,
  cloneState,
  fail,
  invalid,
  ok,
  type AdminResult,
  type CommitMerge,
  type Outcome,
  type PrepareMerge,
  type RegionState,
  type RollbackMerge,
} from './command.js';

export type PrepareMergeResult = Extract<AdminResult, { type: 'prepare-merge' }>;
export type CommitMergeResult = Extract<AdminResult, { type: 'commit-merge' }>;
export type RollbackMergeResult = Extract<AdminResult, { type: 'rollback-merge' }>;

/** 'left' if a ends where b starts, 'right' if b ends where a starts, else undefined. */
export function adjacency(a: Region, b: Region): 'left' | 'right' | undefined {
  if (a.end.length > 0 && compareKeys(a.end, b.start) === 0) return 'left';
  if (b.end.length > 0 && compareKeys(b.end, a.start) === 0) return 'right';
  return undefined;
}

/** Why two regions' peers cannot merge (undefined if they can): same stores, same roles. */
export function storesMismatch(a: Region, b: Region): string | undefined {
  const roles = new Map(a.peers.map((p) => [p.storeId, p.role]));
  if (a.peers.length !== b.peers.length) return `${a.peers.length} peers against ${b.peers.length}`;
  for (const p of b.peers) {
    const role = roles.get(p.storeId);
    if (role === undefined) return `region ${b.id} has a peer on store ${p.storeId}, region ${a.id} has none`;
    if (role !== p.role) return `store ${p.storeId} holds a ${role} of region ${a.id} but a ${p.role} of region ${b.id}`;
  }
  return undefined;
}

/** Why source and target cannot merge, in either step (undefined if they can). */
function mergeRefusal(source: Region, target: Region): string | undefined {
  if (source.id === target.id) return `region ${source.id} cannot merge into itself`;
  if (source.slots || target.slots) return 'hash-mode groups move slots, they do not merge';
  if (!adjacency(source, target)) return `regions ${source.id} and ${target.id} are not adjacent`;
  const why = storesMismatch(source, target);
  if (why !== undefined) return `regions ${source.id} and ${target.id} are not on the same stores: ${why}`;
  return undefined;
}

export function execPrepareMerge(state: RegionState, cmd: PrepareMerge): Outcome<PrepareMergeResult> {
  const source = state.region;
  const err = checkAdmin(state, cmd);
  if (err) return fail(err);
  const why = mergeRefusal(source, cmd.target);
  if (why !== undefined) return invalid(source.id, why);
  const next = cloneState(state);
  next.region.epoch = { confVer: source.epoch.confVer + 1, version: source.epoch.version + 1 };
  next.merging = { target: cloneRegion(cmd.target) };
  return ok({ type: 'prepare-merge', state: next });
}

export function execCommitMerge(state: RegionState, cmd: CommitMerge): Outcome<CommitMergeResult> {
  const target = state.region;
  const err = checkAdmin(state, cmd);
  if (err) return fail(err);
  const source = cmd.source.region;
  const recorded = cmd.source.merging?.target;
  if (!recorded) return invalid(target.id, `source region ${source.id} is not merging`);
  if (recorded.id !== target.id) return invalid(target.id, `source region ${source.id} is merging into region ${recorded.id}`);
  // The target changed since the source froze: the source's plan no longer holds (PD rolls back).
  if (!epochEquals(recorded.epoch, target.epoch)) return fail({ code: 'EpochNotMatch', current: [target] });
  const why = mergeRefusal(source, target);
  if (why !== undefined) return invalid(target.id, why);
  const next = cloneState(state);
  if (adjacency(source, target) === 'left') next.region.start = source.start.slice();
  else next.region.end = source.end.slice();
  next.region.epoch = { confVer: target.epoch.confVer, version: Math.max(source.epoch.version, target.epoch.version) + 1 };
  return ok({ type: 'commit-merge', state: next, source: cloneRegion(source) });
}

export function execRollbackMerge(state: RegionState, cmd: RollbackMerge): Outcome<RollbackMergeResult> {
  const source = state.region;
  const err = checkAdmin(state, cmd);
  if (err) return fail(err);
  if (!state.merging) return invalid(source.id, `region ${source.id} is not merging`);
  const next = cloneState(state);
  delete next.merging;
  next.region.epoch = { confVer: source.epoch.confVer, version: source.epoch.version + 1 };
  return ok({ type: 'rollback-merge', state: next });
}

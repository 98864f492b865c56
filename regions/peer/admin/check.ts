// Epoch checks: whether a request proposed against one shape of a region may still apply to it.
//
// Propose: a peer runs the check before proposing, so a router with a stale cache learns at once.
// Apply: every peer runs it again on the region as it is at the entry's place in the log: a
//   split or merge committed between proposal and apply must turn the request away, or a write
//   would land in a region that no longer owns its key.
// On apply result: the proposer answers its caller with the error, which carries the current
//   regions (EpochNotMatch) so the router refreshes its cache and retries.
//
// Worked example: region 1 = ["", "") at version 1. A client proposes put "m" with epoch
// {confVer 1, version 1}. Before it commits, a split at "g" commits: region 2 = ["", "g") and
// region 1 = ["g", "") both at version 2. The put applies after the split and is refused with
// EpochNotMatch { current: [region 1 @ v2] }; the router retries at region 1 with version 2.
//
// Data requests check the version only (a membership change moves no key); admin commands check
// what they depend on (table in command.ts). Both halves are compared for equality, not order:
// a request from the future (its proposer saw an epoch this peer has not applied yet) is as
// unsafe to apply as one from the past.

import { keyInRange, type Region, type RegionEpoch, type RegionError } from '../../../src/cluster/region.js';
import { assertNever } from '../../../src/util/assert.js';
import type { AdminCommand, AdminError, AdminType, RegionState } from './command.js';

export type DataKind = 'write' | 'read';
export type RequestKind = DataKind | AdminType | 'transfer-leader';

export interface EpochRule {
  checkVersion: boolean;
  checkConfVer: boolean;
}

export function epochRule(kind: RequestKind): EpochRule {
  switch (kind) {
    case 'write':
    case 'read':
      return { checkVersion: true, checkConfVer: false };
    case 'change-peer':
      return { checkVersion: false, checkConfVer: true };
    case 'batch-split':
    case 'prepare-merge':
    case 'commit-merge':
    case 'rollback-merge':
    case 'transfer-leader':
      return { checkVersion: true, checkConfVer: true };
    default:
      return assertNever(kind, 'request kind');
  }
}

/**
 * EpochNotMatch if `epoch` is not the region's in the halves `kind` checks. `current` are the
 * regions to hand back (by default just this one; a store may add the regions split off it).
 */
export function checkEpoch(region: Region, epoch: RegionEpoch, kind: RequestKind, current?: Region[]): RegionError | undefined {
  const rule = epochRule(kind);
  const stale =
    (rule.checkVersion && epoch.version !== region.epoch.version) || (rule.checkConfVer && epoch.confVer !== region.epoch.confVer);
  if (!stale) return undefined;
  return { code: 'EpochNotMatch', current: current ?? [region] };
}

export interface DataRequest {
  epoch: RegionEpoch;
  /** Every key the request reads or writes. */
  keys: Uint8Array[];
}

/**
 * Whether a read or write may be served by (proposed to, applied at) a region in this state.
 * A merging source refuses both: its data is frozen and about to move into the target, so a read
 * there could miss a write the target accepted after the merge.
 */
export function checkDataRequest(state: RegionState, req: DataRequest, kind: DataKind, current?: Region[]): RegionError | undefined {
  const r = state.region;
  const epochErr = checkEpoch(r, req.epoch, kind, current);
  if (epochErr) return epochErr;
  for (const key of req.keys) {
    if (!keyInRange(key, r.start, r.end)) return { code: 'KeyNotInRegion', regionId: r.id, key, region: r };
  }
  if (state.merging) return { code: 'RegionBusy', regionId: r.id, reason: `merging into region ${state.merging.target.id}` };
  return undefined;
}

/**
 * The checks every admin command starts with: the epoch, then the merge freeze (a merging source
 * accepts only its rollback; a merging region cannot be a merge target either).
 */
export function checkAdmin(state: RegionState, cmd: AdminCommand): AdminError | undefined {
  const epochErr = checkEpoch(state.region, cmd.epoch, cmd.type);
  if (epochErr) return epochErr;
  if (state.merging && cmd.type !== 'rollback-merge') {
    return { code: 'RegionBusy', regionId: state.region.id, reason: `merging into region ${state.merging.target.id}` };
  }
  return undefined;
}

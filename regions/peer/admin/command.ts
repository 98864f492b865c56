// The admin commands of a region, as they sit in its Raft log, and what applying one yields.
// The apply side is a set of pure functions (split.ts, change_peer.ts, merge.ts): the region's
// state before the entry and the command in, a new state (or an error) out. Every peer of the
// region applies the same entries to the same state, so every peer reaches the same verdict: an
// admin command that fails is a result, never a crash (a bad proposal must not bring down every
// replica), and it changes nothing.
//
// Each command carries the epoch its proposer saw. check.ts says which half of the epoch each
// command checks and bumps (TiKV's AdminCmdEpochState):
//
//   command         checks            bumps
//   batch-split     version, confVer  version += number of new regions (all resulting regions)
//   change-peer     confVer           confVer += 1
//   prepare-merge   version, confVer  version += 1, confVer += 1 (source)
//   commit-merge    version, confVer  version = max(source, target) + 1 (target)
//   rollback-merge  version, confVer  version += 1 (source)
//
// Wire form: JSON, keys as hex (codec.ts). Change-peer travels inside a Raft conf-change entry
// (the command is the ConfChange's context); the others are normal entries.

import type { PeerId, Region, RegionEpoch, RegionError, RegionId, RegionPeer } from '../../../src/cluster/region.js';
import type { ConfChange } from '../../../src/raft/index.js';

/**
 * What a peer knows of its region, as of its applied index (TiKV's RegionLocalState). Durable,
 * together with the applied index.
 */
export interface RegionState {
  region: Region;
  /** Set by prepare-merge on the source: writes and other admin commands are refused. */
  merging?: MergeState;
}

export interface MergeState {
  /** The target as the proposer saw it; commit-merge is refused if the target changed since. */
  target: Region;
}

/** One new region of a split: its ID, and one peer ID per peer of the parent, in order. */
export interface SplitTarget {
  id: RegionId;
  peerIds: PeerId[];
}

export interface BatchSplit {
  type: 'batch-split';
  epoch: RegionEpoch;
  /** Sorted, distinct, strictly inside the region (never its start). */
  splitKeys: Uint8Array[];
  /** One per split key: newRegions[i] takes the range just left of splitKeys[i] (split.ts). */
  newRegions: SplitTarget[];
}

/**
 * One membership change. At most one voter changes per command, so no joint configuration is
 * needed (see change_peer.ts for why).
 */
export type PeerChange =
  | { type: 'add-learner'; peer: RegionPeer }
  | { type: 'add-voter'; peer: RegionPeer }
  | { type: 'promote-learner'; peerId: PeerId }
  | { type: 'remove-peer'; peerId: PeerId };

export interface ChangePeer {
  type: 'change-peer';
  epoch: RegionEpoch;
  change: PeerChange;
}

export interface PrepareMerge {
  type: 'prepare-merge';
  /** The source's epoch (the command is proposed to the source). */
  epoch: RegionEpoch;
  /** The target, with its epoch, as the proposer saw it. */
  target: Region;
}

export interface CommitMerge {
  type: 'commit-merge';
  /** The target's epoch (the command is proposed to the target). */
  epoch: RegionEpoch;
  /** The source's state after its prepare-merge applied (merging, frozen). */
  source: RegionState;
}

export interface RollbackMerge {
  type: 'rollback-merge';
  /** The source's epoch after its prepare-merge. */
  epoch: RegionEpoch;
}

export type AdminCommand = BatchSplit | ChangePeer | PrepareMerge | CommitMerge | RollbackMerge;
export type AdminType = AdminCommand['type'];

/** What applying an admin command changed: the input of "on apply result". */
export type AdminResult =
  | {
      type: 'batch-split';
      /** The parent, now holding the right-most range. */
      derived: RegionState;
      /** The new regions, left to right. */
      created: Region[];
    }
  | { type: 'change-peer'; state: RegionState; change: PeerChange; confChange: ConfChange }
  | { type: 'prepare-merge'; state: RegionState }
  | { type: 'commit-merge'; state: RegionState; source: Region }
  | { type: 'rollback-merge'; state: RegionState };

/** A command that is well-formed for no region (a proposer bug, refused like any other error). */
export interface InvalidAdminCommand {
  code: 'InvalidAdminCommand';
  regionId: RegionId;
  reason: string;
}

export type AdminError = RegionError | InvalidAdminCommand;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: AdminError };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function fail<T>(error: AdminError): Outcome<T> {
  return { ok: false, error };
}

export function invalid<T>(regionId: RegionId, reason: string): Outcome<T> {
  return { ok: false, error: { code: 'InvalidAdminCommand', regionId, reason } };
}

/** A deep copy: results never share arrays with their input. */
export function cloneRegion(r: Region): Region {
  const c: Region = {
    id: r.id,
    start: r.start.slice(),
    end: r.end.slice(),
    epoch: { ...r.epoch },
    peers: r.peers.map((p) => ({ ...p })),
  };
  if (r.slots) c.slots = r.slots.map(([a, b]) => [a, b] as [number, number]);
  return c;
}

export function cloneState(s: RegionState): RegionState {
  const c: RegionState = { region: cloneRegion(s.region) };
  if (s.merging) c.merging = { target: cloneRegion(s.merging.target) };
  return c;
}

// What a router asks of one region, and how a region says no. Shared by the router (src/router),
// the store's lanes (regions/lane) and the store-to-store call path; plain data, so it crosses
// threads and the wire as it is.

import type { PeerId, Region, RegionError, RegionId, RegionPeer, SlotRanges } from './region.js';
import type { DeleteRangeRequest, Event, PutRequest, RangeRequest, TxnRequest } from '../mvcc/types.js';
import type { NodeId } from '../raft/types.js';

/** What a client call asks of one region. Keys must lie inside the region (the router clips). */
export type RegionOp =
  | { op: 'range'; req: RangeRequest }
  | { op: 'put'; req: PutRequest }
  | { op: 'deleteRange'; req: DeleteRangeRequest }
  | { op: 'txn'; req: TxnRequest }
  /** Compacts the region's history below `revision` (the router sends it to every region). */
  | { op: 'compact'; revision: number }
  /** Splits the region at these keys (sorted, strictly inside); new IDs come from PD. */
  | { op: 'split'; keys: Uint8Array[]; newRegionIds: RegionId[]; newPeerIds: number[][] }
  | { op: 'transferLeader'; toPeer: NodeId }
  /**
   * The region's events in [key, rangeEnd) from revision fromRev on (a watch feed). The leader
   * answers at once if it has some, else holds the call until it has, or until its resolved
   * revision reaches `until`, or for waitMs. See RegionEvents.
   */
  | { op: 'events'; key: Uint8Array; rangeEnd: Uint8Array; fromRev: number; limit: number; waitMs: number; until: number }
  /**
   * Hash mode's slot moves (regions/peer/slot_move.ts): the source freezes the slots
   * (prepare), its leader exports their keys, the target takes keys and slots (slotsIn), and the
   * source lets them go (commit) or keeps them (abort).
   */
  | { op: 'slotsOut'; phase: 'prepare' | 'commit' | 'abort'; slots: SlotRanges; to: RegionId }
  | { op: 'exportSlots'; slots: SlotRanges }
  | { op: 'slotsIn'; slots: SlotRanges; chunks: Uint8Array[]; from: RegionId }
  /**
   * Range mode's merges (regions/store/merger.ts): freeze the source naming the target
   * (prepareMerge, at the source's leader), then the target takes the source's range
   * (commitMerge, at the target's leader), or the source thaws (rollbackMerge).
   */
  | { op: 'prepareMerge'; target: Region }
  | { op: 'commitMerge'; source: Region; target: Region }
  | { op: 'rollbackMerge' }
  /** Leases carried by keys of the region (for the lease reaper), and the keys of one lease. */
  | { op: 'leases' }
  | { op: 'leaseKeys'; id: bigint }
  /** Deletes the region's keys that carry the lease (it is gone from PD), in one revision. */
  | { op: 'revokeLease'; id: bigint }
  /** This store's peer of the region, leader or not: its region, merge state and lane. */
  | { op: 'localState' }
  /** One membership change (PD's operator steps: add learner, promote, remove). */
  | { op: 'changePeer'; change: RegionPeerChange };

/**
 * A watch feed's answer: `events` in revision order (never splitting one revision), and
 * `resolved`: every event of the asked range with a revision <= resolved is in this answer or
 * was before it, and the region will never apply a write at or below it.
 */
export interface RegionEvents {
  events: Event[];
  resolved: number;
}

/** A membership change, one voter at most (regions/peer/admin/change_peer.ts applies it). */
export type RegionPeerChange =
  | { type: 'add-learner'; peer: RegionPeer }
  | { type: 'add-voter'; peer: RegionPeer }
  | { type: 'promote-learner'; peerId: PeerId }
  | { type: 'remove-peer'; peerId: PeerId };

export type CallError = { kind: 'region'; error: RegionError } | { kind: 'etcd'; code: string; message: string };


/** A CallError as a thrown error (local lanes and remote stores both reject with it). */
export class RegionCallError extends Error {
  constructor(readonly error: CallError) {
    super(error.kind === 'etcd' ? error.message : `region error ${error.error.code}`);
    this.name = 'RegionCallError';
  }

  get regionError(): RegionError | undefined {
    return this.error.kind === 'region' ? this.error.error : undefined;
  }
}

/** What 'localState' answers. */
export interface LocalRegionState {
  region: Region;
  /** Set on a merge source between prepare and commit/rollback: the target it waits for. */
  mergingInto?: Region;
  lane: number;
  applied: number;
}

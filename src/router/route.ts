// The contract both routing tables keep (RegionCache for range mode, SlotTable for hash mode),
// and what each RegionError tells them. The router asks a table where keys live, sends the
// request, and on a RegionError feeds the error back here before it asks backoff.ts whether
// (and when) to try again:
//
//   route = table.regionsFor(start, end)      // which regions, and whether some are unknown
//   ... send, get { code: 'NotLeader', regionId: 7, leader: peer 21 } ...
//   applyRegionError(table, err)              // region 7's leader is now peer 21
//   retryAfter({ attempt, error: err, ... })  // { retry: true, delayMs: 0 }

import { assertNever } from '../util/assert.js';
import type { Region, RegionError, RegionId, RegionPeer } from '../cluster/region.js';

/**
 * Plain key bounds [start, end): an empty end is unbounded (etcd's `\0` encodings already
 * resolved, see split_request.ts rangeBounds).
 */
export interface KeySpan {
  start: Uint8Array;
  end: Uint8Array;
}

export interface Route {
  /** The regions holding the keys, in key order (range mode) or by ID (hash mode). */
  regions: Region[];
  /** False when some keys have no known region: the caller asks PD, then routes again. */
  complete: boolean;
}

export interface RouteTable {
  /** The region holding key, if known. */
  locate(key: Uint8Array): Region | undefined;
  /** Every known region holding some key of [start, end); see Route. */
  regionsFor(start: Uint8Array, end: Uint8Array): Route;
  /** Learn regions (from PD or from an error); stale ones are ignored (see each table). */
  update(regions: readonly Region[]): void;
  /** Forget a region: the next request for its keys asks PD. */
  invalidate(regionId: RegionId): void;
  /** Record the leader; false (and nothing recorded) if the region or that peer is unknown. */
  setLeader(regionId: RegionId, peer: RegionPeer): boolean;
  /** Forget the leader, so the next attempt tries another peer. */
  clearLeader(regionId: RegionId): void;
  leaderOf(regionId: RegionId): RegionPeer | undefined;
  /** The cached region with this ID. */
  get(regionId: RegionId): Region | undefined;
}

/**
 * What each error says about the table:
 *   NotLeader with a hint   → that peer leads (if it is not a peer we know, our peer list is
 *                             stale: forget the region and ask PD);
 *   NotLeader without hint  → nobody known leads (an election): forget the leader only;
 *   EpochNotMatch           → `current` are the regions now holding the keys: learn them (the
 *                             stale ones they overlap are evicted);
 *   RegionNotFound          → forget the region;
 *   KeyNotInRegion          → our range for it is wrong: forget it, learn `region` if sent;
 *   ServerIsBusy/RegionBusy → nothing about placement (backoff.ts waits).
 */
export function applyRegionError(table: RouteTable, err: RegionError): void {
  switch (err.code) {
    case 'NotLeader':
      if (err.leader === undefined) table.clearLeader(err.regionId);
      else if (!table.setLeader(err.regionId, err.leader)) table.invalidate(err.regionId);
      return;
    case 'EpochNotMatch':
      table.update(err.current);
      return;
    case 'RegionNotFound':
      table.invalidate(err.regionId);
      return;
    case 'KeyNotInRegion':
      table.invalidate(err.regionId);
      if (err.region !== undefined) table.update([err.region]);
      return;
    case 'ServerIsBusy':
    case 'RegionBusy':
      return;
    default:
      assertNever(err, 'region error');
  }
}

/** The peer of `region` with the ID of `peer`, or undefined if the region has no such peer. */
export function peerOf(region: Region, peer: RegionPeer): RegionPeer | undefined {
  return region.peers.find((p) => p.id === peer.id);
}

/** The exclusive end of the single key `key`'s range: key + "\0" (nothing sorts between them). */
export function singleKeyEnd(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1); // the last byte stays 0
  out.set(key);
  return out;
}

/** Whether [start, end) is the single key `start` (end = start + "\0"). */
export function isSingleKey(start: Uint8Array, end: Uint8Array): boolean {
  if (end.length !== start.length + 1 || end[start.length] !== 0) return false;
  for (let i = 0; i < start.length; i++) if (start[i] !== end[i]) return false;
  return true;
}

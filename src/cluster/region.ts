// Regions, the unit of sharding (see DESIGN.md, "Words"). Shared by stores (regions/), the
// placement driver (placement/) and the router (src/router): plain data, no behaviour beyond
// key-range arithmetic, so it crosses threads and the wire as it is.
//
// Range mode: a region owns the user keys k with start <= k < end (bytewise order), where an
// empty end means "to the end of the key space". Regions never overlap and together cover the
// whole key space:
//
//   [""  , "g") [ "g", "p") [ "p", "" )      three regions after two splits of the first one
//
// Hash mode: a region (a "group") owns a set of the 16,384 slots (src/router/slots.ts); its key
// range is the whole key space and `slots` lists its slot ranges.
//
// The epoch guards every request a router sends: a region that split, merged or changed its
// peers since the router cached it answers EpochNotMatch, with its current shape.
//   - confVer grows by one on every membership change (add/remove a peer, promote a learner);
//   - version grows by one on every split or merge (and on slot moves in hash mode).
// Both only grow. A region created by a split starts at the parent's new epoch.

/** Region IDs, store IDs and peer IDs come from PD's ID allocator: unique for the cluster's life. */
export type RegionId = number & { readonly __brand: 'RegionId' };
export type StoreId = number & { readonly __brand: 'StoreId' };
/** A peer's ID is also its Raft node ID inside the region's group. */
export type PeerId = number & { readonly __brand: 'PeerId' };

export interface RegionEpoch {
  confVer: number;
  version: number;
}

export type PeerRole = 'voter' | 'learner';

export interface RegionPeer {
  id: PeerId;
  storeId: StoreId;
  role: PeerRole;
}

/** Inclusive slot ranges [from, to], sorted and disjoint (hash mode). */
export type SlotRanges = Array<[number, number]>;

export interface Region {
  id: RegionId;
  /** First key owned (inclusive); empty = the start of the key space. */
  start: Uint8Array;
  /** First key not owned; empty = the end of the key space. */
  end: Uint8Array;
  epoch: RegionEpoch;
  peers: RegionPeer[];
  /** Hash mode only: the slots this group owns (start and end are then both empty). */
  slots?: SlotRanges;
}

const emptyKey = new Uint8Array(0);

/** Bytewise comparison, as etcd orders keys. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Whether key lies in [start, end) (an empty end is unbounded). */
export function keyInRange(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  return compareKeys(key, start) >= 0 && (end.length === 0 || compareKeys(key, end) < 0);
}

/** Whether the region's key range holds key (range mode). */
export function regionHoldsKey(r: Region, key: Uint8Array): boolean {
  return keyInRange(key, r.start, r.end);
}

/**
 * The part of [start, end) inside the region, or undefined if they do not meet. `end` follows
 * etcd's range encoding already resolved to a plain bound: empty = unbounded.
 */
export function clipToRegion(r: Region, start: Uint8Array, end: Uint8Array): { start: Uint8Array; end: Uint8Array } | undefined {
  const s = compareKeys(start, r.start) >= 0 ? start : r.start;
  let e: Uint8Array;
  if (end.length === 0) e = r.end;
  else if (r.end.length === 0) e = end;
  else e = compareKeys(end, r.end) <= 0 ? end : r.end;
  if (e.length !== 0 && compareKeys(s, e) >= 0) return undefined;
  return { start: s, end: e };
}

/** a is at least as new as b in both parts of the epoch. */
export function epochAtLeast(a: RegionEpoch, b: RegionEpoch): boolean {
  return a.confVer >= b.confVer && a.version >= b.version;
}

export function epochEquals(a: RegionEpoch, b: RegionEpoch): boolean {
  return a.confVer === b.confVer && a.version === b.version;
}

/** The single region of the unsharded mode (and the first region of a new range-mode cluster). */
export function wholeKeySpace(id: RegionId, peers: RegionPeer[]): Region {
  return { id, start: emptyKey, end: emptyKey, epoch: { confVer: 1, version: 1 }, peers };
}

/** Printable form of a key for logs, `ctl regions` and errors: UTF-8 when printable, else hex. */
export function showKey(key: Uint8Array): string {
  if (key.length === 0) return '""';
  for (const b of key) if (b < 0x20 || b > 0x7e) return `0x${Buffer.from(key).toString('hex')}`;
  return JSON.stringify(Buffer.from(key).toString('latin1'));
}

// ---- Routing errors -------------------------------------------------------------------------
// What a region peer answers when it cannot serve a request. They are internal: the router
// retries on every one of them (see src/router), so no client ever sees one for a request it is
// allowed to make. They cross threads and the wire as plain objects.

export type RegionError =
  /** This peer is not the leader; `leader` is the one it knows of, if any. */
  | { code: 'NotLeader'; regionId: RegionId; leader?: RegionPeer }
  /** The request's epoch is stale: `current` are the regions that now hold its keys. */
  | { code: 'EpochNotMatch'; current: Region[] }
  /** No peer of this region on this store (moved away, merged, or not created yet). */
  | { code: 'RegionNotFound'; regionId: RegionId }
  /** The key is outside the region (the router's cache is stale without an epoch to prove it). */
  | { code: 'KeyNotInRegion'; regionId: RegionId; key: Uint8Array; region?: Region }
  /** Too much work queued; retry after a backoff. */
  | { code: 'ServerIsBusy'; reason: string }
  /** The region is being split, merged or moved; retry after a backoff. */
  | { code: 'RegionBusy'; regionId: RegionId; reason: string };

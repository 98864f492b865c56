// RegionCache: the regions a store's router knows in range mode, and their leaders. Filled from
// PD and corrected by the errors regions answer (route.ts); never asks anyone itself.
//
// The cache holds disjoint regions sorted by start key; it need not cover the key space. Keys
// between cached regions are "gaps" the caller fills by asking PD:
//
//   cached:   [""  , "g")            [ "p", "")
//   locate("c") = region [""  , "g")
//   locate("k") = undefined                          (a gap: ask PD)
//   regionsFor("e", "r") = [""  , "g"), [ "p", "")  complete: false, gaps: [["g", "p")]
//
// update() takes regions from PD or from EpochNotMatch; a region newer than what it overlaps
// evicts every cached region it overlaps, so the cache never holds two owners for a key:
//
//   cached:   1:[""  , "") v1                    split of region 1 at "m" (new region 2):
//   update(1:[""  , "m") v2, 2:["m", "") v2)  →  1:[""  , "m") v2, 2:["m", "") v2
//   update(1:[""  , "") v1)                   →  unchanged (region 1's epoch is older)
//
//   cached:   1:[""  , "m") v2, 2:["m", "") v2   merge of 2 into 1:
//   update(1:[""  , "") v3)                   →  1:[""  , "") v3 (2 evicted: it overlaps)
//   update(2:["m", "") v2)                    →  unchanged (it overlaps 1, which is at v3)
//
// Staleness across regions compares `version` alone: a split gives both halves the parent's
// new version, and a merge leaves the merged region above both sources' versions (TiKV: max + 1).
// NB: that is a contract on regions/ (split and merge); if a merge ever left the merged region
// at or below a source's version, a stale source could be re-inserted here until its next
// EpochNotMatch, which costs a retry, never a wrong answer (every request carries its epoch).
//
// Lookups are binary searches over the sorted array, O(log n); update and invalidate splice,
// O(n) moves, which for the ~1e5 regions of a large cluster is still microseconds.

import { assert } from '../util/assert.js';
import {
  compareKeys,
  epochAtLeast,
  regionHoldsKey,
  showKey,
  type Region,
  type RegionError,
  type RegionId,
  type RegionPeer,
} from '../cluster/region.js';
import { applyRegionError, peerOf, singleKeyEnd, type KeySpan, type Route, type RouteTable } from './route.js';

interface Entry {
  region: Region;
  leader: RegionPeer | undefined;
}

export interface RangeRoute extends Route {
  /** The parts of the asked range no cached region holds, in key order. */
  gaps: KeySpan[];
}

export class RegionCache implements RouteTable {
  /** Disjoint, sorted by start key. */
  private readonly sorted: Entry[] = [];
  private readonly byId = new Map<RegionId, Entry>();

  constructor(regions: readonly Region[] = []) {
    this.update(regions);
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Every cached region, in key order. */
  regions(): Region[] {
    return this.sorted.map((e) => e.region);
  }

  get(regionId: RegionId): Region | undefined {
    return this.byId.get(regionId)?.region;
  }

  locate(key: Uint8Array): Region | undefined {
    const i = this.lastStartingAtOrBefore(key);
    if (i < 0) return undefined;
    const r = this.sorted[i]!.region;
    return regionHoldsKey(r, key) ? r : undefined;
  }

  /**
   * The cached regions meeting [start, end) in key order, and the gaps between them. An empty
   * range (end <= start, e.g. etcd's key "b" with range_end "a") is routed as the single key
   * `start`, so the caller still gets one region to answer it with a header revision.
   */
  regionsFor(start: Uint8Array, end: Uint8Array): RangeRoute {
    if (end.length !== 0 && compareKeys(end, start) <= 0) end = singleKeyEnd(start);
    const regions: Region[] = [];
    const gaps: KeySpan[] = [];
    // `covered`: every key of [start, covered) is accounted for; undefined = all of them.
    let covered: Uint8Array | undefined = start;
    for (let i = this.firstMeeting(start); i < this.sorted.length && covered !== undefined; i++) {
      const r = this.sorted[i]!.region;
      if (end.length !== 0 && compareKeys(r.start, end) >= 0) break;
      if (compareKeys(r.start, covered) > 0) gaps.push({ start: covered, end: r.start });
      regions.push(r);
      covered = r.end.length === 0 || (end.length !== 0 && compareKeys(r.end, end) >= 0) ? undefined : r.end;
    }
    if (covered !== undefined) gaps.push({ start: covered, end });
    return { regions, complete: gaps.length === 0, gaps };
  }

  /**
   * Learns regions. One is ignored if the cache knows its ID at an epoch it is not at least as
   * new as, or if it overlaps a cached region of a higher version; otherwise it replaces its
   * own ID's entry and evicts every region it overlaps. The known leader is kept if it is still
   * one of the region's peers.
   */
  update(regions: readonly Region[]): void {
    for (const r of regions) this.insert(r);
  }

  invalidate(regionId: RegionId): void {
    const e = this.byId.get(regionId);
    if (e === undefined) return;
    this.sorted.splice(this.indexOf(e), 1);
    this.byId.delete(regionId);
  }

  setLeader(regionId: RegionId, peer: RegionPeer): boolean {
    const e = this.byId.get(regionId);
    const known = e === undefined ? undefined : peerOf(e.region, peer);
    if (known === undefined) return false;
    e!.leader = known;
    return true;
  }

  clearLeader(regionId: RegionId): void {
    const e = this.byId.get(regionId);
    if (e !== undefined) e.leader = undefined;
  }

  leaderOf(regionId: RegionId): RegionPeer | undefined {
    return this.byId.get(regionId)?.leader;
  }

  /** Applies what a region's error says about placement (see route.ts applyRegionError). */
  onError(err: RegionError): void {
    applyRegionError(this, err);
  }

  /** Asserts the cache's invariants (for tests and the simulator). */
  check(): void {
    assert(this.byId.size === this.sorted.length, 'region cache: index and array disagree');
    for (let i = 0; i < this.sorted.length; i++) {
      const e = this.sorted[i]!;
      assert(this.byId.get(e.region.id) === e, `region cache: region ${e.region.id} missing from the index`);
      if (i === 0) continue;
      const prev = this.sorted[i - 1]!.region;
      assert(prev.end.length !== 0 && compareKeys(prev.end, e.region.start) <= 0, `region cache: region ${prev.id} overlaps region ${e.region.id}`);
    }
  }

  // ---- internals ----

  private insert(r: Region): void {
    assert(r.slots === undefined, `region cache: region ${r.id} is a hash-mode group`);
    assert(r.end.length === 0 || compareKeys(r.start, r.end) < 0, `region cache: region ${r.id} has start ${showKey(r.start)} >= end ${showKey(r.end)}`);
    const same = this.byId.get(r.id);
    if (same !== undefined && !epochAtLeast(r.epoch, same.region.epoch)) return;
    const { lo, hi } = this.overlapping(r);
    for (let i = lo; i < hi; i++) {
      const o = this.sorted[i]!.region;
      if (o.id !== r.id && o.epoch.version > r.epoch.version) return;
    }
    const leader = same?.leader === undefined ? undefined : peerOf(r, same.leader);
    if (same !== undefined) this.invalidate(r.id);
    // Removing `same` may have shifted the overlap (it may have sat before or inside it).
    const at = this.overlapping(r);
    for (let i = at.lo; i < at.hi; i++) this.byId.delete(this.sorted[i]!.region.id);
    const e: Entry = { region: r, leader };
    this.sorted.splice(at.lo, at.hi - at.lo, e);
    this.byId.set(r.id, e);
  }

  /** The index range [lo, hi) of the cached regions meeting r's range. */
  private overlapping(r: Region): { lo: number; hi: number } {
    const lo = this.firstMeeting(r.start);
    const hi = r.end.length === 0 ? this.sorted.length : this.lastStartingAtOrBefore(r.end, true) + 1;
    return { lo, hi: Math.max(lo, hi) };
  }

  /** Index of the first region ending after key (so meeting [key, ...)), or sorted.length. */
  private firstMeeting(key: Uint8Array): number {
    const i = this.lastStartingAtOrBefore(key);
    if (i < 0) return 0;
    const end = this.sorted[i]!.region.end;
    return end.length === 0 || compareKeys(end, key) > 0 ? i : i + 1;
  }

  /**
   * Index of the last region starting at or before key (strictly before with `strict`), or -1.
   * E.g. starts ["", "g", "p"]: key "k" → 1, key "g" → 1, key "g" strict → 0.
   */
  private lastStartingAtOrBefore(key: Uint8Array, strict = false): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(this.sorted[mid]!.region.start, key);
      if (c < 0 || (c === 0 && !strict)) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private indexOf(e: Entry): number {
    const i = this.lastStartingAtOrBefore(e.region.start);
    assert(i >= 0 && this.sorted[i] === e, `region cache: region ${e.region.id} not at its place`);
    return i;
  }
}

// SlotTable: hash mode's routing table. Every key hashes to one of 16,384 slots (slots.ts);
// every slot belongs to one group (a Region whose `slots` lists its SlotRanges). The table maps
// slot → group ID in an Int32Array (64 KiB), -1 for a slot whose owner is unknown:
//
//   groups 1: [[0, 8191]], 2: [[8192, 16383]]
//   locate("foo") = slotOf("foo") = 12182 → group 2
//   regionsFor("a", "b") = [1, 2]           a range scatters to every group
//   regionsFor("foo", "foo\0") = [2]        a single key goes to its slot's group
//
// update() follows the region cache's epoch rules (region_cache.ts), with "overlap" meaning
// "claims a slot another group holds": a group is ignored if its ID is cached at a newer epoch
// or a group holding one of its slots has a higher version; otherwise it evicts every group it
// overlaps, whose other slots become unowned until PD (or an EpochNotMatch) says who has them:
//
//   cached 1: [[0, 8191]] v4, 2: [[8192, 16383]] v4;  slots 0-99 move from 1 to 3:
//   update(3: [[0, 99]] v5)       → 1 evicted: slots 100-8191 unowned, route incomplete
//   update(1: [[100, 8191]] v5)   → every slot owned again
//
// NB: versions are compared across groups, so a slot move must leave the receiving group's
// version above the giving group's old one (like Redis Cluster's configEpoch bump). Were it
// not, a fresh claim could be ignored until the giver's new epoch arrives: a retry, never a
// wrong answer, since every request carries its group's epoch.

import { assert } from '../util/assert.js';
import { compareKeys, epochAtLeast, type Region, type RegionError, type RegionId, type RegionPeer, type SlotRanges } from '../cluster/region.js';
import { applyRegionError, isSingleKey, peerOf, type Route, type RouteTable } from './route.js';
import { slotCount, slotOf } from './slots.js';

export interface SlotRoute extends Route {
  /** Slots no known group owns (a range needs every slot; a single key only its own). */
  unownedSlots: SlotRanges;
}

const unowned = -1;

export class SlotTable implements RouteTable {
  private readonly owners = new Int32Array(slotCount).fill(unowned);
  private readonly groups = new Map<RegionId, Region>();
  private readonly leaders = new Map<RegionId, RegionPeer>();
  private unownedCount = slotCount;

  constructor(groups: readonly Region[] = []) {
    this.update(groups);
  }

  /** The group owning `slot`, if known. */
  ownerOf(slot: number): RegionId | undefined {
    assert(Number.isInteger(slot) && slot >= 0 && slot < slotCount, `slot ${slot} out of range`);
    const id = this.owners[slot]!;
    return id === unowned ? undefined : (id as RegionId);
  }

  get(groupId: RegionId): Region | undefined {
    return this.groups.get(groupId);
  }

  /** Every known group, by ID. */
  regions(): Region[] {
    return [...this.groups.values()].sort((a, b) => a.id - b.id);
  }

  locate(key: Uint8Array): Region | undefined {
    const id = this.owners[slotOf(key)]!;
    return id === unowned ? undefined : this.groups.get(id as RegionId);
  }

  /**
   * A single key [k, k + "\0") (or an empty range, routed as its start key, see region_cache.ts)
   * goes to its slot's group; any other range to every group, since hashing scatters its keys.
   */
  regionsFor(start: Uint8Array, end: Uint8Array): SlotRoute {
    const empty = end.length !== 0 && compareKeys(end, start) <= 0;
    if (empty || isSingleKey(start, end)) {
      const slot = slotOf(start);
      const g = this.locate(start);
      return g === undefined ? { regions: [], complete: false, unownedSlots: [[slot, slot]] } : { regions: [g], complete: true, unownedSlots: [] };
    }
    return { regions: this.regions(), complete: this.unownedCount === 0, unownedSlots: this.unownedCount === 0 ? [] : this.unownedSlots() };
  }

  /** Runs of slots with no known owner, e.g. [[100, 8191]]. */
  unownedSlots(): SlotRanges {
    return runsOf(this.owners, unowned);
  }

  update(groups: readonly Region[]): void {
    for (const g of groups) this.insert(g);
  }

  invalidate(groupId: RegionId): void {
    const g = this.groups.get(groupId);
    if (g === undefined) return;
    for (const [from, to] of g.slots!) {
      for (let s = from; s <= to; s++) {
        assert(this.owners[s] === g.id, `slot table: slot ${s} of group ${g.id} owned by ${this.owners[s]}`);
        this.owners[s] = unowned;
      }
      this.unownedCount += to - from + 1;
    }
    this.groups.delete(groupId);
    this.leaders.delete(groupId);
  }

  setLeader(groupId: RegionId, peer: RegionPeer): boolean {
    const g = this.groups.get(groupId);
    const known = g === undefined ? undefined : peerOf(g, peer);
    if (known === undefined) return false;
    this.leaders.set(groupId, known);
    return true;
  }

  clearLeader(groupId: RegionId): void {
    this.leaders.delete(groupId);
  }

  leaderOf(groupId: RegionId): RegionPeer | undefined {
    return this.leaders.get(groupId);
  }

  onError(err: RegionError): void {
    applyRegionError(this, err);
  }

  /** Asserts the table's invariants (for tests and the simulator). */
  check(): void {
    let owned = 0;
    for (const g of this.groups.values()) {
      for (const [from, to] of g.slots!) {
        for (let s = from; s <= to; s++) assert(this.owners[s] === g.id, `slot table: slot ${s} of group ${g.id} owned by ${this.owners[s]}`);
        owned += to - from + 1;
      }
    }
    assert(owned + this.unownedCount === slotCount, `slot table: ${owned} owned + ${this.unownedCount} unowned != ${slotCount}`);
  }

  // ---- internals ----

  private insert(g: Region): void {
    assert(g.slots !== undefined, `slot table: region ${g.id} has no slots (a range-mode region?)`);
    checkSlotRanges(g.slots, `group ${g.id}`);
    const same = this.groups.get(g.id);
    if (same !== undefined && !epochAtLeast(g.epoch, same.epoch)) return;
    const overlapped = new Set<RegionId>();
    for (const [from, to] of g.slots) {
      for (let s = from; s <= to; s++) {
        const o = this.owners[s]!;
        if (o !== unowned && o !== g.id) overlapped.add(o as RegionId);
      }
    }
    for (const o of overlapped) if (this.groups.get(o)!.epoch.version > g.epoch.version) return;
    const leader = same === undefined ? undefined : this.leaders.get(g.id);
    this.invalidate(g.id);
    for (const o of overlapped) this.invalidate(o);
    for (const [from, to] of g.slots) {
      this.owners.fill(g.id, from, to + 1);
      this.unownedCount -= to - from + 1;
    }
    this.groups.set(g.id, g);
    const kept = leader === undefined ? undefined : peerOf(g, leader);
    if (kept !== undefined) this.leaders.set(g.id, kept);
  }
}

/** Asserts ranges are [from, to] pairs inside the slot space, sorted and disjoint. */
export function checkSlotRanges(ranges: SlotRanges, what: string): void {
  let next = 0;
  for (const [from, to] of ranges) {
    assert(Number.isInteger(from) && Number.isInteger(to) && from >= next && from <= to && to < slotCount, `${what}: bad slot ranges ${JSON.stringify(ranges)}`);
    next = to + 1;
  }
}

/** Runs [from, to] of consecutive slots whose owner is `id`, e.g. owners [5, 5, 7, 5], id 5 → [[0, 1], [3, 3]]. */
export function runsOf(owners: Int32Array, id: number): SlotRanges {
  const out: SlotRanges = [];
  for (let s = 0; s < owners.length; s++) {
    if (owners[s] !== id) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === s - 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

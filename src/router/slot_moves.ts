// planSlotMoves: which slot ranges to move so that every group owns the same number of slots,
// within one, when groups are added or removed (hash mode's rebalancing, a pure function of a
// frozen table like PD's schedulers; the caller turns each move into a migration).
//
// Each target group gets a quota of floor(16384 / n) slots, and 16384 mod n of them one more.
// A slot stays put if its owner is a target group still under its quota; every other slot
// (owned by a group being removed, beyond its owner's quota, or unowned) moves to a group
// below its quota. That moves the fewest slots possible: a group keeps min(count, quota), and
// the extra slots go to the groups holding the most, whose counts reach quota + 1 first (the
// only groups for which the extra slot saves a move).
//
//   groups 1, 2, 3 own 5462, 5461, 5461 (0-5461, 5462-10922, 10923-16383); add group 4:
//   quotas 4096 each; 1 gives 5462-4096 = 1366 slots, 2 and 3 give 1365 each, 4096 moves in all:
//     4096-5461 → 4,  9558-10922 → 4,  15019-16383 → 4
//   (a group keeps its lowest slots and gives its highest, so ranges stay few and long).

import { assert } from '../util/assert.js';
import type { RegionId } from '../cluster/region.js';
import { slotCount } from './slots.js';

export interface SlotMove {
  /** Inclusive slot range. */
  slots: [number, number];
  /** The group giving the slots; undefined for slots nobody owns yet. */
  from: RegionId | undefined;
  to: RegionId;
}

/** What the plan reads of a table (SlotTable has it). */
export interface SlotOwnership {
  ownerOf(slot: number): RegionId | undefined;
}

/**
 * The moves that balance `table` over `targetGroups`. `groups` are the groups that exist now;
 * a slot owned by any other group means the snapshot is torn (an assertion).
 */
export function planSlotMoves(table: SlotOwnership, groups: readonly RegionId[], targetGroups: readonly RegionId[]): SlotMove[] {
  assert(targetGroups.length > 0 && targetGroups.length <= slotCount, `planSlotMoves: ${targetGroups.length} target groups`);
  assert(new Set(targetGroups).size === targetGroups.length, 'planSlotMoves: duplicate target groups');
  const known = new Set(groups);
  const owners = new Array<RegionId | undefined>(slotCount);
  const counts = new Map<RegionId, number>(targetGroups.map((g) => [g, 0]));
  for (let s = 0; s < slotCount; s++) {
    const o = table.ownerOf(s);
    assert(o === undefined || known.has(o), `planSlotMoves: slot ${s} owned by group ${o}, which is not among the groups`);
    owners[s] = o;
    if (o !== undefined && counts.has(o)) counts.set(o, counts.get(o)! + 1);
  }

  const quotas = quotasFor(targetGroups, counts);
  const kept = new Map<RegionId, number>(targetGroups.map((g) => [g, 0]));
  const freed: number[] = [];
  for (let s = 0; s < slotCount; s++) {
    const o = owners[s];
    if (o !== undefined && quotas.has(o) && kept.get(o)! < quotas.get(o)!) kept.set(o, kept.get(o)! + 1);
    else freed.push(s);
  }

  const moves: SlotMove[] = [];
  let next = 0;
  for (const g of targetGroups) {
    for (let need = quotas.get(g)! - kept.get(g)!; need > 0; need--) {
      const s = freed[next++]!;
      addMove(moves, s, owners[s], g);
    }
  }
  assert(next === freed.length, `planSlotMoves: ${freed.length - next} freed slots left without a group`);
  return moves;
}

/** Applies moves to a slot → group array (-1 = unowned), checking each move's giver. */
export function applySlotMoves(owners: Int32Array, moves: readonly SlotMove[]): void {
  for (const m of moves) {
    for (let s = m.slots[0]; s <= m.slots[1]; s++) {
      assert(owners[s] === (m.from ?? -1), `applySlotMoves: slot ${s} is owned by ${owners[s]}, not ${m.from}`);
      owners[s] = m.to;
    }
  }
}

/** floor(16384 / n) each, plus one for the 16384 mod n groups holding the most (ties: lower ID). */
function quotasFor(targets: readonly RegionId[], counts: Map<RegionId, number>): Map<RegionId, number> {
  const base = Math.floor(slotCount / targets.length);
  const extra = slotCount % targets.length;
  const byCount = [...targets].sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
  return new Map(byCount.map((g, i) => [g, base + (i < extra ? 1 : 0)]));
}

/** Appends slot s, extending the last move when it continues it. */
function addMove(moves: SlotMove[], s: number, from: RegionId | undefined, to: RegionId): void {
  const last = moves[moves.length - 1];
  if (last !== undefined && last.to === to && last.from === from && last.slots[1] === s - 1) last.slots[1] = s;
  else moves.push({ slots: [s, s], from, to });
}

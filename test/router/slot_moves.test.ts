// planSlotMoves: after the plan every slot has exactly one owner among the target groups, the
// counts are within one of each other, and no more slots move than must.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegionId } from '../../src/cluster/region.js';
import { applySlotMoves, planSlotMoves, type SlotOwnership } from '../../src/router/slot_moves.js';
import { SlotTable } from '../../src/router/slot_table.js';
import { slotCount } from '../../src/router/slots.js';
import { Prng } from '../../src/util/prng.js';
import { group, rid } from './helpers.js';

const ownership = (owners: Int32Array): SlotOwnership => ({ ownerOf: (s) => (owners[s] === -1 ? undefined : (owners[s] as RegionId)) });

function countsOf(owners: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const o of owners) m.set(o, (m.get(o) ?? 0) + 1);
  return m;
}

/**
 * The fewest slots any balancing must move. Each target keeps at most floor(16384 / n) of its
 * slots, and 16384 mod n of them may keep one more: only those holding more than the floor gain.
 */
function movesAtLeast(owners: Int32Array, targets: readonly number[]): number {
  const counts = countsOf(owners);
  const base = Math.floor(slotCount / targets.length);
  const extra = slotCount % targets.length;
  let kept = 0;
  let above = 0;
  for (const g of targets) {
    const c = counts.get(g) ?? 0;
    kept += Math.min(c, base);
    if (c > base) above++;
  }
  return slotCount - kept - Math.min(extra, above);
}

function checkBalanced(owners: Int32Array, targets: readonly number[]): void {
  const counts = countsOf(owners);
  assert.equal(counts.has(-1), false, 'every slot owned');
  for (const o of counts.keys()) assert.ok(targets.includes(o), `slot owned by ${o}, not a target`);
  const c = targets.map((g) => counts.get(g) ?? 0);
  assert.ok(Math.max(...c) - Math.min(...c) <= 1, `counts ${c.join(', ')}`);
}

test('adding a fourth group to three moves 4096 slots, the tail of each old group', () => {
  const table = new SlotTable([group(1, [[0, 5461]]), group(2, [[5462, 10922]]), group(3, [[10923, 16383]])]);
  const moves = planSlotMoves(table, [rid(1), rid(2), rid(3)], [rid(1), rid(2), rid(3), rid(4)]);
  assert.deepEqual(moves, [
    { slots: [4096, 5461], from: 1, to: 4 },
    { slots: [9558, 10922], from: 2, to: 4 },
    { slots: [15019, 16383], from: 3, to: 4 },
  ]);
});

test('removing a group moves exactly its slots, shared among the rest', () => {
  const table = new SlotTable([group(1, [[0, 5461]]), group(2, [[5462, 10922]]), group(3, [[10923, 16383]])]);
  const moves = planSlotMoves(table, [rid(1), rid(2), rid(3)], [rid(1), rid(3)]);
  assert.ok(moves.every((m) => m.from === 2));
  assert.equal(moves.reduce((n, m) => n + m.slots[1] - m.slots[0] + 1, 0), 5461);
});

test('a balanced table needs no moves, and an empty one is dealt out in runs', () => {
  const table = new SlotTable([group(1, [[0, 8191]]), group(2, [[8192, 16383]])]);
  assert.deepEqual(planSlotMoves(table, [rid(1), rid(2)], [rid(1), rid(2)]), []);
  assert.deepEqual(planSlotMoves(new SlotTable(), [], [rid(7), rid(8), rid(9)]), [
    { slots: [0, 5461], from: undefined, to: 7 },
    { slots: [5462, 10922], from: undefined, to: 8 },
    { slots: [10923, 16383], from: undefined, to: 9 },
  ]);
});

test('rejects a table naming a group the caller does not know', () => {
  const table = new SlotTable([group(1, [[0, 16383]])]);
  assert.throws(() => planSlotMoves(table, [rid(2)], [rid(2)]), /not among the groups/);
});

test('random tables and group changes end balanced, every slot owned once, with the fewest moves', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Prng(seed);
    const owners = new Int32Array(slotCount);
    const groups = Array.from({ length: 1 + rng.int(6) }, (_, i) => i + 1);
    // Runs of random length to random owners, some slots unowned.
    for (let s = 0; s < slotCount; ) {
      const len = 1 + rng.int(3000);
      const o = rng.int(10) === 0 ? -1 : groups[rng.int(groups.length)]!;
      owners.fill(o, s, s + len);
      s += len;
    }
    const keep = groups.filter(() => rng.int(3) > 0);
    const added = Array.from({ length: rng.int(4) }, (_, i) => 100 + i);
    const targets = [...keep, ...added];
    if (targets.length === 0) targets.push(200);
    const moves = planSlotMoves(ownership(owners), groups as RegionId[], targets as RegionId[]);
    const moved = moves.reduce((n, m) => n + m.slots[1] - m.slots[0] + 1, 0);
    assert.equal(moved, movesAtLeast(owners, targets), `seed ${seed}: slots moved`);
    applySlotMoves(owners, moves);
    checkBalanced(owners, targets);
  }
});

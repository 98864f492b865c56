import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceLeader } from '../../placement/schedulers/balance_leader.js';
import { cluster, config, env, region, store } from './fixtures.js';

/** Leaders: store 1 leads `n1` regions, store 2 `n2`, store 3 `n3`; every region on 1, 2, 3. */
function leaders(n1: number, n2: number, n3: number) {
  const regions = [];
  let id = 1;
  for (const [s, n] of [[1, n1], [2, n2], [3, n3]] as const) for (let i = 0; i < n; i++) regions.push(region(id++, [1, 2, 3], { leader: s }));
  return regions;
}

test('moves leaders from the store with most to the one with fewest until the gap is within tolerance', () => {
  const snap = cluster({ stores: [1, 2, 3], regions: leaders(6, 2, 4) });
  const ops = balanceLeader(snap, config({ balanceGapMin: 1, balanceGapRatio: 0 }), env());
  assert.deepEqual(
    ops.map((o) => [snap.regions.get(o.regionId)!.leader! % 100, (o.steps[0] as { toStore: number }).toStore]),
    [
      [1, 2],
      [1, 2],
    ],
  );
});

test('does nothing within tolerance', () => {
  const snap = cluster({ stores: [1, 2, 3], regions: leaders(5, 4, 4) });
  assert.deepEqual(balanceLeader(snap, config({ balanceGapMin: 1, balanceGapRatio: 0 }), env()), []);
  const wide = cluster({ stores: [1, 2, 3], regions: leaders(6, 2, 4) });
  assert.deepEqual(balanceLeader(wide, config({ balanceGapMin: 4, balanceGapRatio: 0 }), env()), []);
});

test('tries the next store when the emptiest holds no follower of the busiest store\'s regions', () => {
  // Store 4 leads nothing and holds no peer of store 1's regions; store 2 does.
  const regions = [1, 2, 3, 4, 5].map((i) => region(i, [1, 2, 3], { leader: 1 }));
  regions.push(region(9, [4, 2, 3], { leader: 4 }));
  const snap = cluster({ stores: [1, 2, 3, 4], regions });
  const ops = balanceLeader(snap, config({ balanceGapMin: 1, balanceGapRatio: 0 }), env());
  assert.ok(ops.length > 0);
  for (const o of ops) assert.notEqual((o.steps[0] as { toStore: number }).toStore, 4);
});

test('leaves hot regions, busy regions and stores that are not up alone', () => {
  const snap = cluster({
    stores: [1, 2, store(3, { ageMs: 60_000 })],
    regions: [region(1, [1, 2, 3], { writeQps: 5000 }), region(2, [1, 2, 3]), region(3, [1, 2, 3]), region(4, [1, 2, 3])],
  });
  // Store 3 is disconnected: the regions are not healthy, nothing moves.
  assert.deepEqual(balanceLeader(snap, config(), env()), []);
  const up = cluster({ stores: [1, 2, 3], regions: [region(1, [1, 2, 3], { writeQps: 5000 }), region(2, [1, 2, 3]), region(3, [1, 2, 3])] });
  const ops = balanceLeader(up, config({ balanceGapMin: 1, balanceGapRatio: 0 }), env({ busy: [2] }));
  assert.deepEqual(ops.map((o) => o.regionId), [3]);
});

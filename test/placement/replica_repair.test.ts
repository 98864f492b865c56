import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicaRepair } from '../../placement/schedulers/replica_repair.js';
import { cluster, config, env, GiB, pid, region, sid, store, storesOf } from './fixtures.js';

const down = (id: number) => store(id, { ageMs: 3_600_000 });

test('3 stores up, one down: adds a learner on the one remaining candidate, promotes it, removes the dead peer', () => {
  // Region 7 on 1 (leader), 2, 3; store 3 is down; store 4 is the only other up store.
  const snap = cluster({ stores: [1, 2, down(3), 4], regions: [region(7, [1, 2, 3])] });
  const ops = replicaRepair(snap, config(), env());
  assert.equal(ops.length, 1);
  const [op] = ops;
  assert.equal(op!.kind, 'replica-repair');
  assert.deepEqual(op!.steps, [
    { type: 'AddLearner', storeId: sid(4), peerId: pid(10_000) },
    { type: 'PromoteLearner', peerId: pid(10_000) },
    { type: 'RemovePeer', storeId: sid(3) },
  ]);
});

test('picks the up store with the fewest regions that holds no peer of the region and has space', () => {
  const snap = cluster({
    stores: [1, 2, down(3), 4, 5, store(6, { availableBytes: 10 * GiB })],
    regions: [
      region(7, [1, 2, 3]),
      region(8, [4, 1, 2]), // store 4 holds one region, store 5 none, store 6 none but is nearly full
    ],
  });
  const [op] = replicaRepair(snap, config(), env());
  assert.deepEqual(op!.steps[0], { type: 'AddLearner', storeId: sid(5), peerId: pid(10_000) });
});

test('a disconnected store is neither repaired away from nor given a new peer', () => {
  const snap = cluster({ stores: [1, 2, store(3, { ageMs: 60_000 }), store(4, { ageMs: 60_000 })], regions: [region(7, [1, 2, 3])] });
  assert.deepEqual(replicaRepair(snap, config(), env()), []);
});

test('waits when no store can take the replacement, and when the leader is on a dead store', () => {
  assert.deepEqual(replicaRepair(cluster({ stores: [1, 2, down(3)], regions: [region(7, [1, 2, 3])] }), config(), env()), []);
  assert.deepEqual(replicaRepair(cluster({ stores: [down(1), 2, 3, 4], regions: [region(7, [1, 2, 3], { leader: 1 })] }), config(), env()), []);
});

test('adds a voter to a region short of replicas, removes an extra follower, and cleans up stray learners', () => {
  const snap = cluster({
    stores: [1, 2, 3, 4, 5],
    regions: [
      region(1, [1, 2]),
      region(2, [1, 2, 3, 4]),
      region(3, [1, 2, 3], { learners: [4] }),
      region(4, [1, 2], { learners: [4] }),
    ],
  });
  const ops = replicaRepair(snap, config(), env());
  const byRegion = new Map(ops.map((o) => [o.regionId as number, o.steps]));
  assert.deepEqual(byRegion.get(1)!.map((s) => s.type), ['AddLearner', 'PromoteLearner']);
  const extra = byRegion.get(2)!;
  assert.equal(extra.length, 1);
  assert.equal(extra[0]!.type, 'RemovePeer');
  assert.notEqual((extra[0] as { storeId: number }).storeId, 1, 'never the leader');
  assert.deepEqual(byRegion.get(3), [{ type: 'RemovePeer', storeId: sid(4) }]);
  assert.deepEqual(byRegion.get(4), [{ type: 'PromoteLearner', peerId: pid(404) }]);
});

test('a down voter is replaced by the region\'s live learner when it has one', () => {
  const snap = cluster({ stores: [1, 2, down(3), 4, 5], regions: [region(7, [1, 2, 3], { learners: [4] })] });
  const [op] = replicaRepair(snap, config(), env());
  assert.deepEqual(op!.steps, [
    { type: 'PromoteLearner', peerId: pid(704) },
    { type: 'RemovePeer', storeId: sid(3) },
  ]);
});

test('never puts two peers of one region on one store, and repairs the worst regions first', () => {
  // Regions 1..6 each lose one voter to store 5; region 9 loses two (down 5 and 6).
  const regions = [1, 2, 3, 4, 5, 6].map((i) => region(i, [1 + (i % 4), 1 + ((i + 1) % 4), 5]));
  regions.push(region(9, [1, 5, 6]));
  const snap = cluster({ stores: [1, 2, 3, 4, down(5), down(6)], regions });
  const ops = replicaRepair(snap, config(), env());
  assert.equal(ops[0]!.regionId, 9);
  for (const op of ops) {
    const info = snap.regions.get(op.regionId)!;
    const add = op.steps.find((s) => s.type === 'AddLearner') as { storeId: number } | undefined;
    if (add) assert.ok(!storesOf(info).includes(add.storeId));
  }
});

test('skips regions with an operator in flight', () => {
  const snap = cluster({ stores: [1, 2, down(3), 4], regions: [region(7, [1, 2, 3])] });
  assert.deepEqual(replicaRepair(snap, config(), env({ busy: [7] })), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceRegion } from '../../placement/schedulers/balance_region.js';
import { cluster, config, env, GiB, MiB, region, store, storesOf } from './fixtures.js';

const tight = config({ balanceGapMin: 1, balanceGapRatio: 0 });

test('moves a region from the fullest store to the emptiest: learner, promote, remove', () => {
  // Stores 1, 2, 3 hold all 6 regions; store 4 just joined.
  const regions = [1, 2, 3, 4, 5, 6].map((i) => region(i, [1, 2, 3], { leader: 1 + (i % 3) }));
  const snap = cluster({ stores: [1, 2, 3, 4], regions });
  const ops = balanceRegion(snap, config({ ...tight, balanceBatchMax: 1 }), env());
  assert.equal(ops.length, 1);
  const steps = ops[0]!.steps;
  assert.equal(steps[0]!.type, 'AddLearner');
  assert.equal((steps[0] as { storeId: number }).storeId, 4);
  assert.equal(steps[1]!.type, 'PromoteLearner');
  assert.equal(steps.at(-1)!.type, 'RemovePeer');
  const from = (steps.at(-1) as { storeId: number }).storeId;
  // The source is a follower when one is available, so no leader transfer is needed.
  assert.notEqual(snap.regions.get(ops[0]!.regionId)!.leader! % 100, from);
  assert.equal(steps.length, 3);
});

test('by region count, then size: the bigger of two equally full stores is the source', () => {
  const regions = [region(1, [1, 3, 5], { bytes: 10 * MiB }), region(2, [1, 3, 5], { bytes: 10 * MiB }), region(3, [2, 4, 5], { bytes: 80 * MiB }), region(4, [2, 4, 5], { bytes: 80 * MiB })];
  const snap = cluster({ stores: [1, 2, 3, 4, 5, 6], regions });
  const [op] = balanceRegion(snap, config({ ...tight, balanceBatchMax: 1 }), env());
  const remove = op!.steps.at(-1) as { storeId: number };
  assert.equal(remove.storeId, 5, 'store 5 holds 4 regions');
  const snap2 = cluster({ stores: [1, 2, 3, 4, 6], regions: regions.map((r) => ({ ...r, region: { ...r.region, peers: r.region.peers.filter((p) => p.storeId !== 5) } })) });
  const [op2] = balanceRegion(snap2, config({ ...tight, replicas: 2, balanceBatchMax: 1 }), env());
  assert.ok([2, 4].includes((op2!.steps.at(-1) as { storeId: number }).storeId), 'equal counts: the bigger stores go first');
});

test('transfers the leader away before removing a leader peer', () => {
  const snap = cluster({ stores: [1, 2, 3, 4], regions: [region(1, [1, 2, 3], { leader: 1 }), region(2, [1, 2, 3], { leader: 1 })] });
  const ops = balanceRegion(snap, config({ ...tight, replicas: 3, balanceGapMin: 1 }), env());
  for (const op of ops) {
    const remove = op.steps.at(-1) as { storeId: number };
    if (remove.storeId === 1) {
      const transfer = op.steps.find((s) => s.type === 'TransferLeader') as { toStore: number } | undefined;
      assert.ok(transfer && transfer.toStore !== 1);
    }
  }
});

test('never targets a store already holding a peer of the region, nor one short of space', () => {
  const regions = [1, 2, 3, 4, 5, 6].map((i) => region(i, [1, 2, 3]));
  const snap = cluster({ stores: [1, 2, 3, store(4, { availableBytes: 20 * GiB })], regions });
  assert.deepEqual(balanceRegion(snap, tight, env()), [], 'store 4 is 80% full');
  const ok = cluster({ stores: [1, 2, 3, 4, 5], regions });
  for (const op of balanceRegion(ok, tight, env())) {
    const to = (op.steps[0] as { storeId: number }).storeId;
    assert.ok(!storesOf(ok.regions.get(op.regionId)!).includes(to));
    assert.ok([4, 5].includes(to));
  }
});

test('does nothing when balanced within tolerance, or for unhealthy regions', () => {
  const balanced = cluster({ stores: [1, 2, 3, 4], regions: [region(1, [1, 2, 3]), region(2, [2, 3, 4]), region(3, [3, 4, 1]), region(4, [4, 1, 2])] });
  assert.deepEqual(balanceRegion(balanced, tight, env()), []);
  const shortVoter = cluster({ stores: [1, 2, 3, 4], regions: [region(1, [1, 2]), region(2, [1, 2]), region(3, [1, 2])] });
  assert.deepEqual(balanceRegion(shortVoter, tight, env()), []);
});

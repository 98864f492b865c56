import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hotRegion } from '../../placement/schedulers/hot_region.js';
import { cluster, config, env, MiB, region } from './fixtures.js';

const c = config({ hotWriteQpsMin: 1000, hotReadQpsMin: 5000, hotSplitBytesMin: 48 * MiB });

test('splits a hot region that is big enough', () => {
  const snap = cluster({ stores: [1, 2, 3], regions: [region(1, [1, 2, 3], { writeQps: 2000, bytes: 60 * MiB }), region(2, [1, 2, 3], { readQps: 4000, bytes: 60 * MiB })] });
  const ops = hotRegion(snap, c, env());
  assert.equal(ops.length, 1);
  assert.equal(ops[0]!.regionId, 1);
  assert.deepEqual(ops[0]!.steps, [{ type: 'SplitRegion', keys: 'approximate' }]);
});

test('moves the leader that leaves the lowest peak off the hottest store', () => {
  // The worked example in hot_region.ts: loads {1: 9000, 2: 1000, 3: 3000}.
  const snap = cluster({
    stores: [1, 2, 3],
    regions: [
      region(5, [1, 2, 3], { leader: 1, readQps: 5000, bytes: 10 * MiB }),
      region(6, [1, 2, 3], { leader: 1, writeQps: 4000, bytes: 10 * MiB }),
      region(3, [2, 1, 3], { leader: 2, writeQps: 1000, bytes: 10 * MiB }),
      region(4, [3, 1, 2], { leader: 3, writeQps: 3000, bytes: 10 * MiB }),
    ],
  });
  const first = hotRegion(snap, config({ ...c, balanceBatchMax: 1 }), env());
  assert.equal(first.length, 1);
  assert.equal(first[0]!.regionId, 6);
  assert.deepEqual(first[0]!.steps, [{ type: 'TransferLeader', toStore: 2 }]);
  // A bigger batch goes on from {5000, 5000, 3000}: store 1 has no helpful move, store 2 hands
  // region 3 to store 3 -> {5000, 4000, 4000}, and then nothing lowers the peak.
  const all = hotRegion(snap, c, env());
  assert.deepEqual(
    all.map((o) => [o.regionId, (o.steps[0] as { toStore: number }).toStore]),
    [
      [6, 2],
      [3, 3],
    ],
  );
});

test('does not move a leader when that would make the target hotter than the source was', () => {
  const snap = cluster({
    stores: [1, 2, 3],
    regions: [region(1, [1, 2, 3], { leader: 1, writeQps: 4000, bytes: 10 * MiB }), region(2, [2, 1, 3], { leader: 2, writeQps: 1000, bytes: 10 * MiB }), region(3, [3, 1, 2], { leader: 3, writeQps: 1000, bytes: 10 * MiB })],
  });
  // Store 1 carries 4000; moving its one region gives the target 5000 > 4000.
  assert.deepEqual(hotRegion(snap, c, env()), []);
});

test('cold regions and busy ones are left alone', () => {
  const snap = cluster({ stores: [1, 2, 3], regions: [region(1, [1, 2, 3], { writeQps: 999, readQps: 4999 }), region(2, [1, 2, 3], { writeQps: 3000, bytes: 60 * MiB })] });
  assert.deepEqual(hotRegion(snap, c, env({ busy: [2] })), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitChecker } from '../../placement/schedulers/split_checker.js';
import { cluster, config, env, MiB, region } from './fixtures.js';

test('splits regions past regionSplitBytesMax or regionSplitKeysMax, and no others', () => {
  const snap = cluster({
    stores: [1, 2, 3],
    regions: [
      region(1, [1, 2, 3], { bytes: 100 * MiB, keys: 10_000 }),
      region(2, [1, 2, 3], { bytes: 50 * MiB, keys: 1_000_000 }),
      region(3, [1, 2, 3], { bytes: 96 * MiB, keys: 960_000 }),
      region(4, [1, 2, 3], { bytes: 200 * MiB, leader: null }),
      region(5, [1, 2, 3], { bytes: 200 * MiB }),
    ],
  });
  const ops = splitChecker(snap, config({ regionSplitBytesMax: 96 * MiB, regionSplitKeysMax: 960_000 }), env({ busy: [5] }));
  assert.deepEqual(ops.map((o) => o.regionId), [1, 2]);
  for (const op of ops) {
    assert.equal(op.kind, 'split');
    assert.deepEqual(op.steps, [{ type: 'SplitRegion', keys: 'approximate' }]);
  }
});

test('leaves hash-mode groups alone: they move slots instead', () => {
  const r = region(1, [1, 2, 3], { bytes: 500 * MiB, start: new Uint8Array(), end: new Uint8Array() });
  const hash = { ...r, region: { ...r.region, slots: [[0, 16383]] as Array<[number, number]> } };
  assert.deepEqual(splitChecker(cluster({ stores: [1, 2, 3], regions: [hash] }), config(), env()), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeChecker } from '../../placement/schedulers/merge_checker.js';
import { cluster, config, env, key, MiB, region } from './fixtures.js';

const c = config({ regionMergeBytesMax: 20 * MiB, regionMergeKeysMax: 200_000 });
const r = (id: number, from: number, to: number, bytes: number, stores = [1, 2, 3], o = {}) =>
  region(id, stores, { start: key(from), end: key(to), bytes: bytes * MiB, keys: 1000, ...o });

test('merges the smaller of two small adjacent regions into its neighbour', () => {
  // The worked example in merge_checker.ts: [a, c) 5 MiB | [c, f) 2 MiB | [f, k) 30 MiB.
  const snap = cluster({ stores: [1, 2, 3], regions: [r(1, 0, 10, 5), r(2, 10, 20, 2), r(3, 20, 30, 30)] });
  const ops = mergeChecker(snap, c, env());
  assert.equal(ops.length, 1);
  assert.equal(ops[0]!.regionId, 2);
  assert.deepEqual(ops[0]!.steps, [{ type: 'MergeRegion', sourceId: 2, targetId: 1, targetEpoch: { confVer: 5, version: 5 } }]);
});

test('each region takes part in one merge per round: a chain merges pairwise', () => {
  const snap = cluster({ stores: [1, 2, 3], regions: [r(1, 0, 10, 1), r(2, 10, 20, 1), r(3, 20, 30, 1), r(4, 30, 40, 1), r(5, 40, 50, 1)] });
  const ops = mergeChecker(snap, c, env());
  const involved = ops.flatMap((o) => {
    const s = o.steps[0] as { sourceId: number; targetId: number };
    return [s.sourceId, s.targetId];
  });
  assert.equal(ops.length, 2);
  assert.equal(new Set(involved).size, involved.length);
});

test('does not merge regions on different stores, with a gap between them, too big, hot or busy', () => {
  const cases = [
    [r(1, 0, 10, 1), r(2, 10, 20, 1, [1, 2, 4])],
    [r(1, 0, 10, 1), r(2, 11, 20, 1)],
    [r(1, 0, 10, 1), r(2, 10, 20, 21)],
    [r(1, 0, 10, 1), r(2, 10, 20, 1, [1, 2, 3], { writeQps: 5000 })],
  ];
  for (const regions of cases) assert.deepEqual(mergeChecker(cluster({ stores: [1, 2, 3, 4], regions }), c, env()), []);
  const snap = cluster({ stores: [1, 2, 3], regions: [r(1, 0, 10, 1), r(2, 10, 20, 1)] });
  assert.deepEqual(mergeChecker(snap, c, env({ busy: [1] })), []);
});

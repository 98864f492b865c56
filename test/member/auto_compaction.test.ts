import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoCompactor, revisionCheckMs } from '../../regions/member/auto_compaction.js';

test('revision mode compacts to current minus retention, once per check interval', () => {
  const c = new AutoCompactor({ mode: 'revision', retentionRevisions: 10 });
  assert.equal(c.due(0, 5, 0), undefined, 'nothing to compact below the retention');
  assert.equal(c.due(1000, 50, 0), undefined, 'no check before the interval passed');
  assert.equal(c.due(revisionCheckMs, 50, 0), 40);
  assert.equal(c.due(2 * revisionCheckMs, 50, 40), undefined, 'the same target is not proposed twice');
  assert.equal(c.due(3 * revisionCheckMs, 75, 40), 65);
});

test('periodic mode compacts to the revision the store had one retention ago', () => {
  const hour = 3600_000;
  const c = new AutoCompactor({ mode: 'periodic', retentionMs: hour });
  // Samples every 6 minutes; the revision grows by 100 per sample.
  const got: number[] = [];
  for (let i = 0; i <= 12; i++) {
    const r = c.due(i * (hour / 10), 1 + 100 * i, 0);
    if (r !== undefined) got.push(r);
  }
  // At 60 min the sample from 0 min (revision 1) is a retention old; at 66 min the one from 6 min.
  assert.deepEqual(got, [1, 101, 201]);
});

test('a zero retention turns auto compaction off', () => {
  const c = new AutoCompactor({ mode: 'periodic', retentionMs: 0 });
  for (let i = 0; i < 10; i++) assert.equal(c.due(i * 1e9, 1000 * i, 0), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delReq, kvStr, newStore, putReq, rangeReq } from './helpers.js';

test('compaction refuses revisions at or below the last one and above the current one', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.put(putReq('a', '2'));
  assert.throws(() => kv.compact(4), /future revision/);
  kv.compact(2);
  assert.throws(() => kv.compact(2), /has been compacted/);
  assert.throws(() => kv.compact(1), /has been compacted/);
  kv.compact(3);
  assert.equal(kv.compactRevision(), 3);
  assert.equal(kv.currentRevision(), 3, 'compaction does not move the revision');
});

test('reads at the compaction revision still work and reads below it fail', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1')); // 2
  kv.put(putReq('b', '1')); // 3
  kv.put(putReq('a', '2')); // 4
  kv.compact(3);
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z', revision: 3 })).kvs.map(kvStr), ['a=1 2/2/1', 'b=1 3/3/1']);
  assert.throws(() => kv.range(rangeReq('a', { revision: 2 })), /has been compacted/);
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z' })).kvs.map(kvStr), ['a=2 2/4/2', 'b=1 3/3/1']);
});

test('compaction keeps each key’s newest revision at or below it and drops deleted keys', (t) => {
  // The worked example of src/mvcc/compaction.ts: k put at 2, 3, deleted at 5, put at 7; j put at 4.
  const { kv, engine } = newStore(t);
  const history = engine.binaryTable('mvcc.history');
  const index = engine.binaryTable('mvcc.index');
  kv.put(putReq('k', '1')); // 2
  kv.put(putReq('k', '2')); // 3
  kv.put(putReq('j', '1')); // 4
  kv.deleteRange(delReq('k')); // 5
  kv.put(putReq('x', '1')); // 6
  kv.put(putReq('k', '3')); // 7
  assert.equal(history.count(), 6);
  kv.compact(3);
  assert.equal(history.count(), 5, 'k@2 is gone');
  kv.compact(6);
  assert.equal(history.count(), 3, 'k@3 and the deletion k@5 are gone; j@4, x@6, k@7 stay');
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z', revision: 6 })).kvs.map(kvStr), ['j=1 4/4/1', 'x=1 6/6/1']);
  assert.deepEqual(kv.range(rangeReq('k')).kvs.map(kvStr), ['k=3 7/7/1']);
  kv.deleteRange(delReq('k')); // 8
  kv.compact(8);
  assert.equal(index.count(), 2, 'k left the index with its last deletion');
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z' })).kvs.map(kvStr), ['j=1 4/4/1', 'x=1 6/6/1']);
  kv.put(putReq('k', 'again'));
  assert.deepEqual(kv.range(rangeReq('k')).kvs.map(kvStr), ['k=again 9/9/1']);
});

test('compacting many revisions in one call removes them all', (t) => {
  const { kv, engine } = newStore(t);
  for (let i = 0; i < 2500; i++) kv.put(putReq(`k${i % 10}`, `${i}`));
  kv.compact(kv.currentRevision());
  assert.equal(engine.binaryTable('mvcc.history').count(), 10);
  assert.equal(engine.binaryTable('mvcc.revs').count(), 0);
});

test('hashes agree between stores given the same writes and differ otherwise', (t) => {
  const one = newStore(t).kv;
  const two = newStore(t).kv;
  for (const kv of [one, two]) {
    kv.put(putReq('a', '1'));
    kv.put(putReq('b', '1'));
    kv.put(putReq('a', '2'));
    kv.compact(3);
  }
  assert.equal(one.hash(), two.hash());
  assert.deepEqual(one.hashKV(0), two.hashKV(0));
  assert.equal(one.hashKV(0).compactRevision, 3);
  assert.throws(() => one.hashKV(3), /has been compacted/);
  assert.throws(() => one.hashKV(9), /future revision/);
  two.put(putReq('a', '3'));
  assert.notEqual(one.hash(), two.hash());
  assert.notEqual(one.hashKV(0).hash, two.hashKV(0).hash);
  assert.equal(one.hashKV(4).hash, two.hashKV(4).hash, 'history up to revision 4 is the same');
});

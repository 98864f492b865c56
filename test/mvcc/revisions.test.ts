import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cmp, delReq, kvStr, newStore, opDel, opPut, opRange, putReq, rangeReq, txnReq } from './helpers.js';

test('a new store is at revision 1 with no keys', (t) => {
  const { kv } = newStore(t);
  assert.equal(kv.currentRevision(), 1);
  assert.equal(kv.compactRevision(), 0);
  assert.equal(kv.keyCount(), 0);
  assert.deepEqual(kv.range(rangeReq('\0', { end: '\0' })), { kvs: [], more: false, count: 0, revision: 1 });
});

test('each put takes the next revision; create revision stays, version counts the puts', (t) => {
  const { kv } = newStore(t);
  assert.equal(kv.put(putReq('a', '1')).revision, 2);
  assert.equal(kv.put(putReq('b', '1')).revision, 3);
  assert.equal(kv.put(putReq('a', '2')).revision, 4);
  assert.deepEqual(kv.range(rangeReq('a')).kvs.map(kvStr), ['a=2 2/4/2']);
  assert.equal(kv.keyCount(), 2);
});

test('a delete resets the version and a recreated key starts again at version 1', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.put(putReq('a', '2'));
  const d = kv.deleteRange(delReq('a', '', true));
  assert.deepEqual([d.deleted, d.revision, d.prevKvs.map(kvStr)], [1, 4, ['a=2 2/3/2']]);
  assert.equal(kv.keyCount(), 0);
  kv.put(putReq('a', '3'));
  assert.deepEqual(kv.range(rangeReq('a')).kvs.map(kvStr), ['a=3 5/5/1']);
});

test('deleting nothing does not move the revision', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'));
  const d = kv.deleteRange(delReq('b', 'z'));
  assert.deepEqual([d.deleted, d.revision, kv.currentRevision()], [0, 2, 2]);
});

test('a txn that writes several keys uses one revision; one that writes nothing uses none', (t) => {
  const { kv, engine } = newStore(t);
  const r = kv.txn(txnReq([], [opPut('a', '1'), opPut('b', '2'), opDel('zzz')]));
  assert.equal(r.revision, 2);
  assert.deepEqual(kv.range(rangeReq('a', { end: 'c' })).kvs.map(kvStr), ['a=1 2/2/1', 'b=2 2/2/1']);
  // Sub-revisions 0 and 1 of revision 2, in op order.
  const revs = [...engine.binaryTable('mvcc.revs').keys()].map((k) => [...k.subarray(4)].join('.'));
  assert.deepEqual(revs, ['0.0.0.2.0.0.0.0', '0.0.0.2.0.0.0.1']);
  const ro = kv.txn(txnReq([cmp('a', 'VERSION', 'EQUAL', 1)], [opRange('a'), opDel('nothing')]));
  assert.deepEqual([ro.succeeded, ro.revision, kv.currentRevision()], [true, 2, 2]);
});

test('counters and data survive reopening the store', async (t) => {
  const { kv, engine } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.put(putReq('b', '1'));
  kv.compact(2);
  const { MvccStore } = await import('../../src/mvcc/index.js');
  const again = new MvccStore(engine);
  assert.deepEqual([again.currentRevision(), again.compactRevision(), again.keyCount()], [3, 2, 2]);
  assert.deepEqual(again.range(rangeReq('a', { end: 'z' })).kvs.map(kvStr), ['a=1 2/2/1', 'b=1 3/3/1']);
});

test('a rolled-back surrounding write restores the revision and drops its events', (t) => {
  const { kv, engine } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.drainEvents();
  assert.throws(() =>
    engine.write(() => {
      kv.put(putReq('b', '1'));
      kv.put(putReq('c', '1'));
      throw new Error('apply failed');
    }),
  );
  assert.deepEqual([kv.currentRevision(), kv.keyCount(), kv.drainEvents().length], [2, 1, 0]);
  assert.equal(kv.put(putReq('d', '1')).revision, 3);
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z' })).kvs.map(kvStr), ['a=1 2/2/1', 'd=1 3/3/1']);
});

test('errors thrown before writing leave the surrounding write usable', (t) => {
  const { kv, engine } = newStore(t);
  engine.write(() => {
    kv.put(putReq('a', '1'));
    assert.throws(() => kv.put(putReq('missing', '', { ignoreValue: true })), /key not found/);
    assert.throws(() => kv.txn(txnReq([], [opPut('k', '1'), opPut('k', '2')])), /duplicate key/);
    kv.put(putReq('b', '1'));
  });
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z' })).kvs.map(kvStr), ['a=1 2/2/1', 'b=1 3/3/1']);
  assert.equal(kv.drainEvents().length, 2);
});

// Writes at explicit revisions (the sharded modes: revisions from PD's oracle, handed to the
// tablet with each write; regions sharing a tablet apply them interleaved). See src/mvcc/kv.ts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../../src/mvcc/types.js';
import { b, cmp, delReq, kvStr, newStore, opDel, opPut, opRange, putReq, rangeReq, txnReq } from './helpers.js';

const evStr = (e: Event): string => `${e.type} ${kvStr(e.kv)}${e.prevKv ? ` prev ${kvStr(e.prevKv)}` : ''}`;
const all = { end: '\0' };

test('a put at an explicit revision writes there and the store moves to the larger revision', (t) => {
  const { kv } = newStore(t);
  assert.equal(kv.put(putReq('a', '1'), 100).revision, 100);
  assert.equal(kv.currentRevision(), 100);
  assert.equal(kv.put(putReq('b', '1'), 40).revision, 40, 'below the store revision: another region');
  assert.equal(kv.currentRevision(), 100);
  assert.equal(kv.put(putReq('a', '2'), 250).revision, 250);
  assert.deepEqual(kv.range(rangeReq('a', all)).kvs.map(kvStr), ['a=2 100/250/2', 'b=1 40/40/1']);
  assert.deepEqual(kv.range(rangeReq('a', { ...all, revision: 99 })).kvs.map(kvStr), ['b=1 40/40/1']);
  assert.deepEqual(kv.range(rangeReq('a', { ...all, revision: 249 })).kvs.map(kvStr), ['a=1 100/100/1', 'b=1 40/40/1']);
  assert.equal(kv.range(rangeReq('a', { ...all, revision: 39, countOnly: true })).count, 0);
  assert.equal(kv.keyCount(), 2);
  // A write without a revision still takes the next one after the store's.
  assert.equal(kv.put(putReq('c', '1')).revision, 251);
});

test('a txn at an explicit revision compares and reads as of the revision before it', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('k', 'old'), 10);
  kv.put(putReq('z', 'other region'), 50);
  const r = kv.txn(txnReq([cmp('k', 'MOD', 'EQUAL', 10)], [opRange('k'), opPut('k', 'new'), opRange('k'), opDel('gone')]), 30);
  assert.equal(r.succeeded, true);
  assert.equal(r.revision, 30);
  const ranges = r.responses.filter((x) => 'responseRange' in x).map((x) => ('responseRange' in x ? x.responseRange : undefined)!);
  assert.deepEqual(ranges.map((x) => [x.revision, x.kvs.map(kvStr)]), [
    [29, ['k=old 10/10/1']],
    [30, ['k=new 10/30/2']],
  ]);
  // Ranges inside it may not read past the revision before it, even though the store is at 50.
  assert.throws(() => kv.txn(txnReq([], [opRange('k', { revision: 45 }), opPut('k', 'x')]), 40), /future revision/);
  // A write that changes nothing reports the revision before it and moves nothing.
  const d = kv.deleteRange(delReq('nothing'), 60);
  assert.deepEqual([d.deleted, d.revision, kv.currentRevision()], [0, 59, 50]);
  assert.deepEqual(kv.txn(txnReq([], [opDel('nothing')]), 60).revision, 59);
});

test('counts at the newest revision stay right inside a write below the store revision', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'), 10);
  kv.put(putReq('b', '1'), 11);
  kv.put(putReq('m', '1'), 90); // another region, ahead
  // At 20 (reads at 20 after the put), m does not exist yet: a count from the index alone would say 4.
  const r = kv.txn(txnReq([], [opPut('c', '1'), opRange('a', { ...all, limit: 1 })]), 20);
  const got = r.responses[1]!;
  assert.ok('responseRange' in got);
  assert.deepEqual([got.responseRange.count, got.responseRange.more, got.responseRange.revision], [3, true, 20]);
});

test('deletes and recreations at sparse revisions keep versions, events and history', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('k', '1'), 1000);
  kv.deleteRange(delReq('k', '', true), 1500);
  kv.put(putReq('k', '2'), 2001);
  assert.deepEqual(kv.range(rangeReq('k')).kvs.map(kvStr), ['k=2 2001/2001/1']);
  assert.deepEqual(kv.range(rangeReq('k', { revision: 1499 })).kvs.map(kvStr), ['k=1 1000/1000/1']);
  assert.deepEqual(kv.range(rangeReq('k', { revision: 1500 })).kvs, []);
  const drained = kv.drainEvents().map(evStr);
  assert.deepEqual(drained, ['PUT k=1 1000/1000/1', 'DELETE k= 0/1500/0 prev k=1 1000/1000/1', 'PUT k=2 2001/2001/1']);
  assert.deepEqual(kv.eventsSince(b('k'), b(''), 1, 100).map(evStr), drained);
  assert.deepEqual(kv.eventsSince(b('k'), b(''), 1001, 100).map(evStr), drained.slice(1));
  kv.compact(1600);
  assert.deepEqual(kv.range(rangeReq('k', { revision: 1600 })).kvs, []);
  assert.deepEqual(kv.range(rangeReq('k')).kvs.map(kvStr), ['k=2 2001/2001/1']);
});

test('two regions writing interleaved revisions into one tablet read back per key and at every revision', (t) => {
  // Region A = [a, m) writes at 100 and 103; region B = [m, ∞) at 95 and 101; applied A100, B95, A103, B101.
  const { kv } = newStore(t);
  kv.txn(txnReq([], [opPut('a', 'a1'), opPut('b', 'b1')]), 100);
  kv.put(putReq('m', 'm1'), 95);
  kv.txn(txnReq([cmp('a', 'MOD', 'EQUAL', 100)], [opPut('a', 'a2'), opDel('b')]), 103);
  kv.txn(txnReq([], [opPut('m', 'm2'), opPut('n', 'n1')]), 101);
  assert.equal(kv.currentRevision(), 103);
  assert.equal(kv.keyCount(), 3);

  const at = (rev: number, start = 'a', end = '\0'): string[] => kv.range(rangeReq(start, { end, revision: rev })).kvs.map(kvStr);
  assert.deepEqual(at(0), ['a=a2 100/103/2', 'm=m2 95/101/2', 'n=n1 101/101/1']);
  assert.deepEqual(at(94), []);
  assert.deepEqual(at(95), ['m=m1 95/95/1']);
  assert.deepEqual(at(100), ['a=a1 100/100/1', 'b=b1 100/100/1', 'm=m1 95/95/1']);
  assert.deepEqual(at(101), ['a=a1 100/100/1', 'b=b1 100/100/1', 'm=m2 95/101/2', 'n=n1 101/101/1']);
  assert.deepEqual(at(102), at(101));
  assert.deepEqual(at(103), at(0));
  assert.deepEqual(at(101, 'a', 'm'), ['a=a1 100/100/1', 'b=b1 100/100/1']);
  assert.deepEqual([95, 100, 101, 103].map((r) => kv.countRange(b('m'), b(''), r)), [1, 1, 2, 2]);
  assert.deepEqual([95, 100, 101, 103].map((r) => kv.countRange(b('a'), b('m'), r)), [0, 2, 2, 1]);

  // Drained in apply order; replayed in revision order.
  assert.deepEqual(kv.drainEvents().map((e) => `${e.type} ${String.fromCharCode(e.kv.key[0]!)}@${e.kv.modRevision}`), [
    'PUT a@100', 'PUT b@100', 'PUT m@95', 'PUT a@103', 'DELETE b@103', 'PUT m@101', 'PUT n@101',
  ]);
  assert.deepEqual(kv.eventsSince(b('a'), b('\0'), 1, 100).map(evStr), [
    'PUT m=m1 95/95/1',
    'PUT a=a1 100/100/1',
    'PUT b=b1 100/100/1',
    'PUT m=m2 95/101/2 prev m=m1 95/95/1',
    'PUT n=n1 101/101/1',
    'PUT a=a2 100/103/2 prev a=a1 100/100/1',
    'DELETE b= 0/103/0 prev b=b1 100/100/1',
  ]);

  // Compacting A at its newest revision leaves B's history whole.
  const hashB = kv.hashRange(b('m'), b(''), 0);
  kv.compactRange(103, b('a'), b('m'));
  assert.equal(kv.compactRevision(), 0, 'the tablet-wide compaction revision does not move');
  assert.deepEqual(at(100, 'a', 'm'), [], "A's history below 103 is gone");
  assert.deepEqual(at(0, 'a', 'm'), ['a=a2 100/103/2']);
  assert.deepEqual(at(95, 'm'), ['m=m1 95/95/1']);
  assert.deepEqual(at(101, 'm'), ['m=m2 95/101/2', 'n=n1 101/101/1']);
  assert.equal(kv.hashRange(b('m'), b(''), 0), hashB);
  assert.deepEqual(kv.eventsSince(b('m'), b('\0'), 1, 100).map(evStr), [
    'PUT m=m1 95/95/1',
    'PUT m=m2 95/101/2 prev m=m1 95/95/1',
    'PUT n=n1 101/101/1',
  ]);
  assert.deepEqual(kv.eventsSince(b('a'), b('m'), 1, 100), [], "A's revisions up to 103 left the revs table");
  // b's deletion was its newest revision: it left the index.
  assert.equal(kv.countRange(b('a'), b('m')), 1);
  assert.deepEqual(kv.splitKeys(b('a'), b('m'), { keys: 1 }), []);
});

test('a write at or below a key’s revision, or at a revision already used, is a bug', (t) => {
  const { kv, engine } = newStore(t);
  kv.put(putReq('a', '1'), 100);
  kv.put(putReq('m', '1'), 95);
  assert.throws(() => kv.put(putReq('a', '2'), 99), { name: 'AssertionFailure' });
  assert.throws(() => kv.deleteRange(delReq('a'), 98), { name: 'AssertionFailure' });
  assert.throws(() => kv.put(putReq('zz', '2'), 95), { name: 'AssertionFailure' }, 'revision 95 is taken by m');
  assert.throws(() => kv.put(putReq('zz', '2'), 1), { name: 'AssertionFailure' });
  kv.compact(96);
  assert.throws(() => kv.put(putReq('zz', '2'), 96), { name: 'AssertionFailure' }, 'at or below the compaction');
  // Refused before writing: the store is as it was, and usable.
  assert.equal(engine.binaryTable('mvcc.history').count(), 2);
  assert.deepEqual(kv.range(rangeReq('a', all)).kvs.map(kvStr), ['a=1 100/100/1', 'm=1 95/95/1']);
  assert.equal(kv.put(putReq('a', '2'), 101).revision, 101);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../../src/mvcc/types.js';
import { kvStr, newStore, opDel, opPut, putReq, txnReq } from './helpers.js';
import { b } from './helpers.js';

const evStr = (e: Event): string => `${e.type} ${kvStr(e.kv)}${e.prevKv ? ` prev ${kvStr(e.prevKv)}` : ''}`;

test('drained events carry the key-value before each write; a delete event has only key and revision', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.put(putReq('a', '2'));
  kv.txn(txnReq([], [opDel('a'), opPut('b', 'x')]));
  assert.deepEqual(kv.drainEvents().map(evStr), [
    'PUT a=1 2/2/1',
    'PUT a=2 2/3/2 prev a=1 2/2/1',
    'DELETE a= 0/4/0 prev a=2 2/3/2',
    'PUT b=x 4/4/1',
  ]);
  assert.deepEqual(kv.drainEvents(), []);
});

test('history replays the same events as were drained, from any revision, filtered by range', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.put(putReq('b', '1'));
  kv.put(putReq('a', '2'));
  kv.txn(txnReq([], [opDel('a'), opPut('c', 'x')]));
  const drained = kv.drainEvents().map(evStr);
  assert.deepEqual(kv.eventsSince(b('\0'), b('\0'), 1, 100).map(evStr), drained);
  assert.deepEqual(kv.eventsSince(b('a'), b(''), 3, 100).map(evStr), ['PUT a=2 2/4/2 prev a=1 2/2/1', 'DELETE a= 0/5/0 prev a=2 2/4/2']);
  assert.deepEqual(kv.eventsSince(b('b'), b('d'), 1, 100).map(evStr), ['PUT b=1 3/3/1', 'PUT c=x 5/5/1']);
  assert.deepEqual(kv.eventsSince(b('a'), b('\0'), 6, 100), []);
});

test('history never splits a revision, even past the limit', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1')); // 2
  kv.txn(txnReq([], [opPut('b', '1'), opPut('c', '1'), opPut('d', '1')])); // 3
  kv.put(putReq('e', '1')); // 4
  const revsOf = (es: Event[]): number[] => es.map((e) => e.kv.modRevision);
  assert.deepEqual(revsOf(kv.eventsSince(b('\0'), b('\0'), 1, 1)), [2]);
  assert.deepEqual(revsOf(kv.eventsSince(b('\0'), b('\0'), 1, 2)), [2], 'revision 3 would not fit whole');
  assert.deepEqual(revsOf(kv.eventsSince(b('\0'), b('\0'), 3, 1)), [3, 3, 3], 'one revision larger than the limit');
  assert.deepEqual(revsOf(kv.eventsSince(b('\0'), b('\0'), 1, 4)), [2, 3, 3, 3]);
});

test('history below the compaction is gone', (t) => {
  const { kv } = newStore(t);
  kv.put(putReq('a', '1'));
  kv.put(putReq('a', '2'));
  kv.put(putReq('a', '3'));
  kv.compact(3);
  assert.throws(() => kv.eventsSince(b('a'), b(''), 3, 10), /compacted/);
  // The first event after the compaction still has its previous key-value (kept by compaction).
  assert.deepEqual(kv.eventsSince(b('a'), b(''), 4, 10).map(evStr), ['PUT a=3 2/4/3 prev a=2 2/3/2']);
});

test('leases are attached on put, moved on re-put, and detached on delete', (t) => {
  const calls: string[] = [];
  const known = new Set([5n, 6n]);
  const { kv } = newStore(t, {
    leases: {
      exists: (id) => known.has(id),
      attach: (id, k) => calls.push(`attach ${id} ${Buffer.from(k).toString()}`),
      detach: (id, k) => calls.push(`detach ${id} ${Buffer.from(k).toString()}`),
    },
  });
  kv.put(putReq('a', '1', { lease: 5n }));
  kv.put(putReq('a', '2', { lease: 6n }));
  kv.put(putReq('a', '3', { ignoreLease: true }));
  assert.throws(() => kv.put(putReq('a', '4', { lease: 7n })), /requested lease not found/);
  assert.deepEqual([...kv.leasedKeys()].map((x) => `${Buffer.from(x.key).toString()}@${x.lease}`), ['a@6']);
  kv.txn(txnReq([], [opDel('a')]));
  assert.deepEqual(calls, ['attach 5 a', 'detach 5 a', 'attach 6 a', 'detach 6 a', 'attach 6 a', 'detach 6 a']);
  assert.deepEqual([...kv.leasedKeys()], []);
});

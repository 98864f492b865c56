import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionFailure } from '../../src/util/assert.js';
import { buildClusterSnapshot, storeStateAt } from '../../placement/cluster.js';
import { cluster, key, nowMs, region, sid, store } from './fixtures.js';

test('derives store states from heartbeat ages: up, disconnected after 20 s, down after 30 min', () => {
  const limits = { storeDisconnectMs: 20_000, storeDownMs: 1_800_000 };
  assert.equal(storeStateAt(store(1, { ageMs: 20_000 }), nowMs, limits), 'up');
  assert.equal(storeStateAt(store(1, { ageMs: 20_001 }), nowMs, limits), 'disconnected');
  assert.equal(storeStateAt(store(1, { ageMs: 1_800_001 }), nowMs, limits), 'down');
  assert.equal(storeStateAt(store(1, { tombstone: true }), nowMs, limits), 'tombstone');
  assert.equal(storeStateAt(store(1, { ageMs: -5_000 }), nowMs, limits), 'up', 'a heartbeat from the future is fresh');
});

test('counts regions, leaders and bytes per store from the regions themselves', () => {
  const snap = cluster({
    stores: [1, 2, 3, 4],
    regions: [region(1, [1, 2, 3], { leader: 1, bytes: 10 }), region(2, [1, 2, 4], { leader: 2, bytes: 20, learners: [3] })],
  });
  const s = (id: number) => snap.stores.get(sid(id))!;
  assert.deepEqual([1, 2, 3, 4].map((id) => s(id).regionCount), [2, 2, 2, 1]);
  assert.deepEqual([1, 2, 3, 4].map((id) => s(id).leaderCount), [1, 1, 0, 0]);
  assert.equal(s(3).regionBytes, 30);
  assert.ok(Object.isFrozen(snap) && Object.isFrozen(s(1)));
});

test('lists range-mode regions in key order', () => {
  const snap = cluster({
    stores: [1, 2, 3],
    regions: [region(3, [1, 2, 3], { start: key(20), end: new Uint8Array() }), region(1, [1, 2, 3], { start: new Uint8Array(), end: key(10) }), region(2, [1, 2, 3], { start: key(10), end: key(20) })],
  });
  assert.deepEqual(snap.regionsInKeyOrder.map((r) => r.region.id), [1, 2, 3]);
});

test('asserts on overlapping regions and on two peers of one region on one store', () => {
  assert.throws(
    () => cluster({ stores: [1, 2, 3], regions: [region(1, [1, 2, 3], { start: key(0), end: key(10) }), region(2, [1, 2, 3], { start: key(5), end: key(20) })] }),
    AssertionFailure,
  );
  assert.throws(() => cluster({ stores: [1, 2], regions: [region(1, [1, 2], { learners: [2] })] }), AssertionFailure);
  assert.throws(() => buildClusterSnapshot({ nowMs, stores: [], regions: [], limits: { storeDisconnectMs: 10, storeDownMs: 5 } }), AssertionFailure);
});

// Span operations of a tablet shared by regions (src/mvcc/kv.ts RangeTablet): counts, sizes,
// split keys, hashes and compaction of one region's [start, end) without touching the others.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { b, delReq, kvStr, newStore, putReq, rangeReq, s } from './helpers.js';

const none = new Uint8Array(0);
const pad = (i: number): string => String(i).padStart(4, '0');

test('countRange counts the live keys of a span, now and at a revision, unbounded when end is empty', (t) => {
  const { kv } = newStore(t, { inlineKeyBytesMax: 4 });
  for (const k of ['a', 'abcdefg', 'abcdeff', 'b', 'c', 'cccccccc']) kv.put(putReq(k, 'v'));
  kv.deleteRange(delReq('b'));
  assert.equal(kv.countRange(none, none), 5);
  assert.equal(kv.countRange(b('abcdefa'), b('abcdefh')), 2, 'bounds inside a bucket of long keys');
  assert.equal(kv.countRange(b('b'), none), 2);
  assert.equal(kv.countRange(b('a'), b('c')), 3);
  assert.equal(kv.countRange(b('a'), b('c'), 5), 4, 'b was alive at 5');
  assert.throws(() => kv.countRange(b('a'), none, 99), /future revision/);
});

test('splitKeys by key count cuts every n keys and lets a short last piece join the one before', (t) => {
  const { kv } = newStore(t);
  for (let i = 0; i < 1040; i++) kv.put(putReq(`k${pad(i)}`, 'v'));
  const cuts = (n: number, end = 'l') => kv.splitKeys(b('k'), b(end), { keys: n }).map(s);
  assert.deepEqual(cuts(100), ['k0100', 'k0200', 'k0300', 'k0400', 'k0500', 'k0600', 'k0700', 'k0800', 'k0900'], 'the last 40 join 0900..');
  assert.deepEqual(cuts(80).length, 12, '13 pieces of 80');
  assert.deepEqual(cuts(2000), []);
  assert.deepEqual(kv.splitKeys(b('k0100'), b('k0110'), { keys: 5 }).map(s), ['k0105'], 'never the span start, though it is a key');
});

test('split keys may be deleted keys whose history is kept', (t) => {
  const { kv } = newStore(t);
  for (const k of ['a', 'b', 'c', 'd']) kv.put(putReq(k, 'v'));
  kv.deleteRange(delReq('c'));
  assert.deepEqual(kv.splitKeys(none, none, { keys: 2 }).map(s), ['c']);
  kv.compact(kv.currentRevision());
  assert.deepEqual(kv.splitKeys(none, none, { keys: 2 }).map(s), ['d'], 'compaction removed c');
});

test('splitKeys by bytes gives pieces of about the target, and approximateBytes is exact for small spans', (t) => {
  const { kv } = newStore(t);
  for (let i = 0; i < 800; i++) kv.put(putReq(`k${pad(i)}`, 'x'.repeat(i < 400 ? 50 : 500)));
  // Spans of at most 256 keys are measured exactly: their sum is the whole span's size.
  const exact = (start: string, end: string): number => {
    let total = 0;
    for (let i = Number(start.slice(1)); i < Number(end.slice(1)); i += 200) total += kv.approximateBytes(b(`k${pad(i)}`), b(`k${pad(Math.min(i + 200, Number(end.slice(1))))}`));
    return total;
  };
  const total = exact('k0000', 'k0800');
  assert.ok(total > 400 * 500 + 400 * 50, `total ${total}`);
  const cuts = kv.splitKeys(b('k'), b('l'), Math.ceil(total / 4)).map(s);
  assert.ok(cuts.length >= 3 && cuts.length <= 4, `cuts ${cuts.join(' ')}`);
  const bounds = ['k0000', ...cuts, 'k0800'];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = exact(bounds[i]!, bounds[i + 1]!);
    assert.ok(piece > total / 8 && piece < (total * 3) / 8, `piece ${bounds[i]}..${bounds[i + 1]} has ${piece} of ${total}`);
  }
  // Small values first, large ones after: the piece of small values holds more keys.
  assert.ok(Number(cuts[0]!.slice(1)) > 200, `first cut ${cuts[0]}`);
});

test('approximateBytes estimates a large span from a spread sample', (t) => {
  const { kv } = newStore(t);
  for (let i = 0; i < 2000; i++) kv.put(putReq(`k${pad(i)}`, 'x'.repeat(i < 1000 ? 20 : 400)));
  for (let i = 0; i < 2000; i += 3) kv.put(putReq(`k${pad(i)}`, 'y'.repeat(i < 1000 ? 20 : 400)));
  let exact = 0;
  for (let i = 0; i < 2000; i += 200) exact += kv.approximateBytes(b(`k${pad(i)}`), b(`k${pad(i + 200)}`));
  const estimate = kv.approximateBytes(b('k0000'), b('k2000'));
  assert.ok(Math.abs(estimate - exact) < exact * 0.2, `estimate ${estimate}, exact ${exact}`);
  assert.equal(kv.approximateBytes(b('z'), none), 0);
  assert.ok(kv.approximateBytes(none, none) > 0);
});

test('approximateBytes over long keys sharing a bucket, with bounds inside the bucket', (t) => {
  const { kv } = newStore(t, { inlineKeyBytesMax: 4 });
  for (let i = 0; i < 600; i++) kv.put(putReq(`long${pad(i)}`, 'x'.repeat(100)));
  let exact = 0;
  for (let i = 0; i < 600; i += 200) exact += kv.approximateBytes(b(`long${pad(i)}`), b(`long${pad(i + 200)}`));
  const whole = kv.approximateBytes(b('long0000'), b('long0600'));
  assert.ok(Math.abs(whole - exact) < exact * 0.1, `estimate ${whole}, exact ${exact}`);
  assert.equal(kv.approximateBytes(b('long0600'), b('long0700')), 0, 'in the bucket, but no key in the span');
  assert.equal(kv.approximateBytes(b('long0599'), b('long0600')), exact / 600);
  assert.deepEqual(kv.splitKeys(b('long0100'), b('long0300'), { keys: 100 }).map(s), ['long0200']);
});

test('hashRange depends on the span’s history only, not on key ids or other spans', (t) => {
  const one = newStore(t).kv;
  const two = newStore(t, { inlineKeyBytesMax: 3 }).kv;
  // Other regions' keys, written first on two only: its key ids differ from one's.
  for (let i = 0; i < 5; i++) two.put(putReq(`z${i}`, 'other'), 10 + i);
  for (const kv of [one, two]) {
    kv.put(putReq('a', '1'), 20);
    kv.put(putReq('bbbbbb', '1'), 21);
    kv.put(putReq('a', '2'), 22);
    kv.deleteRange(delReq('bbbbbb'), 23);
  }
  for (const rev of [0, 20, 21, 22, 23]) assert.equal(one.hashRange(b('a'), b('c'), rev), two.hashRange(b('a'), b('c'), rev), `at ${rev}`);
  assert.notEqual(one.hashRange(b('a'), b('c'), 21), one.hashRange(b('a'), b('c'), 22));
  assert.equal(one.hashRange(b('a'), b('c'), 0), one.hashRange(b('a'), none, 0), 'nothing beyond c on one');
  assert.notEqual(two.hashRange(b('a'), b('c'), 0), two.hashRange(b('a'), none, 0));
  two.put(putReq('a', '3'), 30);
  assert.equal(one.hashRange(b('a'), b('c'), 23), two.hashRange(b('a'), b('c'), 23), 'history up to 23 is the same');
  assert.notEqual(one.hashRange(b('a'), b('c'), 0), two.hashRange(b('a'), b('c'), 0));
  assert.throws(() => one.hashRange(b('a'), b('c'), 99), /future revision/);
});

test('compactRange compacts the span’s keys only (the worked example of range_compaction.ts)', (t) => {
  const { kv, engine } = newStore(t);
  const history = engine.binaryTable('mvcc.history');
  kv.put(putReq('m', 'm6'), 6);
  kv.put(putReq('a', 'a2'), 2);
  kv.put(putReq('b', 'b3'), 3);
  kv.deleteRange(delReq('b'), 4);
  kv.put(putReq('a', 'a5'), 5);
  kv.put(putReq('c', 'c7'), 7);
  kv.put(putReq('a', 'a8'), 8);
  kv.put(putReq('m', 'm9'), 9);
  assert.equal(history.count(), 8);
  kv.compactRange(6, b('a'), b('m'));
  assert.equal(history.count(), 5, 'a@2, b@3 and b@4 are gone');
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z', revision: 6 })).kvs.map(kvStr), ['a=a5 2/5/2', 'm=m6 6/6/1']);
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z', revision: 2 })).kvs, [], 'below the span’s compaction: the region refuses such reads');
  assert.deepEqual(kv.range(rangeReq('m', { revision: 6 })).kvs.map(kvStr), ['m=m6 6/6/1']);
  assert.equal(engine.binaryTable('mvcc.index').count(), 3, 'b left the index');
  assert.deepEqual(kv.eventsSince(b('a'), b('\0'), 1, 100).map((e) => `${s(e.kv.key)}@${e.kv.modRevision}`), ['m@6', 'c@7', 'a@8', 'm@9']);
  // Idempotent, and refuses the future.
  kv.compactRange(6, b('a'), b('m'));
  kv.compactRange(5, b('a'), b('m'));
  assert.equal(history.count(), 5);
  assert.throws(() => kv.compactRange(10, b('a'), b('m')), /future revision/);
  // The tablet-wide compaction still agrees with what the span's left.
  kv.compact(9);
  assert.deepEqual(kv.range(rangeReq('a', { end: 'z' })).kvs.map(kvStr), ['a=a8 2/8/3', 'c=c7 7/7/1', 'm=m9 6/9/2']);
  assert.equal(history.count(), 3);
  assert.equal(engine.binaryTable('mvcc.revs').count(), 0);
});

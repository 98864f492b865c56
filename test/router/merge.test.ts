// Merging pieces' answers, on the worked examples of src/router/merge.ts (merge_property.test.ts
// checks the same against a real store on random data).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValue, RangeResponse } from '../../src/mvcc/types.js';
import { mergeSorted } from '../../src/router/kway_merge.js';
import { mergeDeleteRange, mergeRange, rangePieceRequest } from '../../src/router/merge.js';
import { rangeReq } from '../mvcc/helpers.js';
import { b, s } from './helpers.js';

/** "key=value/version/mod" → a KeyValue (create revision 1). */
function kv(spec: string): KeyValue {
  const [key, value, version, mod] = spec.split(/[=/]/);
  return { key: b(key!), value: b(value!), version: Number(version), createRevision: 1, modRevision: Number(mod), lease: 0n };
}

const piece = (specs: string[], o: Partial<RangeResponse> = {}): RangeResponse => ({ kvs: specs.map(kv), more: false, count: specs.length, revision: 10, ...o });
const keys = (r: RangeResponse) => r.kvs.map((x) => s(x.key));

test('merges two regions\' ranges in key order under a limit; more when a piece had more', () => {
  const req = rangeReq('a', { end: 'z', limit: 3 });
  const got = mergeRange(req, [piece(['a=1/1/2', 'b=1/1/3', 'c=1/1/4'], { more: true, count: 5 }), piece(['m=1/1/5'], { count: 1 })]);
  assert.deepEqual(keys(got), ['a', 'b', 'c']);
  assert.equal(got.count, 6);
  assert.equal(got.more, true);
});

test('more when the pieces returned more than the limit in all, though none had more', () => {
  const got = mergeRange(rangeReq('a', { end: 'z', limit: 2 }), [piece(['a=1/1/2', 'c=1/1/3']), piece(['b=1/1/4'])]);
  assert.deepEqual(keys(got), ['a', 'b']);
  assert.equal(got.more, true);
  const exact = mergeRange(rangeReq('a', { end: 'z', limit: 3 }), [piece(['a=1/1/2', 'c=1/1/3']), piece(['b=1/1/4'])]);
  assert.equal(exact.more, false);
});

test('merges hash groups\' interleaved pieces; the header revision is the newest piece\'s', () => {
  const got = mergeRange(rangeReq('a', { end: 'z' }), [piece(['a=1/1/2', 'd=1/1/3'], { revision: 12 }), piece(['b=1/1/4', 'c=1/1/5'], { revision: 9 })]);
  assert.deepEqual(keys(got), ['a', 'b', 'c', 'd']);
  assert.equal(got.revision, 12);
});

test('sorts by MOD DESCEND across pieces, ties in key order', () => {
  const req = rangeReq('a', { end: 'z', sortOrder: 'DESCEND', sortTarget: 'MOD', limit: 3 });
  const got = mergeRange(req, [piece(['b=1/1/9', 'c=1/1/7'], { more: true, count: 3 }), piece(['x=1/1/9', 'd=1/1/8'], { count: 2 })]);
  assert.deepEqual(keys(got), ['b', 'x', 'd']);
  assert.equal(got.more, true);
});

test('etcd\'s NONE-order quirk: the first L + 1 keys in key order, sorted by the target, cut to L', () => {
  // merge.ts's example: region A holds a (v9); region B holds b (v1), c (v5), d (v1).
  const req = rangeReq('a', { end: 'z', sortOrder: 'NONE', sortTarget: 'VERSION', limit: 2 });
  const ask = rangePieceRequest(req);
  assert.deepEqual([ask.sortTarget, ask.sortOrder, ask.limit], ['KEY', 'NONE', 3]);
  const got = mergeRange(req, [piece(['a=x/9/1'], { count: 1 }), piece(['b=x/1/2', 'c=x/5/3', 'd=x/1/4'], { count: 3 })]);
  assert.deepEqual(keys(got), ['b', 'c']);
  assert.equal(got.more, true);
  assert.equal(got.count, 4);
});

test('keys_only sorted by VALUE: pieces are asked for values, the merge blanks them after sorting', () => {
  const req = rangeReq('a', { end: 'z', sortOrder: 'ASCEND', sortTarget: 'VALUE', keysOnly: true });
  assert.equal(rangePieceRequest(req).keysOnly, false);
  const got = mergeRange(req, [piece(['b=x/1/2', 'a=zz/1/1']), piece(['c=y/1/3'])]);
  assert.deepEqual(keys(got), ['b', 'c', 'a']);
  assert.ok(got.kvs.every((x) => x.value.length === 0));
});

test('count_only sums the counts and returns no keys', () => {
  const req = rangeReq('a', { end: 'z', countOnly: true });
  assert.equal(rangePieceRequest(req), req);
  const got = mergeRange(req, [piece([], { count: 4 }), piece([], { count: 3, revision: 11 })]);
  assert.deepEqual(got, { kvs: [], more: false, count: 7, revision: 11 });
});

test('DeleteRange: deletions summed, previous key-values in key order, newest revision', () => {
  const got = mergeDeleteRange([
    { deleted: 2, prevKvs: ['a=1/1/2', 'm=1/1/3'].map(kv), revision: 8 },
    { deleted: 1, prevKvs: ['c=1/1/4'].map(kv), revision: 9 },
    { deleted: 0, prevKvs: [], revision: 7 },
  ]);
  assert.equal(got.deleted, 3);
  assert.deepEqual(got.prevKvs.map((x) => s(x.key)), ['a', 'c', 'm']);
  assert.equal(got.revision, 9);
});

test('mergeSorted takes the smallest heads first, stops at the limit, and keeps equal items in list order', () => {
  const byNum = (a: [number, string], c: [number, string]) => a[0] - c[0];
  const lists: Array<Array<[number, string]>> = [[[1, 'a'], [4, 'a'], [5, 'a']], [], [[2, 'b'], [4, 'b']], [[3, 'c'], [4, 'c'], [9, 'c']]];
  assert.deepEqual(mergeSorted(lists, byNum).map(([n, l]) => `${n}${l}`), ['1a', '2b', '3c', '4a', '4b', '4c', '5a', '9c']);
  assert.deepEqual(mergeSorted(lists, byNum, 4).map(([n, l]) => `${n}${l}`), ['1a', '2b', '3c', '4a']);
  assert.deepEqual(mergeSorted([], byNum), []);
});

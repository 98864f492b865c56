// Splitting etcd requests at region boundaries, with etcd's range encodings, and the keys of a Txn.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeleteRangeRequest, RangeRequest } from '../../src/mvcc/types.js';
import { RegionCache } from '../../src/router/region_cache.js';
import { SlotTable } from '../../src/router/slot_table.js';
import { keysOfTxn, rangeBounds, singleRegionOf, splitDeleteRange, splitRange } from '../../src/router/split_request.js';
import { cmp, opDel, opPut, opRange, opTxn, rangeReq, txnReq } from '../mvcc/helpers.js';
import { b, group, region, s } from './helpers.js';

const three = () => [region(1, '', 'g'), region(2, 'g', 'p'), region(3, 'p', '')];

/** "region: key..rangeEnd" per piece, with "\0" shown as \0. */
function pieces(req: RangeRequest | DeleteRangeRequest, split: (req: never) => Array<{ region: { id: number }; req: RangeRequest | DeleteRangeRequest }>): string[] {
  const show = (u: Uint8Array) => s(u).replace(/\0/g, '\\0');
  return split(req as never).map((p) => `${p.region.id}: ${show(p.req.key)}..${show(p.req.rangeEnd)}`);
}

function routed(req: RangeRequest): string[] {
  const cache = new RegionCache(three());
  const { start, end } = rangeBounds(req.key, req.rangeEnd);
  const regions = cache.regionsFor(start, end).regions;
  return pieces(req, (r: RangeRequest) => splitRange(r, regions));
}

test('decodes etcd\'s range encodings into plain bounds', () => {
  const show = (k: string, e: string) => {
    const r = rangeBounds(b(k), b(e));
    return [s(r.start), s(r.end)];
  };
  assert.deepEqual(show('a', ''), ['a', 'a\0']);
  assert.deepEqual(show('a', '\0'), ['a', '']);
  assert.deepEqual(show('\0', '\0'), ['\0', '']);
  assert.deepEqual(show('a', 'k'), ['a', 'k']);
  assert.deepEqual(show('a', 'a\0'), ['a', 'a\0']);
});

test('a single key goes to its region unchanged, even at a boundary', () => {
  assert.deepEqual(routed(rangeReq('g')), ['2: g..']);
  assert.deepEqual(routed(rangeReq('f\xff')), ['1: f\xff..']);
  assert.deepEqual(routed(rangeReq('p')), ['3: p..']);
});

test('a range inside one region keeps its encoding; one crossing boundaries is clipped in key order', () => {
  assert.deepEqual(routed(rangeReq('h', { end: 'k' })), ['2: h..k']);
  assert.deepEqual(routed(rangeReq('c', { end: 'r' })), ['1: c..g', '2: g..p', '3: p..r']);
  assert.deepEqual(routed(rangeReq('c', { end: 'p' })), ['1: c..g', '2: g..p']);
  assert.deepEqual(routed(rangeReq('g', { end: 'p\0' })), ['2: g..p', '3: p..p\\0']);
});

test('"from key" and "all keys" keep range_end \\0 on the last region only', () => {
  assert.deepEqual(routed(rangeReq('c', { end: '\0' })), ['1: c..g', '2: g..p', '3: p..\\0']);
  assert.deepEqual(routed(rangeReq('\0', { end: '\0' })), ['1: \\0..g', '2: g..p', '3: p..\\0']);
  assert.deepEqual(routed(rangeReq('q', { end: '\0' })), ['3: q..\\0']);
});

test('an empty range (end before start) goes as it is to the region of its start key', () => {
  assert.deepEqual(routed(rangeReq('k', { end: 'b' })), ['2: k..b']);
});

test('a piece below the key "\\0" is dropped, since only the empty key sorts there', () => {
  const regions = [region(1, '', '\0'), region(2, '\0', 'm'), region(3, 'm', '')];
  const req = rangeReq('', { end: '\0' });
  assert.deepEqual(pieces(req, (r: RangeRequest) => splitRange(r, regions)), ['2: \\0..m', '3: m..\\0']);
});

test('clips DeleteRange the same way and keeps prevKv', () => {
  const req: DeleteRangeRequest = { key: b('a'), rangeEnd: b('\0'), prevKv: true };
  const out = splitDeleteRange(req, three());
  assert.deepEqual(pieces(req, (r: DeleteRangeRequest) => splitDeleteRange(r, three())), ['1: a..g', '2: g..p', '3: p..\\0']);
  assert.ok(out.every((p) => p.req.prevKv));
});

test('hash mode sends the whole request to every group of the route', () => {
  const groups = [group(1, [[0, 8191]]), group(2, [[8192, 16383]])];
  const req = rangeReq('a', { end: 'z', limit: 3 });
  const out = splitRange(req, groups);
  assert.deepEqual(out.map((p) => [p.region.id, s(p.req.key), s(p.req.rangeEnd), p.req.limit]), [
    [1, 'a', 'z', 3],
    [2, 'a', 'z', 3],
  ]);
});

test('pieces are asked what the merge needs: values for a keys-only VALUE sort, L + 1 keys for etcd\'s NONE-order quirk', () => {
  const [p] = splitRange(rangeReq('a', { end: 'c', keysOnly: true, sortTarget: 'VALUE', sortOrder: 'DESCEND', limit: 2 }), three());
  assert.equal(p!.req.keysOnly, false);
  assert.equal(p!.req.limit, 2);
  const [q] = splitRange(rangeReq('a', { end: 'c', sortTarget: 'MOD', sortOrder: 'NONE', limit: 2 }), three());
  assert.deepEqual([q!.req.sortTarget, q!.req.limit], ['KEY', 3]);
});

test('keysOfTxn lists compares and both branches, nested txns included', () => {
  const txn = txnReq(
    [cmp('a', 'VERSION', 'EQUAL', 0), cmp('b', 'MOD', 'LESS', 5, 'd')],
    [opPut('e', 'v'), opRange('f', { end: '\0' })],
    [opDel('x', 'y'), opTxn(txnReq([], [opPut('z', '1')]))],
  );
  assert.deepEqual(
    keysOfTxn(txn).map((k) => [s(k.start), s(k.end)]),
    [['a', 'a\0'], ['b', 'd'], ['e', 'e\0'], ['f', ''], ['x', 'y'], ['z', 'z\0']],
  );
});

test('singleRegionOf finds the one region holding a txn\'s keys, or none when they span several', () => {
  const cache = new RegionCache(three());
  const inTwo = txnReq([cmp('h', 'VERSION', 'EQUAL', 0)], [opPut('i', 'v'), opRange('j', { end: 'o' })]);
  assert.equal(singleRegionOf(keysOfTxn(inTwo), cache)?.id, 2);
  const across = txnReq([cmp('h', 'VERSION', 'EQUAL', 0)], [opPut('a', 'v')]);
  assert.equal(singleRegionOf(keysOfTxn(across), cache), undefined);
  const spanning = txnReq([], [opRange('h', { end: 'q' })]);
  assert.equal(singleRegionOf(keysOfTxn(spanning), cache), undefined);
  const slots = new SlotTable([group(1, [[0, 8191]]), group(2, [[8192, 16383]])]);
  const tagged = txnReq([cmp('u{7}a', 'VERSION', 'EQUAL', 0)], [opPut('u{7}b', 'v')]);
  assert.equal(singleRegionOf(keysOfTxn(tagged), slots), slots.locate(b('7')));
  assert.equal(singleRegionOf(keysOfTxn(spanning), slots), undefined);
});

// The router's scatter-gather against one store: random keys in one MvccStore, the same keys
// split over regions (range mode) or groups (hash mode), each its own MvccStore (world.ts), and
// random Range and DeleteRange requests answered both ways must agree on every field.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipToRegion, compareKeys } from '../../src/cluster/region.js';
import type { DeleteRangeRequest, DeleteRangeResponse, RangeRequest, RangeResponse, SortOrder, SortTarget } from '../../src/mvcc/types.js';
import { mergeDeleteRange, mergeRange } from '../../src/router/merge.js';
import { isEmptySpan, rangeBounds, splitDeleteRange, splitRange } from '../../src/router/split_request.js';
import { Prng } from '../../src/util/prng.js';
import { kvStr, rangeReq } from '../mvcc/helpers.js';
import { b, s } from './helpers.js';
import { alphabet, hashWorld, randomKey, rangeWorld, type World } from './world.js';

const orders: SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const targets: SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];

/** A key range in one of etcd's encodings: single key, [a, b) (maybe empty), from key, all keys. */
function randomBounds(rng: Prng, w: World): { key: string; end: string } {
  const some = () => (rng.int(2) === 0 && w.keys.length > 0 ? w.keys[rng.int(w.keys.length)]! : randomKey(rng));
  switch (rng.int(6)) {
    case 0:
      return { key: some(), end: '' };
    case 1:
      return { key: some(), end: '\0' };
    case 2:
      return { key: '\0', end: '\0' };
    case 3:
      return { key: some(), end: some() + alphabet[rng.int(alphabet.length)] };
    default: {
      const [x, y] = [some(), some()];
      return rng.int(8) === 0 ? { key: x, end: y } : x < y ? { key: x, end: y } : { key: y, end: x + '\0' };
    }
  }
}

function randomRange(rng: Prng, w: World): RangeRequest {
  const rev = w.whole.currentRevision();
  const revOrZero = () => (rng.int(3) === 0 ? 1 + rng.int(rev) : 0);
  const { key, end } = randomBounds(rng, w);
  const filtered = rng.int(4) === 0;
  return rangeReq(key, {
    end,
    limit: rng.int(3) === 0 ? 0 : 1 + rng.int(8),
    revision: rng.int(4) === 0 ? 1 + rng.int(rev) : 0,
    sortOrder: orders[rng.int(orders.length)]!,
    sortTarget: targets[rng.int(targets.length)]!,
    keysOnly: rng.int(4) === 0,
    countOnly: rng.int(10) === 0,
    minModRevision: filtered ? revOrZero() : 0,
    maxModRevision: filtered ? revOrZero() : 0,
    minCreateRevision: filtered ? revOrZero() : 0,
    maxCreateRevision: filtered ? revOrZero() : 0,
  });
}

const show = (r: RangeResponse) => ({ kvs: r.kvs.map(kvStr), count: r.count, more: r.more, revision: r.revision });
const showDel = (r: DeleteRangeResponse) => ({ deleted: r.deleted, prevKvs: r.prevKvs.map(kvStr), revision: r.revision });

function describe(req: RangeRequest): string {
  const e = (u: Uint8Array) => JSON.stringify(s(u));
  return `${e(req.key)}..${e(req.rangeEnd)} limit ${req.limit} rev ${req.revision} ${req.sortOrder}/${req.sortTarget}` +
    `${req.keysOnly ? ' keysOnly' : ''}${req.countOnly ? ' countOnly' : ''}` +
    ` mod [${req.minModRevision}, ${req.maxModRevision}] create [${req.minCreateRevision}, ${req.maxCreateRevision}]`;
}

/** Routes req through the world's table, asks each part its piece, checks each piece stays in its region. */
function routedRange(w: World, req: RangeRequest): RangeResponse {
  const { start, end } = rangeBounds(req.key, req.rangeEnd);
  const route = w.table.regionsFor(start, end);
  assert.ok(route.complete, 'the world\'s table covers every key');
  const pieces = splitRange(req, route.regions);
  assert.ok(pieces.length > 0, 'every range goes somewhere');
  for (const p of pieces) checkInside(p.region, p.req.key, p.req.rangeEnd);
  return mergeRange(req, pieces.map((p) => w.parts.get(p.region.id)!.range(p.req)));
}

function routedDelete(w: World, req: DeleteRangeRequest): DeleteRangeResponse {
  const { start, end } = rangeBounds(req.key, req.rangeEnd);
  const pieces = splitDeleteRange(req, w.table.regionsFor(start, end).regions);
  for (const p of pieces) checkInside(p.region, p.req.key, p.req.rangeEnd);
  return mergeDeleteRange(pieces.map((p) => w.parts.get(p.region.id)!.deleteRange(p.req)));
}

function checkInside(r: World['regions'][number], key: Uint8Array, rangeEnd: Uint8Array): void {
  if (r.slots !== undefined) return;
  const span = rangeBounds(key, rangeEnd);
  if (isEmptySpan(span)) return assert.ok(compareKeys(key, r.start) >= 0 && (r.end.length === 0 || compareKeys(key, r.end) < 0));
  const clip = clipToRegion(r, span.start, span.end);
  assert.ok(clip !== undefined && compareKeys(clip.start, span.start) === 0 && compareKeys(clip.end, span.end) === 0, `piece for region ${r.id} leaves it`);
}

function checkWorld(w: World, rng: Prng, queriesN: number, seed: number): void {
  for (let q = 0; q < queriesN; q++) {
    const req = randomRange(rng, w);
    const want = show(w.whole.range(req));
    assert.deepEqual(show(routedRange(w, req)), want, `seed ${seed}, query ${q}: ${describe(req)}`);
  }
  // Last, a delete (it moves revisions apart where nothing was deleted), then everything again.
  const { key, end } = randomBounds(rng, w);
  const del: DeleteRangeRequest = { key: b(key), rangeEnd: b(end), prevKv: rng.int(4) > 0 };
  const got = showDel(routedDelete(w, del));
  assert.deepEqual(got, showDel(w.whole.deleteRange(del)), `seed ${seed}: delete ${JSON.stringify(key)}..${JSON.stringify(end)}`);
  const all = rangeReq('\0', { end: '\0' });
  assert.deepEqual(show(routedRange(w, all)), show(w.whole.range(all)), `seed ${seed}: after the delete`);
}

test('range mode: split, per-region answers and merge equal one store\'s answer for random ranges, limits, sorts and filters', (t) => {
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Prng(seed);
    const w = rangeWorld(t, rng, { regionsN: 1 + rng.int(6), writesN: 20 + rng.int(60) });
    checkWorld(w, rng, 80, seed);
  }
});

test('hash mode: scatter to every group and merge interleaved answers equal one store\'s answer', (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Prng(1000 + seed);
    const w = hashWorld(t, rng, { groupsN: 1 + rng.int(5), writesN: 20 + rng.int(60) });
    checkWorld(w, rng, 80, seed);
  }
});

// Region images (src/mvcc/range_image.ts): a span exported from one tablet and imported into
// another that hosts other regions reads, hashes and replays the same, leaving the others alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeImageError, type MvccStore } from '../../src/mvcc/index.js';
import type { Event } from '../../src/mvcc/types.js';
import { b, cmp, delReq, kvStr, newStore, opDel, opPut, putReq, rangeReq, s, txnReq } from './helpers.js';

const none = new Uint8Array(0);
// The region moved: [k, p). Others on the destination: [a, k) and [p, ∞).
const start = b('k');
const end = b('p');
const evStr = (e: Event): string => `${e.type} ${kvStr(e.kv)}${e.prevKv ? ` prev ${kvStr(e.prevKv)}` : ''}`;

/** The region's history on the source, at revisions 10, 20, ... (the destination's own use 11, 21, ...). */
function writeRegion(kv: MvccStore): void {
  kv.put(putReq('k1', 'a'), 10);
  kv.put(putReq('kkkkkkkk-long-1', 'long', { lease: 77n }), 20);
  kv.txn(txnReq([], [opPut('k2', 'b'), opPut('kkkkkkkk-long-2', 'x')]), 30);
  kv.put(putReq('k1', 'a2'), 40);
  kv.deleteRange(delReq('k2'), 50);
  kv.txn(txnReq([cmp('k1', 'VERSION', 'EQUAL', 2)], [opPut('m', ''), opDel('kkkkkkkk-long-2')]), 60);
  kv.put(putReq('k2', 'again'), 70);
  kv.put(putReq('o', 'edge'), 80);
}

/** Other regions' keys on the source, outside [k, p), interleaved with the region's revisions. */
function writeSourceOthers(kv: MvccStore): void {
  kv.put(putReq('a', 'src-only'), 15);
  kv.put(putReq('p', 'src-only'), 25);
}

/** The destination's own regions. */
function writeOthers(kv: MvccStore): void {
  kv.put(putReq('b', '1'), 11);
  kv.put(putReq('p', 'dest'), 21);
  kv.put(putReq('b', '2'), 31);
  kv.deleteRange(delReq('b'), 41);
  kv.put(putReq('zzz', 'x'), 51);
  kv.put(putReq('b', '3'), 91);
}

/** The destination's own regions, and a stale copy of [k, p) that an import must replace. */
function writeDestination(kv: MvccStore): void {
  writeOthers(kv);
  kv.put(putReq('k1', 'stale'), 13);
  kv.put(putReq('kz', 'stale'), 17);
}

/** The key-values of a read that lie outside [k, p). */
const outside = (kvs: string[]): string[] => kvs.filter((x) => x < 'k' || x >= 'p');

const read = (kv: MvccStore, rev: number, from: string, to: string): { kvs: string[]; count: number } => {
  const r = kv.range(rangeReq(from, { end: to, revision: rev }));
  return { kvs: r.kvs.map(kvStr), count: r.count };
};

test('an imported region reads, hashes and replays as on the tablet it came from; other regions are untouched', (t) => {
  const src = newStore(t, { inlineKeyBytesMax: 4 }).kv;
  writeSourceOthers(src);
  writeRegion(src);
  src.compactRange(30, start, end); // The region's own compaction: revisions <= 30 leave revs.
  const dst = newStore(t).kv; // Another layout of long keys: the image is logical.
  writeDestination(dst);
  const othersBefore = [11, 21, 41, 51, 91].map((rev) => outside(read(dst, rev, 'a', '\0').kvs));
  const hashA = dst.hashRange(none, start, 0);
  const hashP = dst.hashRange(end, none, 0);
  const eventsOthers = dst.eventsSince(b('a'), start, 1, 100).map(evStr);

  const chunkBytesMax = 48;
  const chunks = [...src.exportRange(start, end, { chunkBytesMax })];
  assert.ok(chunks.length > 5, `${chunks.length} chunks`);
  for (const c of chunks) assert.ok(c.length <= chunkBytesMax);
  dst.importRange(start, end, chunks);

  // The region: same history, same reads at every revision, same events.
  for (const rev of [0, 30, 40, 60, 80]) assert.equal(dst.hashRange(start, end, rev), src.hashRange(start, end, rev), `hash at ${rev}`);
  for (const rev of [10, 20, 30, 35, 40, 50, 60, 70, 80]) assert.deepEqual(read(dst, rev, 'k', 'p'), read(src, rev, 'k', 'p'), `read at ${rev}`);
  assert.deepEqual(read(dst, 80, 'k', 'p').kvs, ['k1=a2 10/40/2', 'k2=again 70/70/1', 'kkkkkkkk-long-1=long 20/20/1@77', 'm= 60/60/1', 'o=edge 80/80/1']);
  assert.deepEqual(read(dst, 30, 'k', 'p').kvs, ['k1=a 10/10/1', 'k2=b 30/30/1', 'kkkkkkkk-long-1=long 20/20/1@77', 'kkkkkkkk-long-2=x 30/30/1']);
  const replay = (kv: MvccStore, from: number): string[] => kv.eventsSince(start, end, from, 100).map(evStr);
  assert.deepEqual(replay(dst, 1), replay(src, 1));
  assert.deepEqual(replay(dst, 1)[0], 'PUT k1=a2 10/40/2 prev k1=a 10/10/1', 'revisions up to 30 were compacted out of revs');
  assert.deepEqual(replay(dst, 55), replay(src, 55));
  assert.equal(dst.countRange(start, end), src.countRange(start, end));
  assert.deepEqual(dst.splitKeys(start, end, { keys: 2 }).map(s), src.splitKeys(start, end, { keys: 2 }).map(s));
  assert.equal(dst.currentRevision(), 91, 'above the image’s newest revision already');

  // The other regions: as they were.
  assert.deepEqual([11, 21, 41, 51, 91].map((rev) => outside(read(dst, rev, 'a', '\0').kvs)), othersBefore);
  assert.equal(dst.hashRange(none, start, 0), hashA);
  assert.equal(dst.hashRange(end, none, 0), hashP);
  assert.deepEqual(dst.eventsSince(b('a'), start, 1, 100).map(evStr), eventsOthers);
  assert.equal(dst.keyCount(), 3 + 5, 'b, p and zzz, and the region’s five');
  assert.equal(dst.countRange(none, none), 3 + 5);

  // Both replicas apply the region's next writes and compaction alike.
  for (const kv of [src, dst]) {
    kv.put(putReq('k1', 'a3'), 100);
    kv.compactRange(70, start, end);
  }
  assert.equal(dst.hashRange(start, end, 0), src.hashRange(start, end, 0));
  assert.deepEqual(read(dst, 100, 'k', 'p'), read(src, 100, 'k', 'p'));
});

test('an import survives reopening the store, and an image of an empty span empties it', async (t) => {
  const src = newStore(t).kv;
  writeRegion(src);
  const { kv: dst, engine } = newStore(t);
  writeDestination(dst);
  dst.importRange(start, end, src.exportRange(start, end));
  const { MvccStore } = await import('../../src/mvcc/index.js');
  const again = new MvccStore(engine);
  assert.equal(again.hashRange(start, end, 0), src.hashRange(start, end, 0));
  assert.deepEqual(read(again, 45, 'k', 'p'), read(src, 45, 'k', 'p'));
  assert.equal(again.keyCount(), 3 + 5);

  const empty = newStore(t).kv;
  again.importRange(start, end, empty.exportRange(start, end));
  assert.deepEqual(read(again, 0, 'k', 'p').kvs, []);
  assert.equal(again.keyCount(), 3);
  assert.equal(engine.binaryTable('mvcc.history').count(), 6, "the destination's own revisions outside the span");
});

test('dropRange removes a span with its history, revs and tombstones, and nothing else', (t) => {
  const { kv, engine } = newStore(t);
  writeOthers(kv);
  writeRegion(kv);
  const hashA = kv.hashRange(none, start, 0);
  const hashP = kv.hashRange(end, none, 0);
  kv.dropRange(start, end);
  assert.deepEqual(read(kv, 0, 'k', 'p').kvs, []);
  assert.deepEqual(read(kv, 60, 'k', 'p').kvs, []);
  assert.deepEqual(kv.eventsSince(start, end, 1, 100), []);
  assert.equal(kv.hashRange(none, start, 0), hashA);
  assert.equal(kv.hashRange(end, none, 0), hashP);
  assert.equal(kv.keyCount(), 3);
  assert.equal(engine.binaryTable('mvcc.history').count(), 6);
  assert.equal(engine.binaryTable('mvcc.revs').count(), 6);
  assert.equal(engine.binaryTable('mvcc.graves').count(), 0, 'b is alive again; the region’s tombstones left');
});

test('leases of imported keys are attached, and those of dropped keys detached', (t) => {
  const calls: string[] = [];
  const hooks = {
    exists: () => true,
    attach: (id: bigint, k: Uint8Array) => calls.push(`attach ${id} ${s(k)}`),
    detach: (id: bigint, k: Uint8Array) => calls.push(`detach ${id} ${s(k)}`),
  };
  const src = newStore(t).kv;
  writeRegion(src);
  const dst = newStore(t, { leases: hooks }).kv;
  dst.importRange(start, end, src.exportRange(start, end));
  dst.dropRange(start, end);
  assert.deepEqual(calls, ['attach 77 kkkkkkkk-long-1', 'detach 77 kkkkkkkk-long-1']);
});

test('a malformed image is refused and the caller’s write leaves the span as it was', (t) => {
  const src = newStore(t).kv;
  writeRegion(src);
  const { kv: dst, engine } = newStore(t);
  writeDestination(dst);
  const before = dst.hashRange(none, none, 0);
  const chunks = [...src.exportRange(start, end, { chunkBytesMax: 64 })];
  const refused = (what: string, image: Uint8Array[], span: [Uint8Array, Uint8Array] = [start, end]): void => {
    assert.throws(() => engine.write(() => dst.importRange(span[0], span[1], image)), RangeImageError, what);
    assert.equal(dst.hashRange(none, none, 0), before, what);
  };
  refused('cut short', chunks.slice(0, -1));
  refused('cut inside a frame', [...chunks.slice(0, -1), chunks[chunks.length - 1]!.subarray(0, 3)]);
  refused('another span', chunks, [start, b('q')]);
  refused('not an image', [Uint8Array.of(0, 0, 0, 2, 0xc1, 0xc1)]);
  refused('nothing at all', []);
  const twice = [...chunks, ...chunks];
  refused('an image after its end', twice);
  assert.deepEqual(read(dst, 0, 'k', 'p').kvs, ['k1=stale 13/13/1', 'kz=stale 17/17/1']);
});

test('one key whose history is larger than a chunk crosses chunks', (t) => {
  const src = newStore(t).kv;
  const big = 'v'.repeat(5000);
  src.put(putReq('k', big), 2);
  src.put(putReq('k', big + big), 3);
  const chunks = [...src.exportRange(none, none, { chunkBytesMax: 1000 })];
  assert.ok(chunks.length >= 15);
  assert.ok(chunks.slice(0, -1).every((c) => c.length === 1000));
  const dst = newStore(t).kv;
  dst.importRange(none, none, chunks);
  assert.deepEqual(read(dst, 2, 'k', ''), read(src, 2, 'k', ''));
  assert.equal(dst.hashRange(none, none, 0), src.hashRange(none, none, 0));
  assert.equal(dst.hash(), src.hash(), 'the whole tablet is the span here');
});

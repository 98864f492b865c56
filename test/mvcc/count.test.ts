// Range counts at the newest revision come from two native counts (index entries minus
// tombstones, src/mvcc/keyspace.ts countLive); here they are checked against a model of the live
// keys through random puts, deletes, compactions, reopenings and buckets of long keys.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MvccStore } from '../../src/mvcc/index.js';
import { compareBytes } from '../../src/storage/index.js';
import { Prng } from '../../src/util/prng.js';
import { b, newStore, putReq, rangeReq } from './helpers.js';

/** Keys over a small alphabet; some longer than the 4-byte inline limit, so they share buckets. */
function randomKey(rng: Prng): string {
  const n = 1 + rng.int(7);
  let k = '';
  for (let i = 0; i < n; i++) k += 'abc'[rng.int(3)];
  return k;
}

test('counts at the newest revision match the live keys through random writes, deletes and compactions', (t) => {
  const { kv, engine } = newStore(t, { inlineKeyBytesMax: 4 });
  let store = kv;
  const rng = new Prng(42);
  const live = new Set<string>();
  const inRange = (k: string, start: string, end: string) => compareBytes(b(k), b(start)) >= 0 && (end === '\0' || compareBytes(b(k), b(end)) < 0);
  for (let step = 0; step < 1500; step++) {
    const k = randomKey(rng);
    const op = rng.int(10);
    if (op < 6) {
      store.put(putReq(k, `v${step}`));
      live.add(k);
    } else if (op < 9) {
      const end = rng.int(2) === 0 ? '' : randomKey(rng);
      store.deleteRange({ key: b(k), rangeEnd: b(end), prevKv: false });
      if (end === '') live.delete(k);
      else for (const x of [...live]) if (inRange(x, k, end)) live.delete(x);
    } else if (rng.int(4) === 0) {
      if (store.currentRevision() > store.compactRevision()) store.compact(store.currentRevision());
    } else if (rng.int(8) === 0) {
      // Reopen: the tombstones are read from the table, not remembered.
      store = new MvccStore(engine, { inlineKeyBytesMax: 4 });
    }
    if (step % 10 !== 0) continue;
    const start = randomKey(rng);
    const end = rng.int(3) === 0 ? '\0' : randomKey(rng);
    const want = [...live].filter((x) => inRange(x, start, end)).length;
    assert.equal(store.range(rangeReq(start, { end, countOnly: true })).count, want, `count_only [${start}, ${end}) at step ${step}`);
    const limited = store.range(rangeReq(start, { end, limit: 2 }));
    assert.equal(limited.count, want, `count with limit [${start}, ${end}) at step ${step}`);
    assert.equal(limited.more, want > 2);
  }
});

test('a store written before tombstones were tracked apart finds them when it opens', (t) => {
  const { kv, engine } = newStore(t);
  for (const k of ['a', 'b', 'c', 'd']) kv.put(putReq(k, 'v'));
  kv.deleteRange({ key: b('b'), rangeEnd: b('d'), prevKv: false });
  // Forget the tombstones and the flag saying they are kept, as an older store had neither.
  const graves = engine.binaryTable('mvcc.graves');
  const meta = engine.table<Record<string, unknown>>('mvcc.meta', { keys: 'string' });
  engine.write(() => {
    graves.removeRange(undefined, undefined);
    const { graves: _g, ...old } = meta.get('state')!;
    meta.put('state', old);
  });
  const reopened = new MvccStore(engine);
  assert.equal(reopened.range(rangeReq('a', { end: '\0', countOnly: true })).count, 2);
  assert.equal(graves.count(), 2);
});

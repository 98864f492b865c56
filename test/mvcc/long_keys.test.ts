// Keys longer than an LMDB key (etcd accepts up to the 1.5 MiB request limit) keep etcd's
// bytewise order in ranges, sorts, deletes and compaction. See src/mvcc/keyspace.ts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareBytes } from '../../src/storage/index.js';
import { Prng } from '../../src/util/prng.js';
import { delReq, newStore, putReq, rangeReq } from './helpers.js';

const prefix = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);
function key(shared: number, tail: number[], extra = 0): Uint8Array {
  const k = new Uint8Array(shared + tail.length + extra);
  k.set(prefix(shared));
  k.set(tail, shared);
  return k;
}
const hex = (k: Uint8Array): string => `${k.length}:${Buffer.from(k.subarray(Math.max(0, k.length - 6))).toString('hex')}`;
/** etcd's encoding: rangeEnd [0] means every key from `start` on. */
const inModelRange = (k: Uint8Array, start: Uint8Array, end: Uint8Array): boolean =>
  compareBytes(k, start) >= 0 && ((end.length === 1 && end[0] === 0) || compareBytes(k, end) < 0);
const sortKeys = (ks: Uint8Array[]): Uint8Array[] => [...ks].sort(compareBytes);

test('4 KiB and 100 KiB keys sharing long prefixes come back in key order, with short keys between', (t) => {
  const { kv } = newStore(t);
  const keys = [
    key(4096, [2]),
    key(4096, [1]),
    key(4096, [1, 0]),
    key(4096, []),
    key(100 * 1024, [5]),
    key(100 * 1024, [4, 9]),
    key(100 * 1024 - 1, [0x62]),
    key(200, [7]),
    key(4096, [0]),
    key(4095, [0x62]),
  ];
  keys.forEach((k, i) => kv.put(putReq(k, `v${i}`)));
  const all = kv.range(rangeReq('\0', { end: '\0' }));
  assert.deepEqual(all.kvs.map((x) => hex(x.key)), sortKeys(keys).map(hex));
  assert.equal(all.count, keys.length);
  // Every key reads back by itself, with its own value.
  keys.forEach((k, i) => assert.equal(Buffer.from(kv.range(rangeReq(k)).kvs[0]!.value).toString(), `v${i}`));
  // A range bounded by long keys in the middle of a bucket.
  const sorted = sortKeys(keys);
  const mid = kv.range(rangeReq(sorted[2]!, { end: sorted[6]! }));
  assert.deepEqual(mid.kvs.map((x) => hex(x.key)), sorted.slice(2, 6).map(hex));
  const desc = kv.range(rangeReq('\0', { end: '\0', sortOrder: 'DESCEND', limit: 3 }));
  assert.deepEqual(desc.kvs.map((x) => hex(x.key)), [...sorted].reverse().slice(0, 3).map(hex));
  assert.equal(desc.more, true);
});

test('long keys are deleted by range, recreated, compacted and replayed like short ones', (t) => {
  const { kv } = newStore(t);
  const k1 = key(5000, [1]);
  const k2 = key(5000, [2]);
  kv.put(putReq(k1, 'a'));
  kv.put(putReq(k2, 'b'));
  const d = kv.deleteRange({ key: key(5000, [0]), rangeEnd: key(5000, [2]), prevKv: true });
  assert.deepEqual([d.deleted, d.prevKvs.map((x) => hex(x.key))], [1, [hex(k1)]]);
  kv.put(putReq(k1, 'c'));
  assert.equal(kv.range(rangeReq(k1)).kvs[0]!.version, 1);
  kv.compact(kv.currentRevision());
  assert.deepEqual(kv.range(rangeReq('\0', { end: '\0' })).kvs.map((x) => Buffer.from(x.value).toString()), ['c', 'b']);
  assert.throws(() => kv.eventsSince(k1, new Uint8Array(0), 1, 100), /compacted/);
  assert.deepEqual(kv.eventsSince(k1, new Uint8Array(0), kv.currentRevision() + 1, 100), []);
});

test('a value of 1.5 MiB is stored and read back whole', (t) => {
  const { kv } = newStore(t);
  const v = new Uint8Array(1.5 * 1024 * 1024).map((_, i) => i % 251);
  kv.put(putReq('big', v));
  assert.deepEqual(Buffer.compare(kv.range(rangeReq('big')).kvs[0]!.value, v), 0);
});

test('matches a sorted-list model under random puts, deletes and ranges over short and long keys', (t) => {
  // A tiny inline size puts most keys in buckets, so ranks, renumbering and bucket bounds are exercised.
  const { kv } = newStore(t, { inlineKeyBytesMax: 3 });
  const seed = 7;
  const rand = new Prng(seed);
  const alphabet = [0x00, 0x01, 0x61, 0x62, 0xff];
  const randKey = (): Uint8Array => {
    const n = 1 + rand.int(8);
    return Uint8Array.from({ length: n }, () => alphabet[rand.int(alphabet.length)]!);
  };
  const model = new Map<string, string>();
  const modelKeys = (): Uint8Array[] => sortKeys([...model.keys()].map((k) => Buffer.from(k, 'hex')));
  for (let step = 0; step < 1500; step++) {
    const op = rand.int(10);
    const k = randKey();
    if (op < 6) {
      // Sequential appends at the end of a bucket now and then, to exhaust rank gaps.
      const kk = op === 0 ? Uint8Array.from([0x61, 0x61, 0x61, ...Buffer.from(String(step).padStart(6, '0'))]) : k;
      kv.put(putReq(kk, `s${step}`));
      model.set(Buffer.from(kk).toString('hex'), `s${step}`);
    } else if (op < 8) {
      const end = randKey();
      kv.deleteRange({ key: k, rangeEnd: end, prevKv: false });
      for (const mk of modelKeys()) if (inModelRange(mk, k, end)) model.delete(Buffer.from(mk).toString('hex'));
    } else {
      const end = rand.chance(0.2) ? Uint8Array.of(0) : randKey();
      const got = kv.range({ ...rangeReq(k), rangeEnd: end });
      const want = modelKeys().filter((mk) => inModelRange(mk, k, end));
      assert.deepEqual(
        got.kvs.map((x) => `${hex(x.key)}=${Buffer.from(x.value).toString()}`),
        want.map((mk) => `${hex(mk)}=${model.get(Buffer.from(mk).toString('hex'))}`),
        `seed ${seed} step ${step} range ${Buffer.from(k).toString('hex')}..${Buffer.from(end).toString('hex')}`,
      );
    }
  }
  assert.equal(kv.keyCount(), model.size);
  const all = kv.range(rangeReq('\0', { end: '\0' }));
  assert.deepEqual(all.kvs.map((x) => hex(x.key)), modelKeys().map(hex));
});

test('refuses to reopen a store with a different inline key size', async (t) => {
  const { engine } = newStore(t, { inlineKeyBytesMax: 16 });
  const { MvccStore } = await import('../../src/mvcc/index.js');
  assert.throws(() => new MvccStore(engine, { inlineKeyBytesMax: 32 }), /was created with inlineKeyBytesMax 16/);
  assert.doesNotThrow(() => new MvccStore(engine));
});

test('deletes the right keys from a bucket', (t) => {
  const { kv } = newStore(t, { inlineKeyBytesMax: 2 });
  for (const k of ['abc', 'abd', 'abe', 'ab', 'abcc']) kv.put(putReq(k, k));
  kv.deleteRange(delReq('abc', 'abd'));
  assert.deepEqual(
    kv.range(rangeReq('a', { end: 'b' })).kvs.map((x) => Buffer.from(x.key).toString()),
    ['ab', 'abd', 'abe'],
  );
});

test('keeps bucket order when inserts keep landing in the same gap (ranks are renumbered)', (t) => {
  const { kv } = newStore(t, { inlineKeyBytesMax: 2 });
  kv.put(putReq('abA', 'lo'));
  kv.put(putReq('abB', 'hi'));
  // Each key sorts just after "abA" and before the previous one: the gap halves every time.
  const inserted: string[] = [];
  for (let i = 0; i < 200; i++) {
    const k = `abA${String(999 - i).padStart(3, '0')}`;
    kv.put(putReq(k, k));
    inserted.push(k);
  }
  const got = kv.range(rangeReq('ab', { end: 'ac' })).kvs.map((x) => Buffer.from(x.key).toString());
  assert.deepEqual(got, ['abA', ...inserted.reverse(), 'abB']);
  assert.equal(kv.range(rangeReq('abA900')).kvs.length, 1);
});

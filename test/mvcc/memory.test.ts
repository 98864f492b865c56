// History lives in LMDB: the store keeps no per-key or per-revision structure in memory. Heap
// sizes are not measurable reliably inside a test, so this counts, by walking the store's own
// objects, every array element, Map/Set entry and object property it holds (the LMDB-backed
// tables are handles whose data lives in the memory map, not on the JS heap, and are not walked).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryTable, Engine, Table } from '../../src/storage/index.js';
import { newStore, putReq, rangeReq } from './helpers.js';

function entriesHeld(root: object): number {
  const seen = new Set<object>();
  let n = 0;
  const walk = (x: unknown): void => {
    if (typeof x !== 'object' || x === null || seen.has(x)) return;
    if (x instanceof Engine || x instanceof BinaryTable || x instanceof Table || ArrayBuffer.isView(x)) return;
    seen.add(x);
    if (x instanceof Map) {
      n += x.size;
      for (const [k, v] of x) (walk(k), walk(v));
    } else if (x instanceof Set) {
      n += x.size;
      for (const v of x) walk(v);
    } else {
      for (const v of Object.values(x)) {
        n++;
        walk(v);
      }
    }
  };
  walk(root);
  return n;
}

test('100k keys and their revisions add nothing the store holds in memory', (t) => {
  const { kv, engine } = newStore(t);
  const value = new Uint8Array(16);
  const before = entriesHeld(kv);
  for (let batch = 0; batch < 10; batch++) {
    engine.write(() => {
      for (let i = 0; i < 10_000; i++) kv.put(putReq(`key-${batch}-${i}`, value));
    });
    kv.drainEvents();
  }
  kv.range(rangeReq('\0', { end: '\0', countOnly: true }));
  assert.equal(kv.keyCount(), 100_000);
  const after = entriesHeld(kv);
  assert.ok(after <= before, `the store holds ${after} entries after 100k puts, ${before} before`);
  assert.ok(after < 100, `the store holds ${after} entries`);
});

// The keyspace's span helpers used by the split check (countEntries, lastKey) against a model,
// with buckets of long keys on either side of the bounds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keyspace } from '../../src/mvcc/keyspace.js';
import { compareBytes } from '../../src/storage/index.js';
import { Prng } from '../../src/util/prng.js';
import { tempEngine } from '../storage/tmp.js';
import { b, s } from './helpers.js';

function randomKey(rng: Prng): string {
  const n = 1 + rng.int(7);
  let k = '';
  for (let i = 0; i < n; i++) k += 'abc'[rng.int(3)];
  return k;
}

test('countEntries and lastKey agree with a model over long and short keys and bounds', (t) => {
  const { engine } = tempEngine(t);
  const ks = new Keyspace(engine.binaryTable('t.index'), 4, engine.binaryTable('t.graves'));
  const rng = new Prng(7);
  const keys = new Set<string>();
  engine.write(() => {
    for (let i = 0; i < 400; i++) {
      const k = randomKey(rng);
      if (keys.has(k)) continue;
      keys.add(k);
      ks.insert(b(k), { id: i + 1, createRev: 2, modMain: 2, modSub: 0, version: 1, lease: 0n, alive: rng.int(3) !== 0 });
    }
  });
  const sorted = [...keys].sort((x, y) => compareBytes(b(x), b(y)));
  for (let i = 0; i < 300; i++) {
    const start = rng.int(10) === 0 ? '' : randomKey(rng);
    const end = rng.int(5) === 0 ? undefined : randomKey(rng);
    const want = sorted.filter((k) => compareBytes(b(k), b(start)) >= 0 && (end === undefined || compareBytes(b(k), b(end)) < 0));
    const span = `[${start}, ${end ?? '∞'})`;
    assert.equal(ks.countEntries(b(start), end === undefined ? undefined : b(end)), want.length, `count ${span}`);
    const last = ks.lastKey(b(start), end === undefined ? undefined : b(end));
    assert.equal(last === undefined ? undefined : s(last), want[want.length - 1], `last ${span}`);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureTables, ImageError, installTables } from '../../src/storage/index.js';
import { tempEngine } from './tmp.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

test('an image installed into another engine reproduces the tables exactly and drops what was there', (t) => {
  const a = tempEngine(t).engine;
  const b = tempEngine(t).engine;
  const [a1, a2] = [a.binaryTable('one'), a.binaryTable('two')];
  const [b1, b2] = [b.binaryTable('one'), b.binaryTable('two')];
  a.write(() => {
    for (let i = 0; i < 500; i++) a1.put(bytes(`k${String(i).padStart(3, '0')}`), bytes(`v${i}`));
    a2.put(Uint8Array.of(0, 255), new Uint8Array(70_000).fill(7));
  });
  b.write(() => {
    b1.put(bytes('stale'), bytes('x'));
    b2.put(bytes('k000'), bytes('other table'));
  });
  const image = captureTables([a1, a2]);
  const r = b.write(() => installTables([b1, b2], image));
  assert.equal(r.keys, 501);
  assert.equal(b1.count(), 500);
  assert.equal(text(b1.get(bytes('k042'))), 'v42');
  assert.equal(b1.get(bytes('stale')), undefined);
  assert.equal(b2.count(), 1);
  assert.deepEqual(new Uint8Array(b2.get(Uint8Array.of(0, 255))!), new Uint8Array(70_000).fill(7));
  // Key order survives.
  assert.deepEqual([...b1.keys()].map((k) => text(k)), [...a1.keys()].map((k) => text(k)));
});

test('capture reads the committed state, not later writes', (t) => {
  const { engine } = tempEngine(t);
  const tbl = engine.binaryTable('t');
  engine.write(() => tbl.put(bytes('a'), bytes('1')));
  const image = captureTables([tbl]);
  engine.write(() => tbl.put(bytes('b'), bytes('2')));
  engine.write(() => installTables([tbl], image));
  assert.deepEqual([...tbl.keys()].map((k) => text(k)), ['a']);
});

test('an image of other tables, or not an image, is refused before anything is written', (t) => {
  const { engine } = tempEngine(t);
  const [x, y] = [engine.binaryTable('x'), engine.binaryTable('y')];
  engine.write(() => y.put(bytes('keep'), bytes('me')));
  const imageOfX = captureTables([x]);
  assert.throws(() => engine.write(() => installTables([x, y], imageOfX)), ImageError);
  assert.throws(() => engine.write(() => installTables([y], Uint8Array.of(0x93, 1, 2, 3))), ImageError);
  assert.equal(text(y.get(bytes('keep'))), 'me');
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { openEngine } from '../../src/storage/index.js';
import { tempDir, tempEngine } from './tmp.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('a write commits every change of its callback together', (t) => {
  const { engine } = tempEngine(t);
  const tbl = engine.binaryTable('t');
  engine.write(() => {
    tbl.put(bytes('a'), bytes('1'));
    tbl.put(bytes('b'), bytes('2'));
  });
  assert.deepEqual(Buffer.from(tbl.get(bytes('a'))!).toString(), '1');
  assert.deepEqual(Buffer.from(tbl.get(bytes('b'))!).toString(), '2');
});

test('a write whose callback throws keeps nothing and tells rollback listeners', (t) => {
  const { engine } = tempEngine(t);
  const tbl = engine.binaryTable('t');
  let rolledBack = 0;
  engine.onRollback(() => rolledBack++);
  assert.throws(
    () =>
      engine.write(() => {
        tbl.put(bytes('a'), bytes('1'));
        assert.ok(tbl.has(bytes('a')), 'the transaction sees its own write');
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(tbl.get(bytes('a')), undefined);
  assert.equal(rolledBack, 1);
  assert.equal(engine.rollbackCount, 1);
});

test('writes outside engine.write are refused', (t) => {
  const { engine } = tempEngine(t);
  const tbl = engine.binaryTable('t');
  assert.throws(() => tbl.put(bytes('a'), bytes('1')), /outside engine.write/);
});

test('engine.write is not reentrant', (t) => {
  const { engine } = tempEngine(t);
  assert.throws(() => engine.write(() => engine.write(() => 1)), /not reentrant/);
});

test('typed tables store msgpack values under string or byte keys, bigints included', (t) => {
  const { engine } = tempEngine(t);
  const leases = engine.table<{ ttl: number; id: bigint; keys: Uint8Array[] }>('leases', { keys: 'string' });
  const meta = engine.table<number>('meta');
  engine.write(() => {
    leases.put('l1', { ttl: 10, id: 1_800_000_000_000_000_001n, keys: [bytes('k')] });
    leases.put('l2', { ttl: 20, id: 2n, keys: [] });
    meta.put(bytes('\x00x'), 2 ** 52);
  });
  const l1 = leases.get('l1')!;
  assert.equal(l1.id, 1_800_000_000_000_000_001n);
  assert.equal(l1.ttl, 10);
  assert.deepEqual([...l1.keys[0]!], [...bytes('k')]);
  assert.equal(meta.get(bytes('\x00x')), 2 ** 52);
  assert.deepEqual(
    [...leases.range({ start: 'l' })].map((e) => e.key),
    ['l1', 'l2'],
  );
  engine.write(() => assert.equal(leases.remove('l1'), true));
  assert.equal(leases.get('l1'), undefined);
});

test('ranges are ordered bytewise, with exclusive ends and reverse order', (t) => {
  const { engine } = tempEngine(t);
  const tbl = engine.binaryTable('t');
  engine.write(() => {
    for (const k of ['b', 'a', 'ab', 'a\x00', 'c']) tbl.put(bytes(k), bytes(k));
  });
  const keys = (it: Iterable<Uint8Array>): string[] => [...it].map((k) => Buffer.from(k).toString('latin1'));
  assert.deepEqual(keys(tbl.keys()), ['a', 'a\x00', 'ab', 'b', 'c']);
  assert.deepEqual(keys(tbl.keys({ start: bytes('a\x00'), end: bytes('b') })), ['a\x00', 'ab']);
  assert.deepEqual(keys(tbl.keys({ start: bytes('b'), end: bytes('a'), reverse: true })), ['b', 'ab', 'a\x00']);
  engine.write(() => assert.equal(tbl.removeRange(bytes('a'), bytes('b')), 3));
  assert.deepEqual(keys(tbl.keys()), ['b', 'c']);
});

test('committed writes are there after the engine is reopened', async () => {
  const dir = tempDir();
  try {
    const e1 = openEngine({ path: dir });
    const tbl = e1.table<string>('t', { keys: 'string' });
    e1.write(() => tbl.put('k', 'v'));
    await e1.close();
    const e2 = openEngine({ path: dir });
    assert.equal(e2.table<string>('t', { keys: 'string' }).get('k'), 'v');
    await e2.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the data file size and the bytes in use grow with the data and in-use never exceeds the file', (t) => {
  const { engine } = tempEngine(t);
  const tbl = engine.binaryTable('t');
  const before = engine.sizeInUseBytes();
  engine.write(() => {
    for (let i = 0; i < 1000; i++) tbl.put(bytes(`key-${i}`), new Uint8Array(1000));
  });
  const inUse = engine.sizeInUseBytes();
  assert.ok(inUse > before + 1000 * 1000, `in use ${inUse} after 1 MB of values`);
  assert.ok(engine.sizeBytes() >= inUse, `file ${engine.sizeBytes()} < in use ${inUse}`);
  engine.write(() => tbl.removeRange(undefined, undefined));
  assert.ok(engine.sizeInUseBytes() < inUse / 10, 'deleting frees the pages');
});

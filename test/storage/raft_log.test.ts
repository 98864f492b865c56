import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { CompactedError, SnapOutOfDateError, UnavailableError } from '../../src/raft/errors.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { emptyConfState, type Entry, type Index, type Snapshot, type Term } from '../../src/raft/types.js';
import { openEngine, RaftLogStore } from '../../src/storage/index.js';
import { Prng } from '../../src/util/prng.js';
import { tempDir, tempEngine } from './tmp.js';

const ent = (index: number, term: number, data = `e${index}`): Entry => ({
  index: index as Index,
  term: term as Term,
  type: 'normal',
  data: new TextEncoder().encode(data),
});

function snap(index: number, term: number, voters: number[] = [1, 2, 3]): Snapshot {
  return {
    metadata: { index: index as Index, term: term as Term, confState: { ...emptyConfState(), voters } },
    data: new TextEncoder().encode(`state@${index}`),
  };
}

test('a fresh group has an empty log at index 0 and an empty hard state', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 7);
  assert.equal(log.firstIndex(), 1);
  assert.equal(log.lastIndex(), 0);
  assert.equal(log.term(0 as Index), 0);
  assert.deepEqual(log.initialState().hardState, { term: 0, vote: 0, commit: 0 });
  assert.throws(() => log.entries(1 as Index, 1 as Index, Infinity), UnavailableError);
});

test('append replaces a conflicting suffix and keeps the prefix', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 1);
  engine.write(() => log.append([ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)]));
  engine.write(() => log.append([ent(3, 2, 'new3')]));
  assert.equal(log.lastIndex(), 3);
  assert.equal(log.term(3 as Index), 2);
  const got = log.entries(1 as Index, 4 as Index, Infinity);
  assert.deepEqual(
    got.map((e) => [e.index, e.term, Buffer.from(e.data).toString()]),
    [
      [1, 1, 'e1'],
      [2, 1, 'e2'],
      [3, 2, 'new3'],
    ],
  );
  assert.throws(() => engine.write(() => log.append([ent(5, 2)])), /missing log entry/);
});

test('compact keeps the term of the compaction point and refuses to go back', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 1);
  engine.write(() => log.append([ent(1, 1), ent(2, 2), ent(3, 3)]));
  engine.write(() => log.compact(2 as Index));
  assert.equal(log.firstIndex(), 3);
  assert.equal(log.term(2 as Index), 2);
  assert.throws(() => log.term(1 as Index), CompactedError);
  assert.throws(() => log.entries(2 as Index, 3 as Index, Infinity), CompactedError);
  assert.throws(() => engine.write(() => log.compact(2 as Index)), CompactedError);
});

test('entries returns at least one entry and stops at maxBytes', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 1);
  engine.write(() => log.append([ent(1, 1, 'x'.repeat(100)), ent(2, 1, 'x'.repeat(100)), ent(3, 1, 'x'.repeat(100))]));
  assert.equal(log.entries(1 as Index, 4 as Index, 0).length, 1);
  assert.equal(log.entries(1 as Index, 4 as Index, 250).length, 2);
  assert.equal(log.entries(1 as Index, 4 as Index, Infinity).length, 3);
  assert.throws(() => log.entries(1 as Index, 5 as Index, Infinity), UnavailableError);
});

test('applying a snapshot empties the log, sets the configuration and rejects older snapshots', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 1);
  engine.write(() => log.append([ent(1, 1), ent(2, 1)]));
  engine.write(() => log.applySnapshot(snap(10, 3, [4, 5])));
  assert.equal(log.firstIndex(), 11);
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.term(10 as Index), 3);
  assert.deepEqual(log.initialState().confState.voters, [4, 5]);
  assert.equal(Buffer.from(log.snapshot().data).toString(), 'state@10');
  assert.throws(() => engine.write(() => log.applySnapshot(snap(9, 3))), SnapOutOfDateError);
  engine.write(() => log.append([ent(11, 3)]));
  assert.equal(log.lastIndex(), 11);
});

test('createSnapshot records the term of its index and the current configuration', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 1);
  engine.write(() => {
    log.append([ent(1, 1), ent(2, 2), ent(3, 2)]);
    log.setConfState({ ...emptyConfState(), voters: [1, 2] });
  });
  const s = engine.write(() => log.createSnapshot(2 as Index, undefined, new Uint8Array([9])));
  assert.deepEqual([s.metadata.index, s.metadata.term, s.metadata.confState.voters], [2, 2, [1, 2]]);
  assert.deepEqual([...log.snapshot().data], [9]);
  assert.throws(() => engine.write(() => log.createSnapshot(2 as Index, undefined, new Uint8Array())), SnapOutOfDateError);
});

test('groups sharing an engine do not see each other', (t) => {
  const { engine } = tempEngine(t);
  const a = new RaftLogStore(engine, 1);
  const b = new RaftLogStore(engine, 2);
  engine.write(() => {
    a.append([ent(1, 1), ent(2, 1)]);
    b.append([ent(1, 5)]);
    a.setHardState({ term: 1 as Term, vote: 1, commit: 2 as Index });
    b.setHardState({ term: 5 as Term, vote: 3, commit: 0 as Index });
  });
  assert.equal(a.lastIndex(), 2);
  assert.equal(b.lastIndex(), 1);
  assert.equal(b.term(1 as Index), 5);
  assert.deepEqual(RaftLogStore.groups(engine), [1, 2]);
  engine.write(() => b.destroy());
  assert.deepEqual(RaftLogStore.groups(engine), [1]);
  assert.equal(a.hardState().vote, 1);
});

test('a rolled-back write leaves the cached last index as it was', (t) => {
  const { engine } = tempEngine(t);
  const log = new RaftLogStore(engine, 1);
  engine.write(() => log.append([ent(1, 1)]));
  assert.throws(() =>
    engine.write(() => {
      log.append([ent(2, 1), ent(3, 1)]);
      throw new Error('apply failed');
    }),
  );
  assert.equal(log.lastIndex(), 1);
  assert.equal(log.applied(), 0);
});

test('hard state, configuration, applied index, log and snapshot survive a restart', async () => {
  const dir = tempDir();
  try {
    const e1 = openEngine({ path: dir });
    const l1 = new RaftLogStore(e1, 3);
    e1.write(() => {
      l1.applySnapshot(snap(5, 2));
      l1.append([ent(6, 2), ent(7, 3)]);
      l1.setHardState({ term: 3 as Term, vote: 2, commit: 7 as Index });
      l1.setApplied(6 as Index);
      l1.compact(6 as Index);
    });
    await e1.close();
    const e2 = openEngine({ path: dir });
    const l2 = new RaftLogStore(e2, 3);
    assert.deepEqual(l2.initialState().hardState, { term: 3, vote: 2, commit: 7 });
    assert.deepEqual(l2.initialState().confState.voters, [1, 2, 3]);
    assert.equal(l2.applied(), 6);
    assert.equal(l2.firstIndex(), 7);
    assert.equal(l2.lastIndex(), 7);
    assert.equal(l2.term(6 as Index), 2);
    assert.equal(l2.term(7 as Index), 3);
    assert.equal(l2.snapshot().metadata.index, 5);
    await e2.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('behaves like MemoryStorage under random appends, compactions and snapshots', (t) => {
  const { engine } = tempEngine(t);
  const seed = 20240611;
  const rand = new Prng(seed);
  const mem = new MemoryStorage();
  const lmdb = new RaftLogStore(engine, 42);
  let term = 1;
  const outcome = (f: () => unknown): string => {
    try {
      const r = f();
      const norm = Array.isArray(r) ? (r as Entry[]).map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString()]) : r;
      return JSON.stringify(norm);
    } catch (e) {
      return (e as Error).constructor.name;
    }
  };
  for (let step = 0; step < 400; step++) {
    const last = mem.lastIndex();
    const first = mem.firstIndex();
    const op = rand.int(10);
    if (op < 6) {
      if (rand.chance(0.3)) term++;
      const from = Math.max(first, last + 1 - rand.int(4));
      const n = 1 + rand.int(4);
      const es = Array.from({ length: n }, (_, k) => ent(from + k, term, `s${step}`));
      mem.append(es);
      engine.write(() => lmdb.append(es));
    } else if (op < 8 && last > first) {
      const i = (first + rand.int(last - first)) as Index;
      mem.compact(i);
      engine.write(() => lmdb.compact(i));
    } else if (op === 8) {
      const s = snap(last + 1 + rand.int(3), term);
      mem.applySnapshot(s);
      engine.write(() => lmdb.applySnapshot(s));
    }
    const ctx = `seed ${seed} step ${step}`;
    assert.equal(lmdb.firstIndex(), mem.firstIndex(), ctx);
    assert.equal(lmdb.lastIndex(), mem.lastIndex(), ctx);
    for (let i = mem.firstIndex() - 2; i <= mem.lastIndex() + 1; i++) {
      assert.equal(outcome(() => lmdb.term(i as Index)), outcome(() => mem.term(i as Index)), `${ctx} term(${i})`);
    }
    const lo = (mem.firstIndex() - 1 + rand.int(3)) as Index;
    const hi = (lo + rand.int(6)) as Index;
    const maxBytes = rand.int(200);
    assert.equal(outcome(() => lmdb.entries(lo, hi, maxBytes)), outcome(() => mem.entries(lo, hi, maxBytes)), `${ctx} entries(${lo}, ${hi})`);
  }
});

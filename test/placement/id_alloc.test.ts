import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdAllocator } from '../../placement/id_alloc.js';
import { PersistedBound } from '../../placement/persisted_bound.js';

function slot() {
  const s = {
    value: undefined as number | undefined,
    saves: [] as number[],
    fail: false,
    save: async (v: number) => {
      await Promise.resolve();
      if (s.fail) throw new Error('not leader');
      s.saves.push(v);
      s.value = v;
    },
  };
  return s;
}

test('the first ID is 1, and the batch end is saved before it is handed out', async () => {
  const s = slot();
  const ids = new IdAllocator({ savedEnd: undefined, save: s.save, batchCount: 100 });
  assert.equal(await ids.allocate(), 1);
  assert.deepEqual(s.saves, [101]);
  assert.equal(await ids.allocate(3), 2);
  assert.equal(await ids.allocate(), 5);
});

test('a restart starts at the saved end and never reuses an ID', async () => {
  const s = slot();
  const seen = new Set<number>();
  for (let run = 0; run < 10; run++) {
    const ids = new IdAllocator({ savedEnd: s.value, save: s.save, batchCount: 16 });
    for (let i = 0; i < 1 + run * 7; i++) {
      const first = await ids.allocate(1 + (i % 3));
      for (let k = 0; k < 1 + (i % 3); k++) {
        assert.ok(!seen.has(first + k), `ID ${first + k} reused after ${run} restarts`);
        seen.add(first + k);
        assert.ok(first + k < s.value!, 'handed out an ID past the saved end');
      }
    }
  }
});

test('a request bigger than a batch saves far enough for all of it', async () => {
  const s = slot();
  const ids = new IdAllocator({ savedEnd: undefined, save: s.save, batchCount: 10 });
  assert.equal(await ids.allocate(25), 1);
  assert.ok(s.value! >= 26);
  assert.equal(await ids.allocate(), 26);
});

test('concurrent allocations get distinct IDs', async () => {
  const ids = new IdAllocator({ savedEnd: undefined, save: slot().save, batchCount: 4 });
  const got = await Promise.all(Array.from({ length: 100 }, () => ids.allocate()));
  assert.equal(new Set(got).size, 100);
});

test('tryNext hands out only what is saved; refillIfLow tops it up', async () => {
  const s = slot();
  const ids = new IdAllocator({ savedEnd: undefined, save: s.save, batchCount: 4 });
  assert.equal(ids.tryNext(), undefined, 'nothing saved yet');
  await ids.refillIfLow();
  assert.deepEqual([ids.tryNext(), ids.tryNext(), ids.tryNext()], [1, 2, 3]);
  await ids.refillIfLow(); // 1 left < half a batch
  assert.equal(ids.readyCount, 4); // [4, 8)
  assert.equal(await ids.allocate(), 4);
});

test('a failed save keeps the bound; the next call saves again', async () => {
  const s = slot();
  const ids = new IdAllocator({ savedEnd: undefined, save: s.save, batchCount: 2 });
  await ids.allocate(2);
  s.fail = true;
  await assert.rejects(ids.allocate(), /not leader/);
  s.fail = false;
  assert.equal(await ids.allocate(), 3);
});

test('persisted bounds are saved one at a time and in increasing order', async () => {
  const order: number[] = [];
  let inFlight = 0;
  const bound = new PersistedBound(0, async (v) => {
    inFlight++;
    assert.equal(inFlight, 1, 'two saves at once');
    await new Promise((r) => setImmediate(r));
    order.push(v);
    inFlight--;
  });
  await Promise.all([bound.raiseTo(10), bound.raiseTo(30), bound.raiseTo(20), bound.raiseTo(5)]);
  assert.deepEqual(order, [10, 30]);
  assert.equal(bound.value, 30);
});

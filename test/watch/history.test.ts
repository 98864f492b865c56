// Watchers that start in the past catch up from history, then follow live revisions, without a
// gap or a duplicate, however catch-up steps and publishes interleave.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng } from '../../src/util/prng.js';
import type { Write } from './fake_kv.js';
import { Harness, show } from './harness.js';

describe('watch history', () => {
  test('a start revision in the past replays history, then live events', () => {
    const h = new Harness();
    h.write({ put: 'k' }); // 2
    h.write({ put: 'x' }); // 3
    h.write({ put: 'k' }); // 4
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    assert.equal(c.got.length, 1, 'only created until the catch-up step runs');
    h.sched.runDue();
    h.write({ put: 'k' }); // 5
    assert.deepEqual(c.events(id), ['PUT k@2', 'PUT k@4', 'PUT k@5']);
    assert.deepEqual(h.hub.counts, { synced: 1, unsynced: 0 });
  });

  test('history is read in chunks of batchEventsMax, one response per chunk', () => {
    const h = new Harness({ batchEventsMax: 3 });
    for (let i = 0; i < 10; i++) h.write({ put: 'k' }); // 2..11
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    h.sched.runDue();
    assert.deepEqual(c.of(id).slice(1).map((r) => r.events.length), [3, 3, 3, 1]);
    assert.deepEqual(c.events(id), Array.from({ length: 10 }, (_, i) => `PUT k@${i + 2}`));
  });

  test('a revision is never split across responses, even when it is larger than the batch', () => {
    const h = new Harness({ batchEventsMax: 2 });
    h.write({ put: 'p1' }); // 2
    h.write({ put: 'p1' }, { put: 'p2' }, { put: 'p3' }, { put: 'p4' }, { put: 'p5' }); // 3
    h.write({ put: 'p2' }); // 4
    const c = h.session();
    const id = c.watch('p', { end: 'q', startRevision: 2 });
    h.sched.runDue();
    h.write({ put: 'p1' }, { put: 'p2' }, { put: 'p3' }); // 5
    const revsPerResponse = c.of(id).slice(1).map((r) => [...new Set(r.events.map((e) => e.kv.modRevision))]);
    const seen = new Map<number, number>();
    for (const revs of revsPerResponse) for (const r of revs) seen.set(r, (seen.get(r) ?? 0) + 1);
    assert.deepEqual([...seen.values()], [1, 1, 1, 1], `each revision in one response: ${JSON.stringify(revsPerResponse)}`);
    assert.equal(c.events(id).length, 1 + 5 + 1 + 3);
  });

  test('a start revision in the future waits for it', () => {
    const h = new Harness();
    const c = h.session();
    const id = c.watch('k', { startRevision: 4 });
    h.write({ put: 'k' }); // 2
    h.write({ put: 'k' }); // 3
    h.write({ put: 'k' }); // 4
    h.write({ put: 'k' }); // 5
    assert.deepEqual(c.events(id), ['PUT k@4', 'PUT k@5']);
  });

  test('publishes during catch-up are neither lost nor repeated', () => {
    const h = new Harness({ batchEventsMax: 2 });
    for (let i = 0; i < 6; i++) h.write({ put: 'k' }); // 2..7
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    h.sched.runOne(); // 2, 3
    h.write({ put: 'k' }); // 8: the watcher is unsynced and must not get it now
    h.sched.runOne(); // 4, 5
    h.write({ put: 'k' }); // 9
    h.sched.runDue(); // 6, 7 / 8, 9 / joins
    h.write({ put: 'k' }); // 10, live
    assert.deepEqual(c.events(id), Array.from({ length: 9 }, (_, i) => `PUT k@${i + 2}`));
  });

  test('a store ahead of the last publish: catch-up stops at the published revision, publish brings the rest', () => {
    const h = new Harness();
    h.write({ put: 'k' }); // 2
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    h.kv.apply({ put: 'k' }); // 3 applied, not yet published
    h.sched.runDue();
    assert.deepEqual(c.events(id), ['PUT k@2']);
    h.publish();
    assert.deepEqual(c.events(id), ['PUT k@2', 'PUT k@3']);
  });

  test('watchers of one range from one revision share history reads', () => {
    const h = new Harness({ batchEventsMax: 1000 });
    for (let i = 0; i < 5; i++) h.write({ put: 'k' });
    const c = h.session();
    const ids = Array.from({ length: 50 }, () => c.watch('k', { startRevision: 2 }));
    h.sched.runDue();
    assert.ok(h.kv.reads <= 2, `${h.kv.reads} reads for 50 watchers`);
    for (const id of ids) assert.equal(c.events(id).length, 5);
  });

  test('random interleavings of writes, publishes, catch-up steps and new watchers: exactly the expected events', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = new Prng(seed);
      const h = new Harness({ batchEventsMax: 1 + rand.int(4), syncReadsPerStepMax: 1 + rand.int(3) });
      const keys = ['a', 'ab', 'b', 'c'];
      const specs: Array<{ c: ReturnType<Harness['session']>; id: number; start: number; key: string; end?: string }> = [];
      const clients = [h.session(), h.session()];
      for (let step = 0; step < 300; step++) {
        const r = rand.int(10);
        if (r < 4) {
          const n = 1 + rand.int(3);
          const ws: Write[] = [];
          for (let i = 0; i < n; i++) {
            const k = keys[rand.int(keys.length)]!;
            ws.push(rand.int(4) === 0 ? { del: k } : { put: k });
          }
          h.kv.apply(...ws);
          if (rand.int(2) === 0) h.publish();
        } else if (r < 5) {
          h.publish();
        } else if (r < 8) {
          h.sched.runOne();
        } else if (specs.length < 12) {
          const c = clients[rand.int(2)]!;
          const start = rand.int(3) === 0 ? 0 : 1 + rand.int(h.hub.revision + 2);
          const [key, end] = rand.int(2) === 0 ? [keys[rand.int(keys.length)]!, undefined] : ['a', 'b'];
          const id = c.watch(key, { startRevision: start, ...(end === undefined ? {} : { end }) });
          specs.push({ c, id, start: start === 0 ? h.hub.revision + 1 : start, key, ...(end === undefined ? {} : { end }) });
        }
      }
      h.publish();
      h.sched.runDue();
      for (const s of specs) {
        const expected = h.kv.log
          .filter((e) => e.kv.modRevision >= s.start)
          .filter((e) => {
            const k = new TextDecoder().decode(e.kv.key);
            return s.end === undefined ? k === s.key : k >= s.key && k < s.end;
          })
          .map(show);
        assert.deepEqual(s.c.events(s.id), expected, `seed ${seed}, watcher ${JSON.stringify({ ...s, c: undefined })}`);
      }
      assert.equal(h.hub.counts.unsynced, 0, `seed ${seed}`);
    }
  });
});

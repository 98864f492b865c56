// A client that stops reading costs a bounded queue; its watchers fall back to history and, once
// it reads again, get every event exactly once, in order.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng } from '../../src/util/prng.js';
import { Harness, show } from './harness.js';

describe('watch slow consumers', () => {
  test('a paused session queues at most sessionResponsesQueuedMax event responses', () => {
    const h = new Harness({ sessionResponsesQueuedMax: 4 });
    let open = true;
    const c = h.session({ accept: () => open });
    const id = c.watch('k');
    const other = c.watch('x');
    open = false;
    h.write({ put: 'k' }); // 2: sent, and the client says "stop"
    let maxQueued = 0;
    for (let i = 0; i < 50; i++) {
      h.write({ put: 'k' }, { put: 'x' });
      h.sched.runDue();
      maxQueued = Math.max(maxQueued, c.session.queued);
    }
    assert.ok(maxQueued <= 4, `queued ${maxQueued}`);
    assert.equal(h.hub.counts.unsynced, 2, 'both watchers fell back to history');
    open = true;
    c.session.resume();
    h.sched.runDue();
    h.write({ put: 'k' }); // live again
    assert.deepEqual(c.events(id), Array.from({ length: 52 }, (_, i) => `PUT k@${i + 2}`));
    assert.deepEqual(c.events(other), Array.from({ length: 50 }, (_, i) => `PUT x@${i + 3}`));
    assert.deepEqual(h.hub.counts, { synced: 2, unsynced: 0 });
  });

  test('a slow session does not hold back another session', () => {
    const h = new Harness({ sessionResponsesQueuedMax: 2 });
    const slow = h.session({ accept: () => false });
    const fast = h.session();
    slow.watch('k');
    const f = fast.watch('k');
    for (let i = 0; i < 10; i++) h.write({ put: 'k' });
    h.sched.runDue();
    assert.equal(fast.events(f).length, 10);
    assert.ok(slow.got.length <= 1 + 1 + 2, 'created, one accepted, two queued');
  });

  test('random pauses and resumes, with catch-up: every watcher gets exactly its events in order', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = new Prng(seed);
      const h = new Harness({ sessionResponsesQueuedMax: 1 + rand.int(3), batchEventsMax: 1 + rand.int(3) });
      let open = true;
      let pausing = false;
      const c = h.session({ accept: () => (open = !pausing || rand.int(3) !== 0) });
      const keys = ['a', 'b', 'c'];
      const ws = keys.map((k) => ({ k, id: c.watch(k, { startRevision: 1 }) }));
      const prefix = c.watch('a', { end: 'c' });
      pausing = true;
      for (let step = 0; step < 400; step++) {
        const r = rand.int(6);
        if (r < 3) h.write({ put: keys[rand.int(3)]! }, ...(rand.int(2) === 0 ? [{ put: keys[rand.int(3)]! }] : []));
        else if (r < 5) h.sched.runOne();
        else if (!open) {
          open = true;
          c.session.resume();
        }
        assert.ok(c.session.queued <= 3 + 4, `seed ${seed}: queued ${c.session.queued}`);
      }
      // Drain: keep resuming until everything is delivered.
      pausing = false;
      for (let i = 0; i < 10_000 && (h.hub.counts.unsynced > 0 || c.session.queued > 0); i++) {
        c.session.resume();
        h.sched.runDue();
      }
      for (const { k, id } of ws) {
        const expected = h.kv.log.filter((e) => new TextDecoder().decode(e.kv.key) === k).map(show);
        assert.deepEqual(c.events(id), expected, `seed ${seed} key ${k}`);
      }
      const inPrefix = h.kv.log.filter((e) => e.kv.modRevision > 1 && 'ab'.includes(new TextDecoder().decode(e.kv.key))).map(show);
      assert.deepEqual(c.events(prefix), inPrefix, `seed ${seed} prefix`);
    }
  });
});

// Progress: requested (one response of watch ID -1) and periodic (progress_notify).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Harness } from './harness.js';

describe('watch progress', () => {
  test('a progress request is answered with watch ID -1 at the current revision', () => {
    const h = new Harness();
    h.write({ put: 'k' });
    const c = h.session();
    c.watch('k');
    c.session.progress();
    assert.deepEqual(c.got.at(-1), {
      revision: 2, watchId: -1, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [],
    });
  });

  test('a progress request waits until every watcher of the session caught up, and follows its events', () => {
    const h = new Harness({ batchEventsMax: 1 });
    for (let i = 0; i < 3; i++) h.write({ put: 'k' }); // 2..4
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    c.session.progress();
    assert.equal(c.got.filter((r) => r.watchId === -1).length, 0, 'not yet: the watcher has not seen revision 4');
    h.sched.runDue();
    const order = c.got.map((r) => (r.watchId === -1 ? 'progress' : r.events.map((e) => e.kv.modRevision).join(',')));
    assert.deepEqual(order, ['', '2', '3', '4', 'progress']);
    assert.equal(c.got.at(-1)!.revision, 4);
    assert.equal(c.events(id).length, 3);
  });

  test('a pending progress request is answered when the unsynced watcher is canceled', () => {
    const h = new Harness();
    h.write({ put: 'k' });
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    c.session.progress();
    c.session.cancel(id);
    assert.deepEqual(c.got.slice(1).map((r) => [r.watchId, r.canceled]), [[id, true], [-1, false]]);
  });

  test('progress_notify sends an empty response to a synced watcher idle for one interval', () => {
    const h = new Harness({ progressIntervalMs: 1000 });
    const c = h.session();
    const idle = c.watch('idle', { progressNotify: true });
    const busy = c.watch('busy', { progressNotify: true });
    const quiet = c.watch('idle');
    h.sched.advance(500);
    h.write({ put: 'busy' }); // 2
    h.sched.advance(500); // tick 1: busy had events, idle did not
    assert.deepEqual(c.of(idle).slice(1).map((r) => [r.revision, r.events.length]), [[2, 0]]);
    assert.equal(c.of(busy).length, 2, 'created + its event, no notification');
    h.sched.advance(1000); // tick 2: both idle
    assert.equal(c.of(idle).length, 3);
    assert.equal(c.of(busy).length, 3);
    assert.equal(c.of(quiet).length, 1, 'not asked for');
  });

  test('no progress notification while a watcher is still catching up', () => {
    const h = new Harness({ progressIntervalMs: 1000 });
    h.write({ put: 'k' });
    const c = h.session();
    h.sched.holdImmediate = true;
    const id = c.watch('k', { startRevision: 2, progressNotify: true });
    h.sched.advance(5000);
    assert.equal(c.of(id).length, 1, 'only created: an unsynced watcher has not seen the current revision');
    h.sched.holdImmediate = false;
    h.sched.advance(2000); // caught up (events count as activity), then one idle interval
    assert.deepEqual(c.of(id).slice(1).map((r) => [r.revision, r.events.length]), [[2, 1], [2, 0]]);
  });

  test('the progress timer stops when no watcher wants notifications', () => {
    const h = new Harness();
    const c = h.session();
    const id = c.watch('k', { progressNotify: true });
    assert.equal(h.sched.pending, 1);
    c.session.cancel(id);
    h.sched.advance(1000);
    assert.equal(h.sched.pending, 0);
  });
});

// Watchers whose start revision was compacted away, as etcd 3.4 answers them:
// created, then {canceled: true, compact_revision: N} with header revision 0.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Harness } from './harness.js';

describe('watch and compaction', () => {
  test('a start revision below the compaction revision: created, then canceled with compact_revision', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.write({ put: 'k' }); // 2..6
    h.kv.compact(4);
    const c = h.session();
    c.session.create({ key: new TextEncoder().encode('k'), rangeEnd: new Uint8Array(0), startRevision: 3, progressNotify: false, filters: [], prevKv: false, watchId: 0, fragment: false });
    assert.deepEqual(c.got, [
      { revision: 6, watchId: 0, created: true, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [] },
      { revision: 0, watchId: 0, created: false, canceled: true, compactRevision: 4, cancelReason: '', fragment: false, events: [] },
    ]);
    h.write({ put: 'k' });
    h.sched.runDue();
    assert.equal(c.got.length, 2);
    assert.deepEqual(h.hub.counts, { synced: 0, unsynced: 0 });
  });

  test('the compaction revision itself is still watchable, as in etcd', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.write({ put: 'k' }); // 2..6
    h.kv.compact(4);
    const c = h.session();
    const id = c.watch('k', { startRevision: 4 });
    h.sched.runDue();
    assert.ok(c.of(id).every((r) => !r.canceled));
    // The fake store, like ours, refuses to read at the compaction revision: 5 and 6 follow.
    assert.deepEqual(c.events(id), ['PUT k@5', 'PUT k@6']);
  });

  test('a compaction while a watcher catches up cancels it at its next read', () => {
    const h = new Harness({ batchEventsMax: 1 });
    for (let i = 0; i < 6; i++) h.write({ put: 'k' }); // 2..7
    const c = h.session();
    const id = c.watch('k', { startRevision: 2 });
    const other = c.watch('k');
    h.sched.runOne(); // 2
    h.kv.compact(5);
    h.sched.runDue();
    const last = c.of(id).at(-1)!;
    assert.deepEqual({ canceled: last.canceled, compactRevision: last.compactRevision }, { canceled: true, compactRevision: 5 });
    assert.deepEqual(c.events(id), ['PUT k@2']);
    h.write({ put: 'k' });
    assert.deepEqual(c.events(id), ['PUT k@2'], 'nothing after the cancel');
    assert.deepEqual(c.events(other), ['PUT k@8'], 'the synced watcher is untouched');
  });
});

// Creating, matching, filtering and canceling watchers.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { duplicateIdReason } from '../../src/watch/session.js';
import { create, Harness } from './harness.js';

describe('watch basics', () => {
  test('the created response comes first, at the current revision, then events in revision order', () => {
    const h = new Harness();
    h.write({ put: 'a' }); // rev 2
    const c = h.session();
    const id = c.watch('a');
    assert.deepEqual(c.got[0], {
      revision: 2, watchId: 0, created: true, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [],
    });
    h.write({ put: 'a' });
    h.write({ put: 'b' });
    h.write({ del: 'a' });
    assert.deepEqual(c.events(id), ['PUT a@3', 'DELETE a@5']);
    assert.deepEqual(c.of(id).map((r) => r.revision), [2, 3, 5]);
  });

  test('the server picks IDs from 0, skipping IDs the client chose', () => {
    const h = new Harness();
    const c = h.session();
    assert.equal(c.watch('a'), 0);
    assert.equal(c.watch('a', { watchId: 2 }), 2);
    assert.equal(c.watch('a'), 1);
    assert.equal(c.watch('a'), 3);
    const other = h.session();
    assert.equal(other.watch('a'), 0, 'IDs are per session');
  });

  test('a duplicate client ID gets etcd answer: ID -1, created and canceled with a reason', () => {
    const h = new Harness();
    const c = h.session();
    c.watch('a', { watchId: 7 });
    c.session.create(create('b', { watchId: 7 }));
    assert.deepEqual(c.got[1], {
      revision: 1, watchId: -1, created: true, canceled: true, compactRevision: 0,
      cancelReason: duplicateIdReason, fragment: false, events: [],
    });
    assert.equal(duplicateIdReason, 'mvcc: duplicate watch ID provided on the WatchStream');
    h.write({ put: 'b' });
    assert.equal(c.got.length, 2, 'no watcher was made for the refused request');
  });

  test('a range whose end is not after its key is refused as etcd does', () => {
    const h = new Harness();
    const c = h.session();
    c.session.create(create('b', { end: 'a' }));
    c.session.create(create('a', { end: 'a' }));
    for (const r of c.got) {
      assert.equal(r.watchId, -1);
      assert.ok(r.created && r.canceled);
      assert.equal(r.cancelReason, 'mvcc: watcher range is empty');
    }
    assert.equal(c.got.length, 2);
  });

  test('a single-key watch sees only that key', () => {
    const h = new Harness();
    const c = h.session();
    const id = c.watch('ab');
    h.write({ put: 'a' }, { put: 'ab' }, { put: 'abc' });
    assert.deepEqual(c.events(id), ['PUT ab@2']);
  });

  test('a range watch sees [key, rangeEnd) and a prefix watch (end = prefix + 1) sees the prefix', () => {
    const h = new Harness();
    const c = h.session();
    const range = c.watch('b', { end: 'd' });
    const prefix = c.watch('fo', { end: 'fp' });
    h.write({ put: 'a' }, { put: 'b' }, { put: 'c9' }, { put: 'd' }, { put: 'f' }, { put: 'fo' }, { put: 'foo' }, { put: 'fp' });
    assert.deepEqual(c.events(range), ['PUT b@2', 'PUT c9@2']);
    assert.deepEqual(c.events(prefix), ['PUT fo@2', 'PUT foo@2']);
  });

  test('rangeEnd [0] watches every key from key on; key "" means "\\x00", so "" with [0] is everything', () => {
    const h = new Harness();
    const c = h.session();
    const from = c.watch('m', { end: '\0' });
    const all = c.watch('', { end: '\0' });
    const empty = c.watch('');
    h.write({ put: 'a' }, { put: 'm' }, { put: 'zz' }, { put: '\0' });
    assert.deepEqual(c.events(from), ['PUT m@2', 'PUT zz@2']);
    assert.deepEqual(c.events(all), ['PUT a@2', 'PUT m@2', 'PUT zz@2', 'PUT \0@2']);
    assert.deepEqual(c.events(empty), ['PUT \0@2']);
  });

  test('NOPUT and NODELETE filter events, and a revision left empty sends nothing', () => {
    const h = new Harness();
    const c = h.session();
    const noPut = c.watch('k', { filters: ['NOPUT'] });
    const noDel = c.watch('k', { filters: ['NODELETE'] });
    h.write({ put: 'k' });
    h.write({ del: 'k' });
    assert.deepEqual(c.events(noPut), ['DELETE k@3']);
    assert.deepEqual(c.events(noDel), ['PUT k@2']);
    assert.equal(c.of(noPut).length, 2, 'created + one event response');
  });

  test('prevKv is sent only to watchers that asked for it', () => {
    const h = new Harness();
    h.write({ put: 'k', value: 'one' });
    const c = h.session();
    const plain = c.watch('k');
    const withPrev = c.watch('k', { prevKv: true });
    h.write({ put: 'k', value: 'two' });
    h.write({ del: 'k' });
    const a = c.of(plain).flatMap((r) => r.events);
    const b = c.of(withPrev).flatMap((r) => r.events);
    assert.ok(a.every((e) => e.prevKv === undefined));
    assert.deepEqual(b.map((e) => new TextDecoder().decode(e.prevKv?.value)), ['one', 'two']);
    assert.equal(b[1]!.type, 'DELETE');
  });

  test('cancel answers canceled, stops events, and frees the ID; an unknown ID gets no answer', () => {
    const h = new Harness();
    const c = h.session();
    const id = c.watch('k');
    h.write({ put: 'k' });
    c.session.cancel(id);
    c.session.cancel(42);
    h.write({ put: 'k' });
    const rs = c.of(id);
    assert.equal(rs.length, 3);
    assert.deepEqual({ canceled: rs[2]!.canceled, revision: rs[2]!.revision, events: rs[2]!.events }, { canceled: true, revision: 2, events: [] });
    assert.equal(c.got.length, 3, 'nothing for 42');
    assert.equal(c.watch('k'), 1, 'auto IDs never go back to a freed one');
    assert.deepEqual(h.hub.counts, { synced: 1, unsynced: 0 });
  });

  test('a closed session is sent nothing more and leaves no watcher behind', () => {
    const h = new Harness();
    const c = h.session();
    c.watch('k');
    c.watch('a', { end: 'z' });
    c.watch('k', { startRevision: 1 });
    c.session.close();
    h.write({ put: 'k' });
    h.sched.runDue();
    assert.equal(c.got.length, 3);
    assert.deepEqual(h.hub.counts, { synced: 0, unsynced: 0 });
  });

  test('a cancel from inside the send callback takes effect before the next response', () => {
    const h = new Harness();
    let session: { cancel(id: number): void } | undefined;
    const got: number[] = [];
    const s = h.hub.openSession((r) => {
      got.push(r.watchId);
      if (r.events.length > 0 && r.watchId === 0) session!.cancel(1);
    });
    session = s;
    s.create(create('k'));
    s.create(create('k'));
    h.write({ put: 'k' });
    assert.deepEqual(got, [0, 1, 0, 1], 'created 0, created 1, events 0, canceled 1; no events for 1');
  });
});

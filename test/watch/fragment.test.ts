// Fragments: only for watchers that ask, and then a large response is split in order.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventBytes, fragmentEvents } from '../../src/watch/fragment.js';
import { Harness } from './harness.js';

const big = 'x'.repeat(400);

describe('watch fragments', () => {
  test('a large revision goes as fragments marked fragment: true except the last', () => {
    const h = new Harness({ fragmentBytesMax: 1000 });
    const c = h.session();
    const frag = c.watch('p', { end: 'q', fragment: true });
    const whole = c.watch('p', { end: 'q' });
    h.write(...Array.from({ length: 7 }, (_, i) => ({ put: `p${i}`, value: big })));
    const parts = c.of(frag).slice(1);
    assert.ok(parts.length > 1, 'split');
    assert.deepEqual(parts.map((r) => r.fragment), [...Array(parts.length - 1).fill(true), false]);
    assert.ok(parts.every((r) => r.events.length >= 1));
    assert.deepEqual(c.events(frag), Array.from({ length: 7 }, (_, i) => `PUT p${i}@2`));
    const w = c.of(whole).slice(1);
    assert.equal(w.length, 1, 'a watcher that did not ask gets one response, however large');
    assert.equal(w[0]!.fragment, false);
    assert.equal(w[0]!.events.length, 7);
  });

  test('a small response is not fragmented, and a single large event stands alone', () => {
    const h = new Harness({ fragmentBytesMax: 1000 });
    const c = h.session();
    const id = c.watch('p', { end: 'q', fragment: true });
    h.write({ put: 'p1' }, { put: 'p2' });
    h.write({ put: 'p3', value: 'y'.repeat(5000) });
    assert.deepEqual(c.of(id).slice(1).map((r) => [r.events.length, r.fragment]), [[2, false], [1, false]]);
  });

  test('each fragment stays within the limit when its events fit', () => {
    const h = new Harness();
    h.kv.apply(...Array.from({ length: 20 }, (_, i) => ({ put: `k${i}`, value: 'v'.repeat(i * 30) })));
    const events = h.kv.drain();
    const limit = 1500;
    const parts = fragmentEvents(events, limit);
    assert.deepEqual(parts.flat(), events);
    for (const p of parts) {
      const size = 64 + p.reduce((s, e) => s + eventBytes(e), 0);
      assert.ok(p.length === 1 || size <= limit, `fragment of ${size} bytes`);
    }
  });
});

// Many watchers: each event reaches exactly the watchers whose range holds its key.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Harness } from './harness.js';

describe('watch fan-out', () => {
  test('10,000 watchers on one prefix across 100 sessions each get every event once, in order', () => {
    const h = new Harness();
    const clients = Array.from({ length: 100 }, () => h.session());
    const ids = clients.map((c) => Array.from({ length: 100 }, () => c.watch('app/', { end: 'app0' })));
    h.write({ put: 'app/a' });
    h.write({ put: 'other' });
    h.write({ put: 'app/b' }, { put: 'app0' });
    h.write({ del: 'app/a' });
    clients.forEach((c, i) => {
      for (const id of ids[i]!) assert.deepEqual(c.events(id), ['PUT app/a@2', 'PUT app/b@4', 'DELETE app/a@5']);
      assert.equal(c.got.length, 100 + 100 * 3);
    });
  });

  test('10,000 single-key watchers: an event reaches only the watchers of its key', () => {
    const h = new Harness();
    const c = h.session();
    const ids = Array.from({ length: 10_000 }, (_, i) => c.watch(`key/${i}`));
    h.write({ put: 'key/42' }, { put: 'key/9999' }, { put: 'key/10000' });
    const withEvents = ids.filter((id) => c.events(id).length > 0);
    assert.deepEqual(withEvents, [ids[42], ids[9999]]);
    assert.equal(c.got.length, 10_000 + 2);
  });

  test('a mix of single keys, nested prefixes and from-key ranges matches a brute-force check', () => {
    const h = new Harness();
    const c = h.session();
    const specs: Array<{ id: number; key: string; end?: string }> = [];
    for (let i = 0; i < 2_000; i++) {
      const depth = i % 4;
      const key = `p${i % 7}`.padEnd(2 + depth, `${i % 3}`);
      const kind = i % 3;
      if (kind === 0) specs.push({ id: c.watch(key), key });
      else if (kind === 1) {
        const end = key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1);
        specs.push({ id: c.watch(key, { end }), key, end });
      } else specs.push({ id: c.watch(key, { end: '\0' }), key, end: '\0' });
    }
    const keys = ['p0', 'p00', 'p0000', 'p1', 'p11', 'p2', 'p21', 'p3333', 'p6', 'p7', 'a', 'z'];
    for (const k of keys) h.write({ put: k });
    for (const s of specs) {
      const expected = keys
        .map((k, i) => ({ k, rev: i + 2 }))
        .filter(({ k }) => (s.end === undefined ? k === s.key : k >= s.key && (s.end === '\0' || k < s.end)))
        .map(({ k, rev }) => `PUT ${k}@${rev}`);
      assert.deepEqual(c.events(s.id), expected, JSON.stringify(s));
    }
  });
});

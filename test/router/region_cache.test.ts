// RegionCache: lookups, gaps, and how splits, merges, stale epochs and region errors change it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegionCache } from '../../src/router/region_cache.js';
import { Prng } from '../../src/util/prng.js';
import { b, peer, region, rid, s, shapes } from './helpers.js';

const idAt = (c: RegionCache, key: string): number | undefined => c.locate(b(key))?.id;

test('locates keys at region boundaries, with an empty start and an empty end', () => {
  const c = new RegionCache([region(1, '', 'g'), region(2, 'g', 'p'), region(3, 'p', '')]);
  assert.equal(idAt(c, '\0'), 1);
  assert.equal(idAt(c, 'f\xff'), 1);
  assert.equal(idAt(c, 'g'), 2);
  assert.equal(idAt(c, 'o'), 2);
  assert.equal(idAt(c, 'p'), 3);
  assert.equal(idAt(c, '\xff\xff\xff'), 3);
  c.check();
});

test('reports the keys between cached regions as gaps, in key order', () => {
  const c = new RegionCache([region(1, 'c', 'g'), region(3, 'p', 't')]);
  assert.equal(idAt(c, 'a'), undefined);
  assert.equal(idAt(c, 'k'), undefined);
  assert.equal(idAt(c, 'u'), undefined);
  const route = c.regionsFor(b('a'), b(''));
  assert.deepEqual(shapes(route.regions), ['1:[c,g) v1', '3:[p,t) v1']);
  assert.equal(route.complete, false);
  assert.deepEqual(route.gaps.map((g) => [s(g.start), s(g.end)]), [['a', 'c'], ['g', 'p'], ['t', '']]);
  const inside = c.regionsFor(b('d'), b('e'));
  assert.deepEqual(shapes(inside.regions), ['1:[c,g) v1']);
  assert.equal(inside.complete, true);
  assert.deepEqual(c.regionsFor(b('h'), b('i')).gaps.map((g) => [s(g.start), s(g.end)]), [['h', 'i']]);
});

test('routes a range ending exactly at a region start to the regions before it only', () => {
  const c = new RegionCache([region(1, '', 'g'), region(2, 'g', 'p'), region(3, 'p', '')]);
  assert.deepEqual(shapes(c.regionsFor(b('a'), b('g')).regions), ['1:[,g) v1']);
  assert.deepEqual(shapes(c.regionsFor(b('g'), b('p\0')).regions), ['2:[g,p) v1', '3:[p,) v1']);
  assert.deepEqual(shapes(c.regionsFor(b('b'), b('')).regions), ['1:[,g) v1', '2:[g,p) v1', '3:[p,) v1']);
});

test('routes an empty range (end before start) as its start key', () => {
  const c = new RegionCache([region(1, '', 'g'), region(2, 'g', '')]);
  const route = c.regionsFor(b('k'), b('b'));
  assert.deepEqual(shapes(route.regions), ['2:[g,) v1']);
  assert.equal(route.complete, true);
});

test('a split replaces one region by two', () => {
  const c = new RegionCache([region(1, '', '')]);
  c.update([region(1, '', 'm', { version: 2 }), region(2, 'm', '', { version: 2 })]);
  assert.deepEqual(shapes(c.regions()), ['1:[,m) v2', '2:[m,) v2']);
  c.check();
});

test('the new half of a split learnt first evicts the parent, leaving a gap until the other half comes', () => {
  const c = new RegionCache([region(1, '', '')]);
  c.update([region(2, 'm', '', { version: 2 })]);
  assert.deepEqual(shapes(c.regions()), ['2:[m,) v2']);
  assert.equal(c.regionsFor(b('a'), b('')).complete, false);
  c.update([region(1, '', 'm', { version: 2 })]);
  assert.deepEqual(shapes(c.regions()), ['1:[,m) v2', '2:[m,) v2']);
  c.check();
});

test('a merge replaces two regions by one and a stale source is not re-inserted', () => {
  const c = new RegionCache([region(1, '', 'm', { version: 2 }), region(2, 'm', '', { version: 2 })]);
  c.update([region(1, '', '', { version: 3 })]);
  assert.deepEqual(shapes(c.regions()), ['1:[,) v3']);
  c.update([region(2, 'm', '', { version: 2 })]);
  assert.deepEqual(shapes(c.regions()), ['1:[,) v3']);
  assert.equal(c.get(rid(2)), undefined);
  c.check();
});

test('ignores a region whose epoch is older than the cached one of the same ID', () => {
  const c = new RegionCache([region(1, '', 'm', { version: 2 }), region(2, 'm', '', { version: 2 })]);
  c.update([region(1, '', '', { version: 1 })]);
  assert.deepEqual(shapes(c.regions()), ['1:[,m) v2', '2:[m,) v2']);
  // Newer version but older confVer: not at least as new in both parts, so ignored too.
  c.update([region(1, '', 'm', { version: 3, confVer: 0 })]);
  assert.deepEqual(shapes(c.regions()), ['1:[,m) v2', '2:[m,) v2']);
});

test('a membership change (confVer) replaces the region and keeps its leader while it is still a peer', () => {
  const c = new RegionCache([region(1, '', '')]);
  assert.equal(c.setLeader(rid(1), peer(12)), true);
  c.update([region(1, '', '', { confVer: 2, peers: [peer(12, 2), peer(14, 4)] })]);
  assert.equal(c.leaderOf(rid(1))?.id, 12);
  c.update([region(1, '', '', { confVer: 3, peers: [peer(14, 4), peer(15, 5)] })]);
  assert.equal(c.leaderOf(rid(1)), undefined);
});

test('setLeader refuses unknown regions and peers', () => {
  const c = new RegionCache([region(1, '', '')]);
  assert.equal(c.setLeader(rid(2), peer(21)), false);
  assert.equal(c.setLeader(rid(1), peer(99)), false);
  assert.equal(c.leaderOf(rid(1)), undefined);
  assert.equal(c.setLeader(rid(1), peer(13)), true);
  assert.deepEqual(c.leaderOf(rid(1)), peer(13, 3));
});

test('invalidate forgets a region and leaves a gap', () => {
  const c = new RegionCache([region(1, '', 'g'), region(2, 'g', 'p'), region(3, 'p', '')]);
  c.invalidate(rid(2));
  c.invalidate(rid(9));
  assert.equal(idAt(c, 'k'), undefined);
  assert.deepEqual(shapes(c.regions()), ['1:[,g) v1', '3:[p,) v1']);
  c.check();
});

test('NotLeader with a known peer sets the leader; with an unknown one forgets the region; without a hint forgets the leader', () => {
  const c = new RegionCache([region(1, '', 'g'), region(2, 'g', '')]);
  c.onError({ code: 'NotLeader', regionId: rid(1), leader: peer(12) });
  assert.equal(c.leaderOf(rid(1))?.id, 12);
  c.onError({ code: 'NotLeader', regionId: rid(1) });
  assert.equal(c.leaderOf(rid(1)), undefined);
  assert.equal(idAt(c, 'a'), 1);
  c.onError({ code: 'NotLeader', regionId: rid(2), leader: peer(77) });
  assert.equal(idAt(c, 'k'), undefined);
});

test('EpochNotMatch installs the current regions; RegionNotFound and KeyNotInRegion forget the region', () => {
  const c = new RegionCache([region(1, '', '')]);
  c.onError({ code: 'EpochNotMatch', current: [region(1, '', 'k', { version: 2 }), region(2, 'k', '', { version: 2 })] });
  assert.deepEqual(shapes(c.regions()), ['1:[,k) v2', '2:[k,) v2']);
  c.onError({ code: 'RegionNotFound', regionId: rid(2) });
  assert.deepEqual(shapes(c.regions()), ['1:[,k) v2']);
  c.onError({ code: 'KeyNotInRegion', regionId: rid(1), key: b('c') });
  assert.equal(c.size, 0);
  c.update([region(1, '', '', { version: 2 })]);
  c.onError({ code: 'KeyNotInRegion', regionId: rid(1), key: b('x'), region: region(1, '', 'f', { version: 2 }) });
  assert.deepEqual(shapes(c.regions()), ['1:[,f) v2']);
  c.onError({ code: 'ServerIsBusy', reason: 'queue full' });
  c.onError({ code: 'RegionBusy', regionId: rid(1), reason: 'splitting' });
  assert.deepEqual(shapes(c.regions()), ['1:[,f) v2']);
  c.check();
});

test('random splits and merges applied in any order leave the cache equal to the newest layout', () => {
  // A layout evolves by splits and merges (each bumping versions as regions/ does); every
  // intermediate layout's regions are fed to the cache shuffled. The cache must never hold two
  // regions for one key, and after the newest layout is fed it must hold exactly that layout.
  for (let seed = 1; seed <= 40; seed++) {
    const rng = new Prng(seed);
    const cache = new RegionCache();
    let layout = [region(1, '', '')];
    let nextId = 2;
    const history = [layout];
    for (let step = 0; step < 30; step++) {
      const i = rng.int(layout.length);
      const r = layout[i]!;
      if (rng.int(3) > 0 || layout.length === 1) {
        const cut = String.fromCharCode(97 + rng.int(26)) + String.fromCharCode(97 + rng.int(26));
        const lo = s(r.start);
        const hi = s(r.end);
        if (cut <= lo || (hi !== '' && cut >= hi)) continue;
        const v = r.epoch.version + 1;
        layout = [...layout.slice(0, i), region(r.id, lo, cut, { version: v }), region(nextId++, cut, hi, { version: v }), ...layout.slice(i + 1)];
      } else {
        const j = i + 1 < layout.length ? i + 1 : i - 1;
        const [left, right] = j > i ? [r, layout[j]!] : [layout[j]!, r];
        const v = Math.max(left.epoch.version, right.epoch.version) + 1;
        const merged = region(left.id, s(left.start), s(right.end), { version: v });
        layout = [...layout.slice(0, Math.min(i, j)), merged, ...layout.slice(Math.max(i, j) + 1)];
      }
      history.push(layout);
    }
    const all = history.flat();
    for (let k = all.length - 1; k > 0; k--) {
      const j = rng.int(k + 1);
      [all[k], all[j]] = [all[j]!, all[k]!];
    }
    for (const r of all) {
      cache.update([r]);
      cache.check();
    }
    cache.update(layout);
    cache.check();
    assert.deepEqual(shapes(cache.regions()), shapes(layout), `seed ${seed}`);
    assert.equal(cache.regionsFor(b(''), b('')).complete, true, `seed ${seed}`);
  }
});

// SlotTable: hash mode's slot → group map, its routing and its epoch rules.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotTable } from '../../src/router/slot_table.js';
import { slotOf } from '../../src/router/slots.js';
import { b, group, peer, rid } from './helpers.js';

const halves = () => [group(1, [[0, 8191]], { version: 4 }), group(2, [[8192, 16383]], { version: 4 })];

test('a key goes to the group owning its slot; keys sharing a {tag} share a group', () => {
  const t = new SlotTable(halves());
  for (const k of ['foo', 'bar', 'user:{42}:name', '\0', '\xff\xff']) {
    assert.equal(t.locate(b(k))?.id, slotOf(b(k)) < 8192 ? 1 : 2, k);
  }
  assert.equal(t.locate(b('user:{42}:name')), t.locate(b('user:{42}:mail')));
  assert.deepEqual(t.unownedSlots(), []);
  t.check();
});

test('a range scatters to every group, a single key goes to one, an empty range to its start key\'s', () => {
  const t = new SlotTable([...halves(), group(3, [], { version: 1 })]);
  assert.deepEqual(t.regionsFor(b('a'), b('b')).regions.map((g) => g.id), [1, 2, 3]);
  assert.deepEqual(t.regionsFor(b('a'), b('')).regions.map((g) => g.id), [1, 2, 3]);
  const one = t.regionsFor(b('foo'), b('foo\0'));
  assert.deepEqual(one.regions.map((g) => g.id), [t.locate(b('foo'))!.id]);
  assert.equal(one.complete, true);
  assert.deepEqual(t.regionsFor(b('foo'), b('a')).regions.map((g) => g.id), [t.locate(b('foo'))!.id]);
});

test('slots with no owner are reported, and make a range incomplete', () => {
  const t = new SlotTable([group(1, [[0, 99], [200, 16383]])]);
  assert.deepEqual(t.unownedSlots(), [[100, 199]]);
  const r = t.regionsFor(b('a'), b('z'));
  assert.equal(r.complete, false);
  assert.deepEqual(r.unownedSlots, [[100, 199]]);
  assert.equal(t.ownerOf(150), undefined);
  assert.equal(t.ownerOf(99), 1);
});

test('a single key in an unowned slot is routed nowhere and names its slot', () => {
  const slot = slotOf(b('foo'));
  const t = new SlotTable([group(1, slot === 0 ? [[1, 16383]] : [[0, slot - 1]])]);
  const r = t.regionsFor(b('foo'), b('foo\0'));
  assert.deepEqual(r, { regions: [], complete: false, unownedSlots: [[slot, slot]] });
});

test('a group claiming slots at a higher version evicts their old owner, whose other slots become unowned', () => {
  const t = new SlotTable(halves());
  t.update([group(3, [[0, 99]], { version: 5 })]);
  assert.equal(t.ownerOf(50), 3);
  assert.equal(t.get(rid(1)), undefined);
  assert.deepEqual(t.unownedSlots(), [[100, 8191]]);
  t.update([group(1, [[100, 8191]], { version: 5 })]);
  assert.deepEqual(t.unownedSlots(), []);
  assert.deepEqual(t.regions().map((g) => g.id), [1, 2, 3]);
  t.check();
});

test('ignores a stale claim: an older epoch of the same group, or a lower version than the slot\'s owner', () => {
  const t = new SlotTable(halves());
  t.update([group(1, [[0, 16383]], { version: 3 })]);
  assert.equal(t.ownerOf(9000), 2);
  t.update([group(3, [[0, 99]], { version: 2 })]);
  assert.equal(t.ownerOf(50), 1);
  assert.equal(t.get(rid(3)), undefined);
  t.check();
});

test('a group\'s newer epoch moves its own slots and keeps its leader while it is a peer', () => {
  const t = new SlotTable(halves());
  assert.equal(t.setLeader(rid(1), peer(11)), true);
  t.update([group(1, [[0, 4095]], { version: 5 })]);
  assert.deepEqual(t.unownedSlots(), [[4096, 8191]]);
  assert.equal(t.leaderOf(rid(1))?.id, 11);
  t.check();
});

test('region errors update the table as they do the region cache', () => {
  const t = new SlotTable(halves());
  t.onError({ code: 'NotLeader', regionId: rid(2), leader: peer(22) });
  assert.equal(t.leaderOf(rid(2))?.id, 22);
  t.onError({ code: 'EpochNotMatch', current: [group(2, [[8192, 12000]], { version: 5 }), group(4, [[12001, 16383]], { version: 5 })] });
  assert.equal(t.ownerOf(16000), 4);
  t.onError({ code: 'RegionNotFound', regionId: rid(4) });
  assert.deepEqual(t.unownedSlots(), [[12001, 16383]]);
  t.check();
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerId, RegionId } from '../../src/cluster/region.js';
import { execBatchSplit, type BatchSplit, type RegionState } from '../../regions/peer/admin/index.js';
import { k, region, show } from './fixtures.js';

function split(keys: string[], epoch = { confVer: 3, version: 5 }, firstId = 2): BatchSplit {
  return {
    type: 'batch-split',
    epoch,
    splitKeys: keys.map(k),
    newRegions: keys.map((_, i) => ({
      id: (firstId + i) as RegionId,
      peerIds: [1, 2, 3].map((j) => ((firstId + i) * 10 + j) as PeerId),
    })),
  };
}

test('splits at several keys: the parent keeps the right-most part, all share the new version', () => {
  const state: RegionState = { region: region(1, 'a', 'z', [3, 5]) };
  const out = execBatchSplit(state, split(['g', 'p']));
  assert.ok(out.ok);
  const { derived, created } = out.value;
  assert.deepEqual(created.map(show), ['2 [a, g) {3, 7}', '3 [g, p) {3, 7}']);
  assert.equal(show(derived.region), '1 [p, z) {3, 7}');
  // Same stores, same roles, new peer IDs, in the parent's peer order.
  assert.deepEqual(
    created[0]!.peers.map((p) => [p.id, p.storeId, p.role]),
    [
      [21, 1, 'voter'],
      [22, 2, 'voter'],
      [23, 3, 'voter'],
    ],
  );
  // The input is untouched.
  assert.equal(show(state.region), '1 [a, z) {3, 5}');
});

test('splits the unbounded region and keeps learners as learners', () => {
  const r = region(1, '', '', [1, 1]);
  r.peers[2]!.role = 'learner';
  const out = execBatchSplit({ region: r }, split(['m'], { confVer: 1, version: 1 }));
  assert.ok(out.ok);
  assert.equal(show(out.value.created[0]!), '2 [, m) {1, 2}');
  assert.equal(show(out.value.derived.region), '1 [m, ) {1, 2}');
  assert.equal(out.value.created[0]!.peers[2]!.role, 'learner');
});

test('rejects a split proposed at a stale epoch with EpochNotMatch carrying the current region', () => {
  const state: RegionState = { region: region(1, 'a', 'z', [3, 6]) };
  for (const epoch of [
    { confVer: 3, version: 5 },
    { confVer: 2, version: 6 },
  ]) {
    const out = execBatchSplit(state, split(['g'], epoch));
    assert.ok(!out.ok);
    assert.equal(out.error.code, 'EpochNotMatch');
    assert.ok(out.error.code === 'EpochNotMatch' && out.error.current[0]!.id === 1);
  }
});

test('rejects split keys outside the region, at its start, or at its end', () => {
  const state: RegionState = { region: region(1, 'c', 'x', [3, 5]) };
  for (const key of ['a', 'c', 'x', 'y']) {
    const out = execBatchSplit(state, split([key]));
    assert.ok(!out.ok, key);
    assert.equal(out.error.code, 'KeyNotInRegion', key);
  }
});

test('rejects unsorted or repeated keys and malformed ID lists', () => {
  const state: RegionState = { region: region(1, 'a', 'z', [3, 5]) };
  const bad: BatchSplit[] = [split(['p', 'g']), split(['g', 'g']), split([])];
  const short = split(['g']);
  short.newRegions[0]!.peerIds.pop();
  bad.push(short);
  const reused = split(['g']);
  reused.newRegions[0]!.peerIds[0] = 11 as PeerId; // the parent's own peer
  bad.push(reused);
  const sameId = split(['g'], undefined, 1);
  bad.push(sameId);
  for (const cmd of bad) {
    const out = execBatchSplit(state, cmd);
    assert.ok(!out.ok);
    assert.equal(out.error.code, 'InvalidAdminCommand');
  }
});

test('a merging region refuses to split', () => {
  const state: RegionState = { region: region(1, 'a', 'z', [3, 5]), merging: { target: region(9, 'z', '') } };
  const out = execBatchSplit(state, split(['g']));
  assert.ok(!out.ok);
  assert.equal(out.error.code, 'RegionBusy');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerId, Region, RegionId } from '../../src/cluster/region.js';
import {
  execAdmin,
  execCommitMerge,
  execPrepareMerge,
  execRollbackMerge,
  type RegionState,
} from '../../regions/peer/admin/index.js';
import { peer, region, show } from './fixtures.js';

/** Same stores (1, 2, 3) for every region, as merge requires. */
function onStores123(r: Region): Region {
  r.peers = [1, 2, 3].map((s) => peer(r.id * 10 + s, s));
  return r;
}

test('prepare then commit: the target covers both, version = max + 1, the source froze', () => {
  const source: RegionState = { region: onStores123(region(5, 'g', 'p', [3, 4])) };
  const target: RegionState = { region: onStores123(region(1, 'p', '', [3, 6])) };
  const prep = execPrepareMerge(source, { type: 'prepare-merge', epoch: source.region.epoch, target: target.region });
  assert.ok(prep.ok);
  const frozen = prep.value.state;
  assert.equal(show(frozen.region), '5 [g, p) {4, 5}');
  assert.equal(frozen.merging?.target.id, 1);

  const commit = execCommitMerge(target, { type: 'commit-merge', epoch: target.region.epoch, source: frozen });
  assert.ok(commit.ok, JSON.stringify(commit));
  assert.equal(show(commit.value.state.region), '1 [g, ) {3, 7}');
  assert.equal(commit.value.source.id, 5);
});

test('a source on the right extends the target to the right; version takes the larger side', () => {
  const target: RegionState = { region: onStores123(region(1, 'a', 'g', [2, 3])) };
  const source: RegionState = { region: onStores123(region(5, 'g', 'p', [3, 8])) };
  const prep = execPrepareMerge(source, { type: 'prepare-merge', epoch: source.region.epoch, target: target.region });
  assert.ok(prep.ok);
  const commit = execCommitMerge(target, { type: 'commit-merge', epoch: target.region.epoch, source: prep.value.state });
  assert.ok(commit.ok);
  assert.equal(show(commit.value.state.region), '1 [a, p) {2, 10}');
});

test('refuses to merge regions that are not adjacent', () => {
  const source: RegionState = { region: onStores123(region(5, 'a', 'g')) };
  const far = onStores123(region(1, 'p', 'z'));
  const out = execPrepareMerge(source, { type: 'prepare-merge', epoch: source.region.epoch, target: far });
  assert.ok(!out.ok);
  assert.equal(out.error.code, 'InvalidAdminCommand');
  assert.match(out.error.code === 'InvalidAdminCommand' ? out.error.reason : '', /not adjacent/);
});

test('refuses to merge regions whose peers are not on the same stores with the same roles', () => {
  const source: RegionState = { region: onStores123(region(5, 'a', 'g')) };
  const elsewhere = region(1, 'g', '', [1, 1], [peer(11, 1), peer(12, 2), peer(14, 4)]);
  const learner = onStores123(region(1, 'g', ''));
  learner.peers[1]!.role = 'learner';
  for (const target of [elsewhere, learner]) {
    const out = execPrepareMerge(source, { type: 'prepare-merge', epoch: source.region.epoch, target });
    assert.ok(!out.ok);
    assert.match(out.error.code === 'InvalidAdminCommand' ? out.error.reason : '', /same stores/);
  }
});

test('a frozen source refuses writes and admin commands but its rollback', () => {
  const source: RegionState = { region: onStores123(region(5, 'a', 'g', [1, 1])) };
  const target = onStores123(region(1, 'g', ''));
  const prep = execPrepareMerge(source, { type: 'prepare-merge', epoch: source.region.epoch, target });
  assert.ok(prep.ok);
  const frozen = prep.value.state;
  const split = execAdmin(frozen, {
    type: 'batch-split',
    epoch: frozen.region.epoch,
    splitKeys: [new Uint8Array([0x63])],
    newRegions: [{ id: 9 as RegionId, peerIds: [91, 92, 93] as PeerId[] }],
  });
  assert.ok(!split.ok);
  assert.equal(split.error.code, 'RegionBusy');
  const again = execPrepareMerge(frozen, { type: 'prepare-merge', epoch: frozen.region.epoch, target });
  assert.ok(!again.ok);
  const back = execRollbackMerge(frozen, { type: 'rollback-merge', epoch: frozen.region.epoch });
  assert.ok(back.ok);
  assert.equal(back.value.state.merging, undefined);
  assert.equal(show(back.value.state.region), '5 [a, g) {2, 3}');
});

test('commit-merge is refused if the target changed since prepare (PD then rolls back)', () => {
  const source: RegionState = { region: onStores123(region(5, 'a', 'g')) };
  const targetThen = onStores123(region(1, 'g', '', [1, 4]));
  const prep = execPrepareMerge(source, { type: 'prepare-merge', epoch: source.region.epoch, target: targetThen });
  assert.ok(prep.ok);
  // The target split off its right part meanwhile (version 4 -> 5).
  const targetNow: RegionState = { region: { ...onStores123(region(1, 'g', 'm', [1, 5])) } };
  const out = execCommitMerge(targetNow, { type: 'commit-merge', epoch: targetNow.region.epoch, source: prep.value.state });
  assert.ok(!out.ok);
  assert.equal(out.error.code, 'EpochNotMatch');
  // Rolling back is rejected at a stale epoch, accepted at the frozen one.
  assert.ok(!execRollbackMerge(prep.value.state, { type: 'rollback-merge', epoch: source.region.epoch }).ok);
  assert.ok(execRollbackMerge(prep.value.state, { type: 'rollback-merge', epoch: prep.value.state.region.epoch }).ok);
});

test('commit-merge needs a source that is merging into this very target', () => {
  const target: RegionState = { region: onStores123(region(1, 'g', '')) };
  const notFrozen: RegionState = { region: onStores123(region(5, 'a', 'g')) };
  const out = execCommitMerge(target, { type: 'commit-merge', epoch: target.region.epoch, source: notFrozen });
  assert.ok(!out.ok);
  const elsewhere: RegionState = { ...notFrozen, merging: { target: onStores123(region(8, 'x', '')) } };
  const out2 = execCommitMerge(target, { type: 'commit-merge', epoch: target.region.epoch, source: elsewhere });
  assert.ok(!out2.ok);
  assert.match(out2.error.code === 'InvalidAdminCommand' ? out2.error.reason : '', /merging into region 8/);
});

test('rollback of a region that is not merging is refused', () => {
  const state: RegionState = { region: onStores123(region(5, 'a', 'g')) };
  const out = execRollbackMerge(state, { type: 'rollback-merge', epoch: state.region.epoch });
  assert.ok(!out.ok);
  assert.equal(out.error.code, 'InvalidAdminCommand');
});

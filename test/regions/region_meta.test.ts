import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerId, RegionId, StoreId } from '../../src/cluster/region.js';
import { AssertionFailure } from '../../src/util/assert.js';
import { execBatchSplit, execCommitMerge, execPrepareMerge, type RegionState } from '../../regions/peer/admin/index.js';
import { StoreRegionMeta } from '../../regions/peer/region_meta.js';
import { k, peer, region, show } from './fixtures.js';

const store1 = 1 as StoreId;

test('a split narrows the parent and adds the new regions; a tombstoned new peer is skipped', () => {
  const meta = new StoreRegionMeta(store1);
  meta.insert({ region: region(1, '', '') });
  const out = execBatchSplit(meta.get(1 as RegionId)!, {
    type: 'batch-split',
    epoch: { confVer: 1, version: 1 },
    splitKeys: [k('g'), k('p')],
    newRegions: [
      { id: 2 as RegionId, peerIds: [21, 22, 23] as PeerId[] },
      { id: 3 as RegionId, peerIds: [31, 32, 33] as PeerId[] },
    ],
  });
  assert.ok(out.ok);
  const fx = meta.applyResult(1 as RegionId, out.value, (r) => r.id !== 3);
  assert.deepEqual(fx.created.map((r) => r.id), [2]);
  assert.deepEqual(fx.skipped.map((r) => r.id), [3]);
  assert.deepEqual(meta.all().map((s) => show(s.region)), ['2 [, g) {1, 3}', '1 [p, ) {1, 3}']);
  assert.equal(meta.locate(k('h')), undefined);
  assert.equal(meta.locate(k('b'))?.region.id, 2);
  meta.checkInvariants();
});

test('merge through the meta: prepare, commit, source gone', () => {
  const meta = new StoreRegionMeta(store1);
  const peers = (id: number) => [peer(id * 10 + 1, 1), peer(id * 10 + 2, 2), peer(id * 10 + 3, 3)];
  meta.insert({ region: region(5, 'a', 'g', [1, 1], peers(5)) });
  meta.insert({ region: region(1, 'g', '', [1, 1], peers(1)) });
  const prep = execPrepareMerge(meta.get(5 as RegionId)!, { type: 'prepare-merge', epoch: { confVer: 1, version: 1 }, target: meta.get(1 as RegionId)!.region });
  assert.ok(prep.ok);
  meta.applyResult(5 as RegionId, prep.value);
  const commit = execCommitMerge(meta.get(1 as RegionId)!, { type: 'commit-merge', epoch: { confVer: 1, version: 1 }, source: meta.get(5 as RegionId)! });
  assert.ok(commit.ok);
  const fx = meta.applyResult(1 as RegionId, commit.value);
  assert.deepEqual(fx.destroyed, [5]);
  assert.deepEqual(meta.all().map((s) => show(s.region)), ['1 [a, ) {1, 3}']);
});

test('refuses overlapping regions and epochs that go back', () => {
  const meta = new StoreRegionMeta(store1);
  meta.insert({ region: region(1, 'a', 'm', [2, 2]) });
  assert.throws(() => meta.insert({ region: region(2, 'k', 'z') }), AssertionFailure);
  assert.throws(() => meta.update({ region: region(1, 'a', 'm', [2, 1]) }), AssertionFailure);
  assert.throws(() => meta.insert({ region: region(3, 'x', 'z', [1, 1], [peer(31, 2), peer(32, 3)]) }), AssertionFailure);
  assert.throws(() => meta.insert({ region: region(4, 'x', 'z', [1, 1], [peer(41, 1), peer(42, 1)]) }), AssertionFailure);
});

test('a snapshot overlapping a lagging peer is refused; one covering a merged source destroys it', () => {
  const meta = new StoreRegionMeta(store1);
  // This store's parent peer has not applied the split that made region 3 = ["c", "e").
  meta.insert({ region: region(1, 'a', 'z', [1, 1]) });
  const v = meta.checkSnapshot({ region: region(3, 'c', 'e', [1, 2]) });
  assert.ok(!v.ok);
  assert.match(v.ok ? '' : v.reason, /overlaps region 1/);

  const meta2 = new StoreRegionMeta(store1);
  const target = region(1, 'g', '', [1, 4]);
  const frozen: RegionState = { region: region(5, 'a', 'g', [2, 2]), merging: { target } };
  meta2.insert(frozen);
  meta2.insert({ region: target });
  const after: RegionState = { region: region(1, 'a', '', [1, 5]) };
  const ok = meta2.checkSnapshot(after);
  assert.deepEqual(ok, { ok: true, destroy: [5] });
  assert.deepEqual(meta2.installSnapshot(after), [5]);
  assert.deepEqual(meta2.all().map((s) => show(s.region)), ['1 [a, ) {1, 5}']);
  // A snapshot older than what the region already applied here is refused.
  const older = meta2.checkSnapshot({ region: region(1, 'a', '', [1, 4]) });
  assert.ok(!older.ok);
  // A pending snapshot of another region blocks an overlapping one.
  const meta3 = new StoreRegionMeta(store1);
  const v3 = meta3.checkSnapshot({ region: region(7, 'a', 'c') }, [region(8, 'b', 'd')]);
  assert.ok(!v3.ok);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerId, RegionId } from '../../src/cluster/region.js';
import {
  checkDataRequest,
  decodeAdminCommand,
  encodeAdminCommand,
  execBatchSplit,
  type AdminCommand,
  type RegionState,
} from '../../regions/peer/admin/index.js';
import { k, region } from './fixtures.js';

test('a write proposed at the old version is refused after a split, with the current region', () => {
  const before: RegionState = { region: region(1, '', '', [1, 1]) };
  const write = { epoch: { confVer: 1, version: 1 }, keys: [k('m')] };
  assert.equal(checkDataRequest(before, write, 'write'), undefined);
  const out = execBatchSplit(before, {
    type: 'batch-split',
    epoch: { confVer: 1, version: 1 },
    splitKeys: [k('g')],
    newRegions: [{ id: 2 as RegionId, peerIds: [21, 22, 23] as PeerId[] }],
  });
  assert.ok(out.ok);
  const after = out.value.derived;
  const err = checkDataRequest(after, write, 'write', [after.region, ...out.value.created]);
  assert.equal(err?.code, 'EpochNotMatch');
  assert.deepEqual(
    err?.code === 'EpochNotMatch' ? err.current.map((r) => r.id) : [],
    [1, 2],
  );
  // With the new version the key is served; a key that moved to region 2 is not.
  assert.equal(checkDataRequest(after, { epoch: after.region.epoch, keys: [k('m')] }, 'write'), undefined);
  assert.equal(checkDataRequest(after, { epoch: after.region.epoch, keys: [k('c')] }, 'write')?.code, 'KeyNotInRegion');
});

test('data requests ignore confVer; a merging source refuses them', () => {
  const state: RegionState = { region: region(1, 'a', 'z', [5, 3]) };
  assert.equal(checkDataRequest(state, { epoch: { confVer: 1, version: 3 }, keys: [k('b')] }, 'read'), undefined);
  const merging: RegionState = { ...state, merging: { target: region(2, 'z', '') } };
  assert.equal(checkDataRequest(merging, { epoch: { confVer: 5, version: 3 }, keys: [k('b')] }, 'write')?.code, 'RegionBusy');
});

test('admin commands round-trip through their JSON form, keys included', () => {
  const cmd: AdminCommand = {
    type: 'commit-merge',
    epoch: { confVer: 2, version: 9 },
    source: { region: region(5, 'a', '\u00ff'), merging: { target: region(1, '\u00ff', '') } },
  };
  const back = decodeAdminCommand(encodeAdminCommand(cmd));
  assert.deepEqual(back, cmd);
  assert.ok(back.type === 'commit-merge' && back.source.region.start instanceof Uint8Array);
});

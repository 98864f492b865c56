import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerId, RegionEpoch } from '../../src/cluster/region.js';
import { MemoryStorage, RawNode, decodeConfChange, encodeConfChange, type Index, type Term } from '../../src/raft/index.js';
import { Prng } from '../../src/util/prng.js';
import {
  changePeerOfEntry,
  confStateOf,
  execChangePeer,
  type ChangePeer,
  type PeerChange,
  type RegionState,
} from '../../regions/peer/admin/index.js';
import { peer, region } from './fixtures.js';

function cmd(change: PeerChange, epoch: RegionEpoch = { confVer: 4, version: 2 }): ChangePeer {
  return { type: 'change-peer', epoch, change };
}

test('moves a replica in one-voter steps: add learner, promote, remove; confVer grows by one each', () => {
  let state: RegionState = { region: region(7, 'a', 'z', [4, 2]) };
  const steps: PeerChange[] = [
    { type: 'add-learner', peer: peer(74, 4, 'learner') },
    { type: 'promote-learner', peerId: 74 as PeerId },
    { type: 'remove-peer', peerId: 73 as PeerId },
  ];
  const raft: string[] = [];
  for (const change of steps) {
    const out = execChangePeer(state, cmd(change, state.region.epoch));
    assert.ok(out.ok, JSON.stringify(out));
    raft.push(out.value.confChange.changes.map((c) => `${c.type} ${c.nodeId}`).join());
    state = out.value.state;
  }
  assert.deepEqual(raft, ['add-learner 74', 'add-node 74', 'remove-node 73']);
  assert.deepEqual(state.region.epoch, { confVer: 7, version: 2 });
  assert.deepEqual(confStateOf(state.region).voters, [71, 72, 74]);
});

test('the conf change carries the command, and Raft ends up with the region configuration', () => {
  const state: RegionState = { region: region(7, 'a', 'z', [4, 2]) };
  const out = execChangePeer(state, cmd({ type: 'add-learner', peer: peer(74, 4, 'learner') }));
  assert.ok(out.ok);
  const entryData = encodeConfChange(out.value.confChange);
  const back = changePeerOfEntry(entryData);
  assert.deepEqual(back.cmd.change, out.value.change);
  assert.deepEqual(decodeConfChange(entryData).changes, [{ type: 'add-learner', nodeId: 74 }]);

  const disk = new MemoryStorage();
  disk.applySnapshot({ metadata: { index: 5 as Index, term: 5 as Term, confState: confStateOf(state.region) }, data: new Uint8Array() });
  const node = new RawNode({ id: 71, group: 7, storage: disk, electionTicks: 10, heartbeatTicks: 1, rand: new Prng(1) });
  const cs = node.applyConfChange(back.confChange);
  assert.deepEqual(cs, confStateOf(out.value.state.region));
});

test('rejects a change proposed at a stale confVer; a version change alone does not matter', () => {
  const state: RegionState = { region: region(7, 'a', 'z', [5, 9]) };
  const stale = execChangePeer(state, cmd({ type: 'remove-peer', peerId: 73 as PeerId }, { confVer: 4, version: 9 }));
  assert.ok(!stale.ok);
  assert.equal(stale.error.code, 'EpochNotMatch');
  const fine = execChangePeer(state, cmd({ type: 'remove-peer', peerId: 73 as PeerId }, { confVer: 5, version: 1 }));
  assert.ok(fine.ok);
});

test('refuses two peers of one region on one store, unknown peers, double promotion, the last voter', () => {
  const r = region(7, 'a', 'z', [4, 2], [peer(71, 1), peer(72, 2, 'learner')]);
  const state: RegionState = { region: r };
  const bad: PeerChange[] = [
    { type: 'add-learner', peer: peer(74, 2, 'learner') }, // store 2 already holds 72
    { type: 'add-learner', peer: peer(72, 4, 'learner') }, // peer ID in use
    { type: 'add-learner', peer: peer(74, 4, 'voter') }, // wrong role
    { type: 'promote-learner', peerId: 71 as PeerId }, // already a voter
    { type: 'promote-learner', peerId: 99 as PeerId },
    { type: 'remove-peer', peerId: 99 as PeerId },
    { type: 'remove-peer', peerId: 71 as PeerId }, // the last voter
  ];
  for (const change of bad) {
    const out = execChangePeer(state, cmd(change));
    assert.ok(!out.ok, JSON.stringify(change));
    assert.equal(out.error.code, 'InvalidAdminCommand', JSON.stringify(change));
  }
  // Removing a learner is fine even with one voter.
  assert.ok(execChangePeer(state, cmd({ type: 'remove-peer', peerId: 72 as PeerId })).ok);
});

test('a merging region refuses membership changes', () => {
  const state: RegionState = { region: region(7, 'a', 'z', [4, 2]), merging: { target: region(8, 'z', '') } };
  const out = execChangePeer(state, cmd({ type: 'add-learner', peer: peer(74, 4, 'learner') }));
  assert.ok(!out.ok);
  assert.equal(out.error.code, 'RegionBusy');
});

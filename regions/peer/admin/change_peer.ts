// Change peer: add a learner, add a voter, promote a learner or remove a peer, one at a time.
//
// Propose: the leader dry-runs execChangePeer on its applied state, then proposes
//   toConfChange(cmd) with RawNode.proposeConfChange: a conf-change entry whose context is the
//   command. Raft refuses a second change while one is pending (the entry becomes an empty normal
//   entry, which applies as nothing).
// Apply: every peer runs execChangePeer on its state. Only if it succeeds does the peer call
//   RawNode.applyConfChange(result.confChange); if it fails (a stale epoch: another change got in
//   first) Raft's configuration is left alone too. So the region's peers and Raft's
//   configuration always name the same group: confStateOf(region) is what Raft returns, and it is
//   what a restarted peer hands Raft as its initial configuration (as TiKV builds it from the
//   region).
// On apply result: the store updates its meta (region_meta.ts); a peer that removed itself is
//   destroyed and leaves a tombstone; the leader starts replicating to an added peer, which,
//   being empty, receives a snapshot.
//
// Worked example: region 7 {confVer 4} peers 71@s1 72@s2 73@s3 moves its replica off s3:
//   add-learner 74@s4     -> confVer 5, Raft add-learner 74
//   promote-learner 74    -> confVer 6, Raft add-node 74 (4 voters for a moment)
//   remove-peer 73        -> confVer 7, Raft remove-node 73
//
// NB: no joint consensus. Each command changes at most one voter, which Raft applies directly
// (any majority of the old voters meets any majority of the new). Moving a replica as above takes
// one-voter steps anyway (PD's habit: a learner catches up without counting toward a quorum, so
// a slow new replica never stalls writes). A joint change (swap a voter in one step, demote a
// voter) would need roles for the joint phase (TiKV's IncomingVoter, DemotingVoter) that the
// shared region contract (src/cluster/region.ts: voter | learner) does not have.

import type { Region, RegionPeer } from '../../../src/cluster/region.js';
import { decodeConfChange, emptyConfState, type ConfChange, type ConfChangeSingle, type ConfState } from '../../../src/raft/index.js';
import { assert, assertNever } from '../../../src/util/assert.js';
import { checkAdmin } from './check.js';
import { fromJson, toJson } from './codec.js';
import { cloneState, fail, invalid, ok, type AdminResult, type ChangePeer, type Outcome, type RegionState } from './command.js';

export type ChangePeerResult = Extract<AdminResult, { type: 'change-peer' }>;

/** The Raft change that carries cmd (its context is the command itself). */
export function toConfChange(cmd: ChangePeer): ConfChange {
  const c = cmd.change;
  let single: ConfChangeSingle;
  switch (c.type) {
    case 'add-learner':
      single = { type: 'add-learner', nodeId: c.peer.id };
      break;
    case 'add-voter':
      single = { type: 'add-node', nodeId: c.peer.id };
      break;
    case 'promote-learner':
      single = { type: 'add-node', nodeId: c.peerId };
      break;
    case 'remove-peer':
      single = { type: 'remove-node', nodeId: c.peerId };
      break;
    default:
      return assertNever(c, 'peer change');
  }
  return { transition: 'auto', changes: [single], context: toJson(cmd) };
}

/** The command a conf-change entry carries (the inverse of toConfChange). */
export function changePeerOfEntry(data: Uint8Array): { cmd: ChangePeer; confChange: ConfChange } {
  const confChange = decodeConfChange(data);
  assert(confChange.context !== undefined, 'conf change without a change-peer command');
  const cmd = fromJson<ChangePeer>(confChange.context);
  assert(cmd.type === 'change-peer', `conf change carries a ${cmd.type} command`);
  return { cmd, confChange };
}

/** Raft's configuration for a region's peers. */
export function confStateOf(region: Region): ConfState {
  const cs = emptyConfState();
  for (const p of region.peers) (p.role === 'voter' ? cs.voters : cs.learners).push(p.id);
  cs.voters.sort((a, b) => a - b);
  cs.learners.sort((a, b) => a - b);
  return cs;
}

export function execChangePeer(state: RegionState, cmd: ChangePeer): Outcome<ChangePeerResult> {
  const r = state.region;
  const err = checkAdmin(state, cmd);
  if (err) return fail(err);
  const next = cloneState(state);
  const peers = next.region.peers;
  const c = cmd.change;
  switch (c.type) {
    case 'add-learner':
    case 'add-voter': {
      const want = c.type === 'add-learner' ? 'learner' : 'voter';
      if (c.peer.role !== want) return invalid(r.id, `${c.type} of peer ${c.peer.id} with role ${c.peer.role}`);
      if (!(c.peer.id > 0)) return invalid(r.id, `${c.type} of peer ID ${c.peer.id}`);
      if (peers.some((p) => p.id === c.peer.id)) return invalid(r.id, `peer ${c.peer.id} is already in region ${r.id}`);
      const same = peers.find((p) => p.storeId === c.peer.storeId);
      if (same) return invalid(r.id, `store ${c.peer.storeId} already holds peer ${same.id} of region ${r.id}`);
      peers.push({ ...c.peer });
      break;
    }
    case 'promote-learner': {
      const p = peers.find((x) => x.id === c.peerId);
      if (!p) return invalid(r.id, `no peer ${c.peerId} in region ${r.id} to promote`);
      if (p.role !== 'learner') return invalid(r.id, `peer ${c.peerId} is already a voter`);
      p.role = 'voter';
      break;
    }
    case 'remove-peer': {
      const i = peers.findIndex((x) => x.id === c.peerId);
      if (i < 0) return invalid(r.id, `no peer ${c.peerId} in region ${r.id} to remove`);
      const p: RegionPeer = peers[i]!;
      if (p.role === 'voter' && peers.filter((x) => x.role === 'voter').length === 1) {
        return invalid(r.id, `peer ${c.peerId} is the last voter of region ${r.id}`);
      }
      peers.splice(i, 1);
      break;
    }
    default:
      return assertNever(c, 'peer change');
  }
  next.region.epoch = { confVer: r.epoch.confVer + 1, version: r.epoch.version };
  return ok({ type: 'change-peer', state: next, change: c, confChange: toConfChange(cmd) });
}

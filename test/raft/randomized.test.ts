// Randomized runs: partitions, crashes and restarts, message loss, proposals, reads, leader
// transfers and log compaction, all driven by one seed (a failure names it; rerun that seed).
// The network asserts Election Safety and State Machine Safety at every step; here we also
// check Log Matching, that every read is linearizable (its index covers every entry committed
// anywhere before it was asked), and that the healed cluster makes progress.
//
// RAFT_SEEDS=500 RAFT_STEPS=2000 node --test dist/test/raft/randomized.test.js runs longer.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Index, NodeId } from '../../src/raft/types.js';
import { Prng } from '../../src/util/prng.js';
import { Network, type BootstrapOptions } from './network.js';

const seeds = Number(process.env['RAFT_SEEDS'] ?? 25);
const steps = Number(process.env['RAFT_STEPS'] ?? 400);

function run(seed: number, opts: BootstrapOptions): Network {
  const rng = new Prng(seed);
  const ids: NodeId[] = [1, 2, 3, 4, 5];
  const net = Network.bootstrap(ids, { seed, ...opts });
  const lossy = () => net.drop((m) => m.from !== m.to && rng.chance(0.1));
  lossy();
  /** For each read asked: the highest commit index any node knew of at that moment. */
  const readFloor = new Map<string, Index>();
  const highestCommit = () => {
    let c = 0;
    for (const id of ids) {
      const n = net.nodes.get(id);
      c = Math.max(c, n ? n.raft.raftLog.committed : net.storages.get(id)!.getHardState().commit);
    }
    return c as Index;
  };
  const checkReads = () => {
    for (const id of ids) {
      for (const rs of net.readStates.get(id)!.splice(0)) {
        const floor = readFloor.get(rs.requestCtx);
        assert.ok(floor !== undefined, `seed ${seed}: unknown read ${rs.requestCtx}`);
        assert.ok(rs.index >= floor, `seed ${seed}: stale read ${rs.requestCtx} at ${rs.index}, but ${floor} was committed before it`);
      }
    }
  };
  let n = 0;
  for (let step = 0; step < steps; step++) {
    const id = ids[rng.int(ids.length)]!;
    const live = net.nodes.get(id);
    const action = rng.int(24);
    try {
      if (action === 0) net.isolate(id);
      else if (action === 1) net.cut(id, ids[rng.int(ids.length)]!);
      else if (action === 2) {
        net.recover();
        lossy();
      } else if (action === 3 && live && net.nodes.size > 3) net.crash(id);
      else if (action === 4 && !live) net.restart(id);
      else if (action === 5 && live) {
        const s = net.storages.get(id)!;
        if (live.status().applied > s.snapshot().metadata.index) net.compact(id);
      } else if (action === 6 && live) {
        const l = net.leader();
        if (l !== undefined) net.node(l).transferLeader(id);
        net.pump();
      } else if (action === 7 && live) {
        const ctx = `r${n++}`;
        readFloor.set(ctx, highestCommit());
        live.readIndex(ctx);
        net.pump();
      } else if (action < 12) {
        const l = net.leader();
        if (l !== undefined) net.propose(l, `v${n++}`);
        net.pump();
      } else net.tick(1);
    } catch (err) {
      // A proposal, read or transfer refused (no leader, transfer in progress): clients retry.
      if ((err as { code?: string }).code !== 'RAFT_PROPOSAL_DROPPED') throw err;
    }
    checkReads();
    if (step % 20 === 0) net.checkLogMatching();
  }
  net.recover();
  for (const id of ids) if (!net.nodes.has(id)) net.restart(id);
  // Liveness: a write goes through once faults heal. NB: without pre-vote, nodes with stale
  // logs keep forcing elections they cannot win (every rejection resets the voters' timers,
  // as in etcd), so this may take several election timeouts.
  for (let t = 0; !ids.every((id) => net.appliedData(id).includes('final')); t++) {
    assert.ok(t < 500, `seed ${seed}: the healed cluster made no progress`);
    const l = net.leader();
    if (t % 25 === 0 && l !== undefined) {
      try {
        net.propose(l, 'final');
      } catch (err) {
        if ((err as { code?: string }).code !== 'RAFT_PROPOSAL_DROPPED') throw err;
      }
    }
    net.tick(1);
  }
  checkReads();
  net.checkLogMatching();
  return net;
}

describe('randomized runs', () => {
  const variants: Record<string, BootstrapOptions> = {
    plain: {},
    'pre-vote': { preVote: true },
    'pre-vote, check-quorum': { preVote: true, checkQuorum: true },
    'lease-based reads': { preVote: true, checkQuorum: true, readOnlyOption: 'lease-based' },
  };
  for (const [name, opts] of Object.entries(variants)) {
    test(`"at most one leader can be elected in a given term", logs match, reads are linearizable (${name})`, () => {
      let terms = 0;
      for (let seed = 1; seed <= seeds; seed++) terms += run(seed, opts).leaders.size;
      assert.ok(terms >= 2 * seeds, `too few elections to mean anything: ${terms}`);
    });
  }
});

// Keeping a healthy leader in place: pre-vote (thesis §9.6), check-quorum and the leader lease
// on votes (§6.2, §4.2.3).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { campaignTransfer } from '../../src/raft/raft.js';
import type { Index, Term } from '../../src/raft/types.js';
import { Network, type BootstrapOptions } from './network.js';

const T = (n: number) => n as Term;
const I = (n: number) => n as Index;

/** 3 rejoins after 50 ticks alone, during which the others committed two entries. */
function partitionAndRejoin(opts: BootstrapOptions, writes = true): { net: Network; isolatedTerm: Term } {
  const net = Network.bootstrap([1, 2, 3], { electionTicks: 10, heartbeatTicks: 1, ...opts });
  net.tick(10); // nodes refusing votes right after start (lease-based reads) are past that
  if (net.leader() === undefined) net.campaign(1);
  const l = net.leader()!;
  net.isolate(3);
  if (writes) {
    net.propose(l, 'a');
    net.propose(l, 'b');
  }
  net.tick(50);
  const isolatedTerm = net.term(3);
  net.recover();
  net.tick(50);
  return { net, isolatedTerm };
}

describe('pre-vote (§9.6)', () => {
  test('a partitioned node rejoining with pre-vote does not disrupt the leader', () => {
    // §9.6 (paraphrased): with pre-vote a candidate increments its term only once a majority
    // has said it would grant its vote - here they refuse, since its log is behind.
    const { net, isolatedTerm } = partitionAndRejoin({ preVote: true });
    assert.equal(isolatedTerm, 2, 'pre-elections alone never raise the term');
    assert.deepEqual([...net.leaders.keys()], [2], 'one leader, one term, throughout');
    for (const id of [1, 2, 3]) assert.equal(net.term(id), 2);
    assert.deepEqual(net.appliedData(3), ['a', 'b'], 'the rejoined node caught up');
  });

  test('without pre-vote the rejoining node forces an election with its higher term', () => {
    const { net, isolatedTerm } = partitionAndRejoin({});
    assert.ok(isolatedTerm > 3, `the isolated node campaigned repeatedly (term ${isolatedTerm})`);
    const terms = [...net.leaders.keys()];
    assert.ok(terms.length >= 2, 'the leader of term 2 was deposed');
    assert.ok(terms.at(-1)! > isolatedTerm);
    assert.notEqual(net.leaders.get(terms.at(-1)!), 3, 'the node with the stale log cannot win');
    assert.deepEqual(net.appliedData(3), ['a', 'b']);
  });

  test('with pre-vote and check-quorum a rejoining node with an up-to-date log does not disrupt either', () => {
    // Nothing was written meanwhile, so the rejoining node's log is as good as anyone's: only
    // the followers' lease (they heard from the leader recently) makes them refuse it.
    const { net, isolatedTerm } = partitionAndRejoin({ preVote: true, checkQuorum: true }, false);
    assert.equal(isolatedTerm, 2);
    assert.equal([...net.leaders.keys()].length, 1);
    for (const id of [1, 2, 3]) assert.equal(net.term(id), 2);
  });

  test('a pre-candidate that a majority grants becomes a candidate and takes the term', () => {
    const net = Network.bootstrap([1, 2, 3], { preVote: true });
    const mark = net.sent.length;
    net.campaign(1);
    assert.equal(net.state(1), 'leader');
    assert.equal(net.term(1), 2);
    const types = net.sentSince(mark, (m) => m.from === 1 && m.type.includes('vote')).map((m) => `${m.type}@${m.term}`);
    assert.deepEqual(types, ['pre-vote@2', 'pre-vote@2', 'vote@2', 'vote@2']);
    assert.equal(net.storages.get(2)!.getHardState().term, 2, 'voters took the term only with the real vote');
  });

  test('a pre-vote does not change the term or the vote of the server asked', () => {
    const net = Network.bootstrap([1, 2, 3], { preVote: true });
    net.stepMsg({ type: 'pre-vote', from: 1, to: 2, term: T(5), index: I(1), logTerm: T(1) });
    const [resp] = net.drain(2);
    assert.equal(resp?.type, 'pre-vote-resp');
    assert.equal(resp.reject, false);
    assert.equal(resp.term, 5, 'the grant names the term the pre-candidate would take');
    assert.equal(net.term(2), 1);
    assert.equal(net.raft(2).vote, 0);
  });
});

describe('check-quorum and the leader lease on votes', () => {
  test('a leader isolated from the majority steps down after an election timeout', () => {
    // §6.2: "a leader steps down if an election timeout elapses without a successful round of
    // heartbeats to a majority of its cluster".
    const electionTicks = 10;
    const net = Network.bootstrap([1, 2, 3], { checkQuorum: true, electionTicks });
    net.campaign(1);
    net.tick(25); // well past an election timeout with a quorum around: still leader
    assert.equal(net.state(1), 'leader');
    net.isolate(1);
    let ticks = 0;
    while (net.state(1) === 'leader') {
      net.tick(1, [1]);
      ticks++;
      assert.ok(ticks <= 2 * electionTicks, 'still leading after two election timeouts alone');
    }
    assert.ok(ticks >= electionTicks, `stepped down after ${ticks} ticks`);
    assert.equal(net.state(1), 'follower');
    assert.equal(net.term(1), 2, 'stepping down does not start an election');
    assert.equal(net.raft(1).lead, 0);
  });

  test('without check-quorum an isolated leader keeps leading', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.isolate(1);
    net.tick(100, [1]);
    assert.equal(net.state(1), 'leader');
  });

  test('a follower that heard from its leader within the election timeout ignores a vote request (§4.2.3)', () => {
    // "if a server receives a RequestVote request within the minimum election timeout of
    // hearing from a current leader, it does not update its term or grant its vote."
    for (const type of ['vote', 'pre-vote'] as const) {
      const net = Network.bootstrap([1, 2, 3], { checkQuorum: true, preVote: type === 'pre-vote' });
      net.campaign(1);
      // 3's log is as good as anyone's, and its term is newer: only the lease stops it.
      net.stepMsg({ type, from: 3, to: 2, term: T(3), index: I(2), logTerm: T(2) });
      assert.deepEqual(net.drain(2), [], `${type}: no answer at all`);
      assert.equal(net.term(2), 2);
      assert.equal(net.raft(2).lead, 1);
    }
  });

  test('a vote request carrying the leader-transfer context is granted despite the lease', () => {
    const net = Network.bootstrap([1, 2, 3], { checkQuorum: true });
    net.campaign(1);
    net.stepMsg({ type: 'vote', from: 3, to: 2, term: T(3), index: I(2), logTerm: T(2), context: campaignTransfer });
    const [resp] = net.drain(2);
    assert.equal(resp?.type, 'vote-resp');
    assert.equal(resp.reject, false);
    assert.equal(net.term(2), 3);
    assert.equal(net.raft(2).vote, 3);
  });

  test('once the lease has run out the follower votes again', () => {
    const net = Network.bootstrap([1, 2, 3], { checkQuorum: true, electionTicks: 10 });
    net.campaign(1);
    net.crash(1);
    net.tick(10, [2]); // 2's randomized timeout may or may not have fired; the lease is over anyway
    net.stepMsg({ type: 'vote', from: 3, to: 2, term: T(9), index: I(2), logTerm: T(2) });
    const resp = net.drain(2).find((m) => m.type === 'vote-resp' && m.to === 3);
    assert.equal(resp?.reject, false);
  });

  test('with check-quorum the rest of the cluster replaces an isolated leader', () => {
    const net = Network.bootstrap([1, 2, 3], { checkQuorum: true, preVote: true });
    net.campaign(1);
    net.isolate(1);
    net.tick(30);
    const l = net.leader();
    assert.ok(l === 2 || l === 3);
    assert.equal(net.state(1), 'follower');
    net.recover();
    net.tick(3);
    assert.equal(net.raft(1).lead, l);
    assert.equal(net.term(1), net.term(l));
  });
});

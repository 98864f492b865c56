// Leadership transfer (thesis §3.10).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { campaignTransfer } from '../../src/raft/raft.js';
import { Network, type BootstrapOptions } from './network.js';

function cluster(opts: BootstrapOptions = {}): Network {
  const net = Network.bootstrap([1, 2, 3], { electionTicks: 10, heartbeatTicks: 1, ...opts });
  net.campaign(1);
  assert.equal(net.state(1), 'leader');
  return net;
}

describe('leader transfer (§3.10)', () => {
  test('the leader sends TimeoutNow to an up-to-date target, which starts an election at once', () => {
    // "the prior leader sends a TimeoutNow request to the target server. This request has the
    // same effect as the target server's election timer firing: the target server starts a new
    // election (incrementing its term and becoming a candidate)."
    // With pre-vote and check-quorum on, the target skips the pre-vote and the voters' lease.
    const net = cluster({ preVote: true, checkQuorum: true });
    const mark = net.sent.length;
    net.node(1).transferLeader(2);
    net.pump();
    assert.equal(net.state(2), 'leader');
    assert.equal(net.term(2), 3);
    assert.equal(net.raft(1).lead, 2);
    const sent = net.sentSince(mark, (m) => m.type !== 'app' && m.type !== 'app-resp');
    assert.deepEqual(sent[0] && [sent[0].type, sent[0].from, sent[0].to], ['timeout-now', 1, 2]);
    const votes = net.sentSince(mark, (m) => m.from === 2 && (m.type === 'vote' || m.type === 'pre-vote'));
    assert.ok(votes.length === 2 && votes.every((m) => m.type === 'vote' && m.context === campaignTransfer));
  });

  test('a transfer to a lagging follower catches it up first', () => {
    // "The prior leader fully updates the target server's log to match its own, using the
    // normal log replication mechanism".
    const net = cluster();
    net.drop({ type: 'app', to: 3 });
    net.propose(1, 'x');
    net.propose(1, 'y');
    net.pump();
    net.recover();
    const mark = net.sent.length;
    net.node(1).transferLeader(3);
    net.pump();
    net.tick(1); // the heartbeat response reopens the paused probe
    assert.equal(net.state(3), 'leader');
    assert.deepEqual(net.appliedData(3), ['x', 'y']);
    const toThree = net.sentSince(mark, (m) => m.from === 1 && m.to === 3 && (m.type === 'app' || m.type === 'timeout-now'));
    const firstTimeout = toThree.findIndex((m) => m.type === 'timeout-now');
    assert.ok(firstTimeout > 0, 'entries went out before TimeoutNow');
    assert.ok(toThree.slice(0, firstTimeout).some((m) => m.entries.some((e) => e.index === 4)));
  });

  test('"the prior leader stops accepting new client requests" during a transfer', () => {
    const net = cluster();
    net.isolate(3);
    net.node(1).transferLeader(3);
    net.pump();
    assert.equal(net.node(1).status().leadTransferee, 3);
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
    net.propose(2, 'forwarded'); // the follower forwards it; the leader drops it
    net.pump();
    net.tick(3, [1, 2]);
    assert.deepEqual(net.appliedData(1), []);
  });

  test('a transfer that does not complete within an election timeout is aborted', () => {
    // "If the transfer does not complete after about an election timeout, the prior leader
    // aborts the transfer and resumes accepting client requests."
    const net = cluster();
    net.isolate(3);
    net.node(1).transferLeader(3);
    net.pump();
    net.tick(9, [1]);
    assert.equal(net.node(1).status().leadTransferee, 3);
    net.tick(1, [1]);
    assert.equal(net.node(1).status().leadTransferee, 0);
    assert.equal(net.state(1), 'leader');
    net.propose(1, 'x');
    net.pump();
    assert.deepEqual(net.appliedData(2), ['x']);
  });

  test('a transfer to a learner is refused', () => {
    const net = Network.bootstrap([1, 2, 3], { learners: [4] });
    net.campaign(1);
    assert.throws(() => net.node(1).transferLeader(4), ProposalDroppedError);
    assert.equal(net.node(1).status().leadTransferee, 0);
    net.propose(1, 'x');
    net.pump();
    assert.deepEqual(net.appliedData(4), ['x']);
  });

  test('a transfer requested at a follower is forwarded to the leader', () => {
    const net = cluster();
    net.node(3).transferLeader(3);
    net.pump();
    assert.equal(net.state(3), 'leader');
  });

  test('a transfer to the leader itself changes nothing', () => {
    const net = cluster();
    net.node(1).transferLeader(1);
    net.pump();
    assert.equal(net.state(1), 'leader');
    assert.equal(net.node(1).status().leadTransferee, 0);
    net.propose(1, 'x');
  });

  test('a new transfer replaces one in progress', () => {
    const net = cluster();
    net.isolate(3);
    net.node(1).transferLeader(3);
    net.pump();
    net.node(1).transferLeader(2);
    net.pump();
    assert.equal(net.state(2), 'leader');
  });
});

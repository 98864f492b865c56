// Flow control of appends to each follower: probe and replicate states, the inflight window,
// the message size limit, and the leader's limit on uncommitted bytes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { Network, type BootstrapOptions } from './network.js';

function cluster(opts: BootstrapOptions = {}): Network {
  const net = Network.bootstrap([1, 2, 3], opts);
  net.campaign(1);
  assert.equal(net.state(1), 'leader');
  return net;
}

describe('flow control', () => {
  test('in probe state the leader sends one append per heartbeat interval', () => {
    // Until a follower acknowledges an append, the leader does not know where their logs
    // match: it sends one message and waits, instead of streaming into the void.
    const net = Network.bootstrap([1, 2, 3], { heartbeatTicks: 2 });
    net.drop({ type: 'app-resp', from: 3 }); // 3 never acknowledges: it stays in probe
    net.campaign(1);
    const appsTo3 = () => net.sentSince(0, { type: 'app', to: 3 }).length;
    assert.equal(appsTo3(), 1);
    for (let i = 0; i < 5; i++) {
      net.propose(1, `p${i}`);
      net.pump();
    }
    assert.equal(appsTo3(), 1, 'proposals do not go to a paused probe');
    assert.deepEqual(net.appliedData(2), ['p0', 'p1', 'p2', 'p3', 'p4']);
    for (let interval = 1; interval <= 3; interval++) {
      net.tick(1);
      assert.equal(appsTo3(), interval, 'mid-interval: nothing');
      net.tick(1); // a heartbeat; its response reopens the probe for one message
      assert.equal(appsTo3(), interval + 1);
    }
    assert.equal(net.node(1).status().progress!.get(3)!.state, 'probe');
  });

  test('in replicate state the leader stops at inflightMsgsMax unacknowledged appends', () => {
    const inflightMsgsMax = 3;
    const net = cluster({ inflightMsgsMax });
    assert.equal(net.node(1).status().progress!.get(3)!.state, 'replicate');
    const stop = net.drop({ type: 'app-resp', from: 3 });
    const mark = net.sent.length;
    for (let i = 0; i < 10; i++) {
      net.propose(1, `p${i}`);
      net.pump();
    }
    const withEntries = (to: number) => net.sentSince(mark, (m) => m.type === 'app' && m.to === to && m.entries.length > 0);
    assert.equal(withEntries(3).length, inflightMsgsMax);
    assert.equal(withEntries(2).length, 10);
    assert.equal(net.node(1).status().progress!.get(3)!.inflight, inflightMsgsMax);
    // Once acknowledgments flow again, 3 catches up.
    stop();
    net.tick(3);
    assert.equal(net.appliedData(3).length, 10);
    net.checkLogMatching();
  });

  test('a full window whose acknowledgments were all lost recovers after a heartbeat', () => {
    const net = cluster({ inflightMsgsMax: 2 });
    const stop = net.drop({ type: 'app-resp', from: 3 });
    for (let i = 0; i < 4; i++) {
      net.propose(1, `p${i}`);
      net.pump();
    }
    assert.equal(net.node(1).status().progress!.get(3)!.inflight, 2);
    net.tick(1); // heartbeat responses prove 3 alive while its acks are still lost
    stop();
    net.tick(2);
    assert.deepEqual(net.appliedData(3), ['p0', 'p1', 'p2', 'p3']);
  });

  test('msgBytesMax splits a batch of entries across appends (and never splits an entry)', () => {
    const entryBytes = 10 + 24; // payload + fixed overhead (types.entrySize)
    const net = cluster({ msgBytesMax: 3 * entryBytes });
    const mark = net.sent.length;
    const datas = Array.from({ length: 10 }, (_, i) => `entry-${String(i).padStart(4, '0')}`);
    assert.equal(datas[0]!.length, 10);
    net.node(1).proposeBatch(datas.map((d) => new TextEncoder().encode(d)));
    net.pump();
    const apps = net.sentSince(mark, (m) => m.type === 'app' && m.to === 2 && m.entries.length > 0);
    assert.deepEqual(
      apps.map((m) => m.entries.length),
      [3, 3, 3, 1],
    );
    assert.deepEqual(
      apps.flatMap((m) => m.entries.map((e) => e.index)),
      Array.from({ length: 10 }, (_, i) => 3 + i),
    );
    assert.deepEqual(net.appliedData(2), datas);
    // An entry larger than the limit still goes, alone.
    net.propose(1, 'x'.repeat(500));
    net.pump();
    assert.equal(net.appliedData(3).at(-1)!.length, 500);
  });

  test('a rejected append makes the leader fall back from replicate to probe', () => {
    const net = cluster();
    net.crash(3);
    for (let i = 0; i < 3; i++) {
      net.propose(1, `p${i}`);
      net.pump();
    }
    // 3 missed them while down; the leader's optimistic next index is past 3's log, so its
    // next append is rejected.
    net.restart(3);
    const s3 = net.storages.get(3)!;
    assert.equal(s3.lastIndex(), 2);
    net.tick(1);
    assert.deepEqual(net.appliedData(3), ['p0', 'p1', 'p2']);
    const rejects = net.sentSince(0, { type: 'app-resp', from: 3 }).filter((m) => m.reject);
    assert.equal(rejects.length, 1);
    assert.equal(net.node(1).status().progress!.get(3)!.state, 'replicate');
  });
});

describe('proposals', () => {
  test('the leader drops proposals beyond uncommittedBytesMax until entries commit', () => {
    const net = cluster({ uncommittedBytesMax: 100 });
    net.isolate(1); // nothing commits
    net.propose(1, 'a'.repeat(60));
    assert.throws(() => net.propose(1, 'b'.repeat(60)), ProposalDroppedError);
    net.propose(1, 'c'.repeat(40)); // exactly at the limit
    assert.throws(() => net.propose(1, 'd'), ProposalDroppedError);
    net.pump();
    net.recover();
    net.tick(1);
    assert.deepEqual(
      net.appliedData(2).map((d) => d[0]),
      ['a', 'c'],
    );
    net.propose(1, 'e'.repeat(60));
  });

  test('one proposal larger than uncommittedBytesMax is accepted when nothing else is pending', () => {
    const net = cluster({ uncommittedBytesMax: 100 });
    net.propose(1, 'a'.repeat(500));
    net.pump();
    assert.equal(net.appliedData(2).length, 1);
  });

  test('a proposal at a follower is forwarded to the leader', () => {
    const net = cluster();
    net.propose(3, 'via-3');
    net.pump();
    for (const id of [1, 2, 3]) assert.deepEqual(net.appliedData(id), ['via-3']);
    const fwd = net.sentSince(0, { type: 'prop' });
    assert.deepEqual(fwd.map((m) => [m.from, m.to]), [[3, 1]]);
  });

  test('a proposal is dropped with ProposalDroppedError when there is no leader', () => {
    const net = Network.bootstrap([1, 2, 3]);
    assert.throws(() => net.propose(2, 'x'), (err: unknown) => err instanceof ProposalDroppedError && err.code === 'RAFT_PROPOSAL_DROPPED');
    net.isolate(1);
    net.campaign(1);
    assert.equal(net.state(1), 'candidate');
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
  });

  test('a follower drops proposals when forwarding is disabled', () => {
    const net = cluster({ disableProposalForwarding: true });
    assert.throws(() => net.propose(2, 'x'), /forwarding is disabled/);
    net.propose(1, 'y');
    net.pump();
    assert.deepEqual(net.appliedData(2), ['y']);
  });
});

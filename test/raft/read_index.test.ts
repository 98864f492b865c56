// Linearizable reads without writing to the log (thesis §6.4, §6.4.1).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import type { NodeId } from '../../src/raft/types.js';
import { Network, type BootstrapOptions } from './network.js';

function leaderOf3(opts: BootstrapOptions = {}): Network {
  const net = Network.bootstrap([1, 2, 3], opts);
  net.campaign(1);
  assert.equal(net.state(1), 'leader');
  return net;
}

describe('ReadIndex (§6.4)', () => {
  test('a new leader serves no read before it has committed an entry of its term (its empty entry)', () => {
    // "at the start of its term, it may not know which those are. To find out, it needs to
    // commit an entry from its term."
    const net = Network.bootstrap([1, 2, 3]);
    net.drop({ type: 'app', from: 1 });
    net.campaign(1);
    assert.equal(net.state(1), 'leader');
    net.node(1).readIndex('r1');
    net.tick(3);
    assert.equal(net.committed(1), 1, 'the empty entry of term 2 is not committed');
    assert.deepEqual(net.readStates.get(1), [], 'so the read waits');
    net.recover();
    net.tick(1);
    assert.deepEqual(net.readStates.get(1), [{ index: 2, requestCtx: 'r1' }]);
  });

  test('a read is served only after a heartbeat round confirms leadership with a majority', () => {
    // "The leader needs to make sure it hasn't been superseded by a newer leader of which it is
    // unaware. It issues a new round of heartbeats and waits for their acknowledgments from a
    // majority of the cluster."
    const net = Network.bootstrap([1, 2, 3, 4, 5]);
    net.campaign(1);
    const stop = net.drop({ type: 'heartbeat-resp', to: 1 });
    const mark = net.sent.length;
    net.node(1).readIndex('r1');
    net.pump();
    const beats = net.sentSince(mark, { type: 'heartbeat', from: 1 });
    assert.deepEqual(
      beats.map((m) => [m.to, m.context]),
      [
        [2, 'r1'],
        [3, 'r1'],
        [4, 'r1'],
        [5, 'r1'],
      ],
    );
    assert.deepEqual(net.readStates.get(1), [], 'no acknowledgment yet');
    // One acknowledgment plus the leader's own is not a majority of five.
    stop();
    for (const m of beats.slice(0, 1)) net.deliver(m);
    net.pump();
    assert.deepEqual(net.readStates.get(1), []);
    net.deliver(beats[1]!);
    net.pump();
    assert.deepEqual(net.readStates.get(1), [{ index: 2, requestCtx: 'r1' }]);
  });

  test('several reads in one turn share one heartbeat round', () => {
    const net = leaderOf3();
    net.propose(1, 'x');
    net.pump();
    const mark = net.sent.length;
    for (const ctx of ['r1', 'r2', 'r3']) net.node(1).readIndex(ctx);
    net.pump();
    const beats = net.sentSince(mark, { type: 'heartbeat' });
    assert.equal(beats.length, 2, 'one heartbeat per follower, not one per read');
    assert.ok(beats.every((m) => m.context === 'r3'));
    assert.deepEqual(net.readStates.get(1), [
      { index: 3, requestCtx: 'r1' },
      { index: 3, requestCtx: 'r2' },
      { index: 3, requestCtx: 'r3' },
    ]);
  });

  test('a read at a follower is forwarded to the leader and answered with its read index', () => {
    const net = leaderOf3();
    net.propose(1, 'x');
    net.pump();
    net.node(3).readIndex('f1');
    net.pump();
    assert.deepEqual(net.readStates.get(3), [{ index: 3, requestCtx: 'f1' }]);
    assert.ok(net.lastApplied(3) >= 3, 'the follower serves the read once it applied up to the index');
  });

  test('a read at a follower that knows no leader is dropped', () => {
    const net = Network.bootstrap([1, 2, 3]);
    assert.throws(() => net.node(2).readIndex('f1'), ProposalDroppedError);
  });

  test('a deposed leader that does not know it yet never serves a read', () => {
    const net = leaderOf3();
    net.isolate(1);
    net.campaign(2);
    net.propose(2, 'new');
    net.pump();
    net.node(1).readIndex('stale');
    net.tick(30, [1]);
    assert.deepEqual(net.readStates.get(1), []);
    net.recover();
    net.tick(2);
    assert.equal(net.state(1), 'follower');
    assert.deepEqual(net.readStates.get(1), [], 'the read is abandoned; the client retries');
  });

  test('a single-voter group serves reads at once', () => {
    const net = Network.bootstrap([1]);
    net.campaign(1);
    const mark = net.sent.length;
    net.node(1).readIndex('r');
    net.pump();
    assert.deepEqual(net.readStates.get(1), [{ index: 2, requestCtx: 'r' }]);
    assert.equal(net.sentSince(mark).length, 0);
  });
});

describe('lease-based reads (§6.4.1)', () => {
  const opts: BootstrapOptions = { checkQuorum: true, readOnlyOption: 'lease-based', electionTicks: 10, heartbeatTicks: 1 };

  /** Ticks until someone wins (nodes refuse votes for an election timeout after starting). */
  function elect(net: Network): NodeId {
    for (let i = 0; i < 40 && net.leader() === undefined; i++) net.tick(1);
    const l = net.leader();
    assert.ok(l !== undefined);
    return l;
  }

  test('with check-quorum a leader holding a lease answers a read without a heartbeat round', () => {
    const net = Network.bootstrap([1, 2, 3], opts);
    const l = elect(net);
    net.tick(1); // a heartbeat round acknowledged by a quorum starts the lease
    const mark = net.sent.length;
    net.node(l).readIndex('r');
    const rd = net.handleReady(l);
    assert.deepEqual(rd.readStates, [{ index: net.committed(l), requestCtx: 'r' }]);
    assert.deepEqual(
      rd.messages.filter((m) => m.type === 'heartbeat'),
      [],
    );
    net.pump();
    assert.equal(net.sentSince(mark, { type: 'heartbeat' }).length, 0);
  });

  test('without an acknowledged lease a lease-based read falls back to a heartbeat round', () => {
    const net = Network.bootstrap([1, 2, 3], opts);
    const l = elect(net);
    net.drop({ type: 'heartbeat-resp' });
    net.tick(opts.electionTicks! - 1); // whatever lease there was has run out
    assert.equal(net.state(l), 'leader');
    const mark = net.sent.length;
    net.node(l).readIndex('r');
    net.pump();
    assert.deepEqual(net.readStates.get(l), []);
    assert.equal(net.sentSince(mark, { type: 'heartbeat', from: l }).length, 2);
    net.recover();
    net.tick(1);
    assert.equal(net.readStates.get(l)!.length, 1);
  });

  test('a leader transfer voids the lease', () => {
    const net = Network.bootstrap([1, 2, 3], opts);
    const l = elect(net);
    net.tick(1);
    const target = l === 1 ? 2 : 1;
    net.drop({ type: 'timeout-now' }); // the transfer never completes
    net.node(l).transferLeader(target);
    net.pump();
    // Reads are still possible (they are not proposals) but need a heartbeat round.
    const mark = net.sent.length;
    net.node(l).readIndex('r');
    net.pump();
    assert.ok(net.sentSince(mark, { type: 'heartbeat', from: l }).length > 0);
  });
});

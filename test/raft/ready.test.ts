// The Ready contract between the Raft core and the application (rawnode.ts): persist, then
// send, then apply, then advance.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Index, Term } from '../../src/raft/types.js';
import { AssertionFailure } from '../../src/util/assert.js';
import { bytes, Network } from './network.js';

const T = (n: number) => n as Term;
const I = (n: number) => n as Index;

describe('Ready', () => {
  test("a follower's acknowledgment travels in the Ready that holds the entries it acknowledges", () => {
    // So it is sent only once they are persisted.
    const net = Network.bootstrap([1, 2, 3]);
    net.stepMsg({ type: 'app', from: 1, to: 2, term: T(2), index: I(1), logTerm: T(1), commit: I(1), entries: [{ term: T(2), index: I(2), type: 'normal', data: bytes('x') }] });
    const rd = net.node(2).ready();
    assert.deepEqual(
      rd.entries.map((e) => e.index),
      [2],
    );
    assert.deepEqual(
      rd.messages.map((m) => [m.type, m.index]),
      [['app-resp', 2]],
    );
    assert.equal(rd.mustSync, true);
  });

  test('mustSync is set for new entries, a new term or a new vote, and not for a commit index alone', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'x');
    net.pump();
    // 2 gets entry 4 but not the news that it committed; then a heartbeat brings it.
    net.drop((m) => m.type === 'app' && m.commit === 4);
    net.propose(1, 'y');
    net.pump();
    assert.equal(net.committed(2), 3);
    net.stepMsg({ type: 'heartbeat', from: 1, to: 2, term: T(2), commit: I(4) });
    const hb = net.node(2).ready();
    assert.equal(hb.mustSync, false);
    assert.deepEqual(hb.hardState, { term: 2, vote: 1, commit: 4 });
    assert.deepEqual(hb.entries, []);
    net.node(2).advance(hb);
    // A vote in a new term must be durable before the grant goes out.
    net.stepMsg({ type: 'vote', from: 3, to: 2, term: T(3), index: I(9), logTerm: T(2) });
    const vote = net.node(2).ready();
    assert.equal(vote.mustSync, true);
    assert.deepEqual(vote.hardState, { term: 3, vote: 3, commit: 4 });
  });

  test("the leader's acknowledgment of its own entries is not a message: it is stepped in advance()", () => {
    const net = Network.bootstrap([1]);
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    assert.deepEqual(rd.messages, []);
    assert.equal(net.committed(1), 2, 'a single voter commits only what it persisted');
    net.persist(1, rd);
    net.apply(1, rd);
    net.node(1).advance(rd);
    assert.equal(net.committed(1), 3);
    net.pump();
    assert.deepEqual(net.appliedData(1), ['x']);
  });

  test('with applyWithPersist, a single voter hands out its new entries committed in the Ready that persists them', () => {
    const net = Network.bootstrap([1], { applyWithPersist: true });
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    assert.deepEqual(rd.entries.map((e) => e.index), [3]);
    assert.deepEqual(rd.committedEntries.map((e) => e.index), [3]);
    assert.equal(rd.hardState?.commit, 3);
    net.persist(1, rd);
    net.apply(1, rd);
    net.node(1).advance(rd);
    assert.deepEqual(net.appliedData(1), ['x']);
    assert.equal(net.node(1).hasReady(), false);
  });

  test('applyWithPersist changes nothing with more than one voter: the leader still counts itself after persisting', () => {
    const net = Network.bootstrap([1, 2, 3], { applyWithPersist: true });
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    assert.deepEqual(rd.committedEntries, []);
    assert.equal(net.committed(1), 2);
  });

  test('no second Ready is handed out before advance()', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    net.propose(1, 'y'); // stepping and proposing between ready() and advance() is fine
    assert.equal(net.node(1).hasReady(), false);
    assert.throws(() => net.node(1).ready(), AssertionFailure);
    net.persist(1, rd);
    net.send(rd.messages);
    net.apply(1, rd);
    net.node(1).advance(rd);
    assert.equal(net.node(1).hasReady(), true);
    net.pump();
    assert.deepEqual(net.appliedData(3), ['x', 'y']);
  });

  test('proposals of one turn go out in one append per follower', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    const mark = net.sent.length;
    for (const d of ['a', 'b', 'c']) net.propose(1, d);
    net.pump();
    const apps = net.sentSince(mark, (m) => m.type === 'app' && m.entries.length > 0);
    assert.deepEqual(
      apps.map((m) => [m.to, m.entries.length]),
      [
        [2, 3],
        [3, 3],
      ],
    );
  });
});

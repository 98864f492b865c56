// Leader election (Raft paper §5.2, §5.4.1; thesis §3.4, §3.6.1).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Index, Message, MessageType, NodeId, Term } from '../../src/raft/types.js';
import { Network } from './network.js';

const T = (n: number) => n as Term;
const I = (n: number) => n as Index;

/** The one response of `type` the node sent back. */
function only(msgs: Message[], type: MessageType): Message {
  const rs = msgs.filter((m) => m.type === type);
  assert.equal(rs.length, 1, `expected one ${type}, got ${JSON.stringify(msgs.map((m) => m.type))}`);
  return rs[0]!;
}

describe('leader election', () => {
  test('a candidate wins an election if it receives votes from a majority of the servers in the full cluster', () => {
    // "A candidate wins an election if it receives votes from a majority of the servers in the
    // full cluster for the same term."
    const cases: Array<{ size: number; down: NodeId[]; wins: boolean }> = [
      { size: 1, down: [], wins: true },
      { size: 3, down: [3], wins: true },
      { size: 3, down: [2, 3], wins: false },
      { size: 4, down: [4], wins: true },
      { size: 4, down: [3, 4], wins: false }, // 2 of 4 is not a majority
      { size: 5, down: [4, 5], wins: true },
      { size: 5, down: [3, 4, 5], wins: false },
    ];
    for (const c of cases) {
      const ids = Array.from({ length: c.size }, (_, i) => i + 1);
      const net = Network.bootstrap(ids);
      for (const id of c.down) net.crash(id);
      net.campaign(1);
      assert.equal(net.state(1), c.wins ? 'leader' : 'candidate', JSON.stringify(c));
      assert.equal(net.term(1), 2);
    }
  });

  test('each server will vote for at most one candidate in a given term, on a first-come-first-served basis', () => {
    const net = Network.bootstrap([1, 2, 3]);
    const vote = (from: NodeId) => {
      net.stepMsg({ type: 'vote', from, to: 2, term: T(2), index: I(1), logTerm: T(1) });
      return only(net.drain(2), 'vote-resp');
    };
    assert.equal(vote(1).reject, false, 'first come: granted');
    assert.equal(vote(3).reject, true, 'a second candidate of the same term is refused');
    assert.equal(vote(1).reject, false, 'a repeated request from the same candidate is granted again');
    // The vote is durable: after a crash the node still refuses the other candidate.
    assert.deepEqual(net.storages.get(2)!.getHardState(), { term: 2, vote: 1, commit: 1 });
    net.crash(2);
    net.restart(2);
    assert.equal(vote(3).reject, true, 'the vote survives a restart');
  });

  test('a vote is granted only once it is durable: a crash before persisting loses both the vote and the grant', () => {
    // The grant travels in the same Ready as the hard state recording the vote, and messages
    // are sent only after the Ready is persisted.
    const net = Network.bootstrap([1, 2, 3]);
    net.stepMsg({ type: 'vote', from: 1, to: 2, term: T(2), index: I(1), logTerm: T(1) });
    assert.equal(net.raft(2).vote, 1, 'voted in memory');
    net.crash(2); // before its Ready was handled
    net.restart(2);
    assert.deepEqual(net.storages.get(2)!.getHardState(), { term: 1, vote: 0, commit: 1 });
    net.stepMsg({ type: 'vote', from: 3, to: 2, term: T(2), index: I(1), logTerm: T(1) });
    assert.equal(only(net.drain(2), 'vote-resp').reject, false, 'free to vote for 3: nobody saw the first vote');
  });

  test('"the voter denies its vote if its own log is more up-to-date than that of the candidate"', () => {
    // §5.4.1: "If the logs have last entries with different terms, then the log with the later
    // term is more up-to-date. If the logs end with the same term, then whichever log is longer
    // is more up-to-date." The voter's log has terms [1 2 2] (last index 3, last term 2).
    const cases: Array<{ index: number; logTerm: number; granted: boolean; why: string }> = [
      { index: 3, logTerm: 2, granted: true, why: 'same last term, same length' },
      { index: 4, logTerm: 2, granted: true, why: 'same last term, candidate longer' },
      { index: 2, logTerm: 2, granted: false, why: 'same last term, candidate shorter' },
      { index: 1, logTerm: 3, granted: true, why: 'candidate has a later last term, though shorter' },
      { index: 9, logTerm: 1, granted: false, why: 'candidate has an earlier last term, though longer' },
    ];
    for (const type of ['vote', 'pre-vote'] as const) {
      for (const c of cases) {
        const net = Network.bootstrap([1, 2, 3], { logs: { 2: [1, 2, 2] }, preVote: type === 'pre-vote' });
        net.stepMsg({ type, from: 1, to: 2, term: T(3), index: I(c.index), logTerm: T(c.logTerm) });
        const resp = only(net.drain(2), type === 'vote' ? 'vote-resp' : 'pre-vote-resp');
        assert.equal(resp.reject, !c.granted, `${type}: ${c.why}`);
      }
    }
  });

  test('a candidate whose log is behind cannot win: the leader holds all committed entries', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.pump();
    assert.equal(net.committed(1), 3);
    net.recover();
    net.isolate(1);
    net.campaign(3); // 3 lacks entry 3: 2 refuses, 3 stays candidate
    assert.equal(net.state(3), 'candidate');
    net.campaign(2);
    assert.equal(net.state(2), 'leader');
    assert.deepEqual(net.appliedData(2), ['a']);
  });

  test('a candidate that receives AppendEntries from a leader whose term is at least its own returns to follower', () => {
    // "If the leader's term (included in its RPC) is at least as large as the candidate's
    // current term, then the candidate recognizes the leader as legitimate and returns to
    // follower state. If the term in the RPC is smaller than the candidate's current term,
    // then the candidate rejects the RPC and continues in candidate state."
    for (const [leaderTerm, stepsDown] of [
      [2, false],
      [3, true],
      [4, true],
    ] as const) {
      for (const type of ['app', 'heartbeat'] as const) {
        const net = Network.bootstrap([1, 2, 3]);
        net.isolate(1);
        net.campaign(1);
        net.campaign(1); // term 3, still no votes
        assert.equal(net.state(1), 'candidate');
        assert.equal(net.term(1), 3);
        net.stepMsg({ type, from: 2, to: 1, term: T(leaderTerm), index: I(1), logTerm: T(1), commit: I(1) });
        assert.equal(net.state(1), stepsDown ? 'follower' : 'candidate', `${type} of term ${leaderTerm}`);
        assert.equal(net.term(1), Math.max(3, leaderTerm));
        assert.equal(net.raft(1).lead, stepsDown ? 2 : 0);
      }
    }
  });

  test('a pre-candidate that hears from a leader of its term returns to follower', () => {
    const net = Network.bootstrap([1, 2, 3], { preVote: true });
    net.isolate(1);
    net.campaign(1);
    assert.equal(net.state(1), 'pre-candidate');
    assert.equal(net.term(1), 1, 'a pre-election does not change the term');
    net.stepMsg({ type: 'heartbeat', from: 2, to: 1, term: T(1) });
    assert.equal(net.state(1), 'follower');
    assert.equal(net.raft(1).lead, 2);
  });

  test('election timeouts are chosen randomly from [electionTicks, 2*electionTicks)', () => {
    // §5.2: "Raft uses randomized election timeouts ... election timeouts are chosen randomly
    // from a fixed interval". Each node draws from its injected Rand: every value of the range
    // shows up across seeds, none outside it, and a candidate draws again for its next try.
    const electionTicks = 10;
    const firstTimeouts = new Set<number>();
    const retryTimeouts = new Set<number>();
    const ticksUntil = (net: Network, done: () => boolean) => {
      let n = 0;
      while (!done()) {
        net.tick(1, [1]);
        n++;
        assert.ok(n < 10 * electionTicks, 'never timed out');
      }
      return n;
    };
    for (let seed = 1; seed <= 200; seed++) {
      const net = Network.bootstrap([1, 2, 3], { seed, electionTicks });
      net.isolate(1);
      firstTimeouts.add(ticksUntil(net, () => net.state(1) === 'candidate'));
      retryTimeouts.add(ticksUntil(net, () => net.term(1) === 3));
    }
    const range = Array.from({ length: electionTicks }, (_, i) => electionTicks + i);
    assert.deepEqual([...firstTimeouts].sort((a, b) => a - b), range);
    assert.deepEqual([...retryTimeouts].sort((a, b) => a - b), range);
  });

  test('a follower that hears from its leader never times out', () => {
    const net = Network.bootstrap([1, 2, 3], { electionTicks: 10, heartbeatTicks: 2 });
    net.campaign(1);
    net.tick(200);
    assert.equal(net.leader(), 1);
    assert.equal(net.term(2), 2);
    assert.equal(net.term(3), 2);
  });

  test('followers of a crashed leader elect a new one after an election timeout', () => {
    const net = Network.bootstrap([1, 2, 3], { electionTicks: 10 });
    net.campaign(1);
    net.crash(1);
    net.tick(20); // every timeout is below 2 * electionTicks
    const l = net.leader();
    assert.ok(l === 2 || l === 3, `new leader: ${l}`);
    assert.equal(net.term(l), 3);
  });
});

describe('terms', () => {
  test('"If a server receives a request with a stale term number, it rejects the request"', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.campaign(2); // term 3, leader 2
    assert.equal(net.leader(), 2);
    const before = net.log(3);
    // An AppendEntries from the deposed leader of term 2 would overwrite index 3.
    net.stepMsg({
      type: 'app',
      from: 1,
      to: 3,
      term: T(2),
      index: I(2),
      logTerm: T(2),
      commit: I(2),
      entries: [{ term: T(2), index: I(3), type: 'normal', data: new Uint8Array([1]) }],
    });
    // A vote request of a stale term is not granted either.
    net.stepMsg({ type: 'vote', from: 1, to: 3, term: T(2), index: I(99), logTerm: T(2) });
    const out = net.drain(3);
    assert.ok(!out.some((m) => m.type === 'vote-resp' && !m.reject), 'no vote granted');
    // An answer, if any, only tells the stale sender the newer term (so that it steps down).
    assert.ok(out.every((m) => m.term === 3 && m.entries.length === 0), JSON.stringify(out));
    assert.deepEqual(net.log(3), before);
    assert.equal(net.raft(3).lead, 2);
    assert.equal(net.term(3), 3);
  });

  test('with check-quorum a stale leader is told the new term in the rejection and steps down', () => {
    // With check-quorum (or pre-vote) the deposed leader would never see a higher-term vote
    // request, so followers answer its appends with their term.
    const net = Network.bootstrap([1, 2, 3], { checkQuorum: true });
    net.tick(10); // leave the startup lease
    net.campaign(1);
    net.isolate(1);
    net.tick(25, [2, 3]);
    const l = net.leader();
    assert.ok(l === 2 || l === 3);
    assert.equal(net.state(1), 'leader', 'the isolated leader does not know yet');
    net.recover();
    net.propose(1, 'stale');
    net.pump();
    assert.equal(net.state(1), 'follower');
    assert.equal(net.term(1), net.term(l));
    net.tick(2);
    assert.equal(net.raft(1).lead, l);
    assert.ok(!net.appliedData(l).includes('stale'));
  });

  test('"If a candidate or leader discovers that its term is out of date, it immediately reverts to follower state"', () => {
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.isolate(1);
    net.campaign(2);
    assert.equal(net.state(2), 'leader');
    assert.equal(net.term(2), 3);
    assert.equal(net.state(1), 'leader', 'still leads term 2 behind the partition');
    net.recover();
    net.tick(1); // 2's heartbeat of term 3 reaches 1
    assert.equal(net.state(1), 'follower');
    assert.equal(net.term(1), 3);
    assert.equal(net.raft(1).lead, 2);
  });

  test('a leader steps down on any message with a higher term, even a response', () => {
    for (const type of ['app-resp', 'heartbeat-resp', 'vote', 'vote-resp'] as const) {
      const net = Network.bootstrap([1, 2, 3]);
      net.campaign(1);
      net.stepMsg({ type, from: 2, to: 1, term: T(5), index: I(1), logTerm: T(1) });
      assert.equal(net.state(1), 'follower', type);
      assert.equal(net.term(1), 5, type);
    }
  });
});

// Log replication and the commitment rules (Raft paper §5.3, §5.4.2; thesis §3.5, §3.6.2).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Entry, Index, NodeId, Term } from '../../src/raft/types.js';
import { bytes, Network } from './network.js';

const T = (n: number) => n as Term;
const I = (n: number) => n as Index;

function entry(index: number, term: number, data = `t${term}`): Entry {
  return { index: I(index), term: T(term), type: 'normal', data: bytes(data) };
}

describe('log replication', () => {
  test('"If the follower does not find an entry in its log with the same index and term, then it refuses the new entries"', () => {
    // The follower's log has terms [1 1 2] (from the logs option); its hard state term is 2.
    const cases: Array<{ index: number; logTerm: number; accepted: boolean; why: string }> = [
      { index: 3, logTerm: 2, accepted: true, why: 'matches the last entry' },
      { index: 2, logTerm: 1, accepted: true, why: 'matches an earlier entry' },
      { index: 3, logTerm: 3, accepted: false, why: 'same index, different term' },
      { index: 4, logTerm: 2, accepted: false, why: 'beyond the end of the log' },
    ];
    for (const c of cases) {
      const net = Network.bootstrap([1, 2], { logs: { 2: [1, 1, 2] } });
      const before = net.log(2);
      net.stepMsg({
        type: 'app',
        from: 1,
        to: 2,
        term: T(3),
        index: I(c.index),
        logTerm: T(c.logTerm),
        entries: [entry(c.index + 1, 3, 'new')],
        commit: I(1),
      });
      const [resp] = net.drain(2);
      assert.equal(resp?.type, 'app-resp');
      assert.equal(resp.reject, !c.accepted, c.why);
      if (c.accepted) {
        assert.equal(resp.index, c.index + 1);
        assert.deepEqual(net.logTerms(2), [...[1, 1, 2].slice(0, c.index), 3]);
      } else {
        assert.equal(resp.index, c.index, 'the rejection names the index that did not match');
        assert.deepEqual(net.log(2), before, 'a refused AppendEntries changes nothing');
      }
    }
  });

  // Figure 7: the leader of term 8 and six possible follower logs (terms of entries 1..).
  const figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const figure7: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6], // missing entries
    b: [1, 1, 1, 4], // missing entries
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // an extra uncommitted entry
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // extra uncommitted entries of a later term
    e: [1, 1, 1, 4, 4, 4, 4], // missing entries and extra ones of term 4
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // a leader of terms 2 and 3 that never committed
  };

  /** Node 1 holds the leader's log and wins term 8 with node 3's vote (node 3 only has entry 1). */
  function figure7Cluster(followerLog: number[]): Network {
    const net = Network.bootstrap([1, 2, 3], { logs: { 1: figure7Leader, 2: followerLog, 3: [1] } });
    net.isolate(1);
    net.campaign(1); // term 7, lost alone
    net.recover();
    net.campaign(1);
    assert.equal(net.state(1), 'leader');
    assert.equal(net.term(1), 8);
    return net;
  }

  for (const [name, followerLog] of Object.entries(figure7)) {
    test(`the leader brings a divergent follower's log into consistency with its own (Figure 7 case ${name})`, () => {
      // "the leader must find the latest log entry where the two logs agree, delete any
      // entries in the follower's log after that point, and send the follower all of the
      // leader's entries after that point."
      const net = figure7Cluster(followerLog);
      const expected = [...figure7Leader, net.term(1)]; // plus the new leader's empty entry
      assert.deepEqual(net.logTerms(1), expected);
      assert.deepEqual(net.logTerms(2), expected);
      assert.deepEqual(net.logTerms(3), expected);
      assert.deepEqual(net.log(2), net.log(1));
      assert.equal(net.committed(2), expected.length);
    });
  }

  test('a rejection carries a hint that lets the leader skip a whole term of entries (Figure 7 case f)', () => {
    // §5.3: "the follower can include the term of the conflicting entry and the first index it
    // stores for that term" - here the follower hints (index 10, term 3) and the leader goes
    // straight to index 3, the last entry of a term <= 3 in its own log: one rejection
    // instead of seven.
    const net = Network.bootstrap([1, 2, 3], { logs: { 1: figure7Leader, 2: figure7.f!, 3: [1] } });
    net.isolate(1);
    net.campaign(1);
    net.recover();
    const mark = net.sent.length;
    net.campaign(1); // term 8
    const rejects = net.sentSince(mark, (m) => m.type === 'app-resp' && m.from === 2 && m.reject && m.term === 8);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0]!.rejectHint, 10);
    assert.equal(rejects[0]!.logTerm, 3);
    const probes = net.sentSince(mark, (m) => m.type === 'app' && m.to === 2 && m.term === 8);
    assert.deepEqual(
      probes.slice(0, 2).map((m) => m.index),
      [10, 3],
    );
    assert.ok(probes.every((m) => m.index >= 3));
    assert.deepEqual(net.log(2), net.log(1));
  });

  test('"a leader never overwrites or deletes entries in its log; it only appends new entries"', () => {
    // Leader Append-Only, checked on every Ready a leader hands out: what it persists starts
    // right after what it already has, whatever arrives from a stale leader meanwhile.
    const net = Network.bootstrap([1, 2, 3]);
    let checked = 0;
    net.onReady = (id, rd) => {
      if (net.state(id) !== 'leader' || rd.entries.length === 0) return;
      assert.equal(rd.entries[0]!.index, net.storages.get(id)!.lastIndex() + 1, `leader ${id} rewrote its log`);
      checked++;
    };
    net.campaign(1);
    net.isolate(1);
    net.propose(1, 'lost-1');
    net.propose(1, 'lost-2');
    net.pump();
    net.campaign(2); // term 3 without 1
    net.propose(2, 'kept');
    net.pump();
    // A stale AppendEntries of term 2 that conflicts with the new leader's log.
    net.stepMsg({ type: 'app', from: 1, to: 2, term: T(2), index: I(2), logTerm: T(2), entries: [entry(3, 2, 'lost-1')] });
    net.recover();
    net.tick(1);
    assert.deepEqual(net.appliedData(1), ['kept'], 'the old leader, now a follower, was repaired');
    assert.deepEqual(net.appliedData(2), ['kept']);
    assert.ok(checked >= 4);
  });

  test('followers learn the commit index from later AppendEntries and heartbeats', () => {
    // "The leader keeps track of the highest index it knows to be committed, and it includes
    // that index in future AppendEntries RPCs (including heartbeats)".
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    // The appends the leader sends right after committing (to announce it) are lost.
    net.drop((m) => m.type === 'app' && m.commit === 3);
    net.propose(1, 'x');
    net.pump();
    assert.equal(net.committed(1), 3);
    assert.equal(net.committed(2), 2);
    assert.equal(net.committed(3), 2);
    net.tick(1); // a heartbeat carries commit 3
    assert.equal(net.committed(2), 3);
    assert.equal(net.committed(3), 3);
    assert.deepEqual(net.appliedData(3), ['x']);
  });
});

describe('commitment', () => {
  test("the leader counts its own copy toward a majority only once its Ready is persisted", () => {
    // "A log entry is committed once the leader that created the entry has replicated it on a
    // majority of the servers" - replicated meaning durable: the leader's own copy counts only
    // after advance(), which steps the self-addressed append response.
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    assert.equal(rd.entries.length, 1);
    net.persist(1, rd);
    net.send(rd.messages.filter((m) => m.to === 2)); // 3 never hears of it
    net.pump(); // 2 persists and acks; 1 is still handling its Ready
    assert.equal(net.node(1).status().progress!.get(2)!.match, 3);
    assert.equal(net.committed(1), 2, "one follower's ack and an unpersisted own copy make no majority of 3");
    net.apply(1, rd);
    net.node(1).advance(rd);
    assert.equal(net.committed(1), 3, 'the own copy counts once persisted');
    net.pump();
    assert.deepEqual(net.appliedData(1), ['x']);
  });

  test('an entry is committed by a majority of followers even before the leader persisted it', () => {
    // The leader may write its log in parallel with replication (thesis §10.2.1): two of three
    // durable copies suffice, whichever they are.
    const net = Network.bootstrap([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    net.send(rd.messages); // not persisted yet
    net.pump();
    assert.equal(net.committed(1), 3);
    net.persist(1, rd);
    net.apply(1, rd);
    net.node(1).advance(rd);
    net.pump();
    assert.deepEqual(net.appliedData(1), ['x']);
  });

  test('an entry stored on a minority is not committed', () => {
    const net = Network.bootstrap([1, 2, 3, 4, 5]);
    net.campaign(1);
    net.drop({ type: 'app-resp', from: 3 });
    net.drop({ to: 4 });
    net.drop({ to: 5 });
    net.propose(1, 'x');
    net.pump();
    assert.equal(net.committed(1), 2);
    assert.deepEqual(net.appliedData(1), []);
    net.recover();
    net.tick(1);
    assert.equal(net.committed(1), 3);
  });

  describe('Figure 8: "Raft never commits log entries from previous terms by counting replicas"', () => {
    // Indexes as in the paper: index 1 (term 1) is the bootstrap snapshot on every server.
    // Each node votes for whoever asks first; campaign() starts elections explicitly.
    function figure8c(): Network {
      // One entry per append, so that index 2 can travel without index 3.
      const net = Network.bootstrap([1, 2, 3, 4, 5], { msgBytesMax: 1 });
      // (a) S1 is leader for term 2 and replicates the entry at index 2 to S2 only.
      net.drop((m) => m.type === 'app' && m.from === 1 && m.to !== 2);
      net.campaign(1);
      assert.equal(net.state(1), 'leader');
      assert.deepEqual(net.logTerms(1), [1, 2]);
      assert.deepEqual(net.logTerms(2), [1, 2]);
      assert.deepEqual(net.logTerms(3), [1]);
      // (b) S1 crashes; S5 is elected leader for term 3 with votes from S3, S4 and itself, and
      // accepts a different entry at index 2.
      net.crash(1);
      net.recover();
      net.drop({ type: 'app', from: 5 });
      net.campaign(5);
      assert.equal(net.state(5), 'leader');
      assert.equal(net.term(5), 3);
      assert.deepEqual(net.logTerms(5), [1, 3]);
      // (c) S5 crashes; S1 restarts, is elected leader (term 4) and continues replication:
      // the entry of term 2 reaches S3, so it is stored on a majority (S1, S2, S3). S1's own
      // entry of term 4 reaches nobody yet.
      net.crash(5);
      net.recover();
      net.restart(1);
      // S1 learns where a follower's log ends only from its rejections, so S3 and S4 (which
      // lack index 2) get it after one rejected probe, while appends carrying S1's entry of
      // term 4 are lost unless the follower refuses them anyway. S2 hears nothing: unlike the
      // figure's S4, S1 does not know S2 holds index 2.
      net.drop(
        (m) =>
          m.type === 'app' &&
          m.from === 1 &&
          (m.to === 2 || (m.entries.some((e) => e.term === 4) && net.storages.get(m.to)!.lastIndex() >= m.index)),
      );
      net.campaign(1); // term 3: S3 and S4 already voted for S5
      net.campaign(1); // term 4
      assert.equal(net.state(1), 'leader');
      assert.equal(net.term(1), 4);
      assert.deepEqual(net.logTerms(1), [1, 2, 4]);
      for (const id of [2, 3, 4]) assert.deepEqual(net.logTerms(id), [1, 2], `S${id}`);
      return net;
    }

    test('(c) an entry of a previous term on a majority is not committed', () => {
      const net = figure8c();
      const pr = net.node(1).status().progress!;
      assert.deepEqual([1, 3, 4].map((id) => pr.get(id)!.match), [3, 2, 2], 'S1 knows index 2 is on a majority');
      assert.equal(net.raft(1).trk.committed(), 2);
      assert.equal(net.committed(1), 1, 'but counting replicas does not commit it');
      for (const id of [1, 2, 3, 4]) assert.equal(net.lastApplied(id), 0);
    });

    test('(d) if S1 crashes, S5 is elected and overwrites index 2 on every server', () => {
      const net = figure8c();
      net.crash(1);
      net.recover();
      net.restart(5);
      net.campaign(5); // term 4: everyone already voted in term 4
      net.campaign(5); // term 5: S2, S3, S4 vote (S5's last term 3 beats their 2 and 1)
      assert.equal(net.state(5), 'leader');
      for (const id of [2, 3, 4, 5]) assert.deepEqual(net.logTerms(id), [1, 3, 5], `S${id}`);
      // Had S1 committed index 2 in (c), the network's State Machine Safety check would have
      // failed here: S5's entry of term 3 is now applied at index 2.
      assert.equal(net.applied.get(2)![0]!.term, 3);
    });

    test('(e) once S1 replicates an entry of its own term on a majority, S5 cannot win', () => {
      const net = figure8c();
      net.recover();
      net.drop({ to: 4 });
      net.tick(1); // index 3 (term 4) reaches S2 and S3: committed, and index 2 with it
      assert.deepEqual(net.logTerms(4), [1, 2]);
      assert.equal(net.committed(1), 3);
      assert.deepEqual(net.logTerms(2), [1, 2, 4]);
      net.crash(1);
      net.recover();
      net.restart(5);
      for (let i = 0; i < 5; i++) net.campaign(5);
      assert.notEqual(net.state(5), 'leader', "S2 and S3 hold a later last term than S5's");
      net.campaign(2);
      assert.equal(net.state(2), 'leader');
      for (const id of [2, 3, 4, 5]) assert.deepEqual(net.logTerms(id).slice(0, 3), [1, 2, 4], `S${id}`);
    });
  });

  test("committing an entry of the leader's term commits the previous terms' entries before it", () => {
    // "Only log entries from the leader's current term are committed by counting replicas; once
    // an entry from the current term has been committed in this way, then all prior entries
    // are committed indirectly because of the Log Matching Property."
    const net = Network.bootstrap([1, 2, 3], { logs: { 1: [1, 2, 2], 2: [1, 2, 2], 3: [1] } });
    net.campaign(1); // term 3; its empty entry lands at index 4
    for (const id of [1, 2, 3] as NodeId[]) {
      assert.deepEqual(
        net.applied.get(id)!.map((e) => [e.index, e.term]),
        [
          [2, 2],
          [3, 2],
          [4, 3],
        ],
      );
    }
  });
});

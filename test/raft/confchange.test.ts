// Membership changes: learners, single-step changes and joint consensus (thesis §4.3, §4.2.1,
// Raft paper §6).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeConfChange } from '../../src/raft/confchange/codec.js';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import type { ConfChange, ConfChangeSingle, NodeId } from '../../src/raft/types.js';
import { Network, type BootstrapOptions } from './network.js';

const addLearner = (nodeId: NodeId): ConfChangeSingle => ({ type: 'add-learner', nodeId });
const addNode = (nodeId: NodeId): ConfChangeSingle => ({ type: 'add-node', nodeId });
const removeNode = (nodeId: NodeId): ConfChangeSingle => ({ type: 'remove-node', nodeId });
const simple = (...changes: ConfChangeSingle[]): ConfChange => ({ transition: 'auto', changes });
const leaveJoint: ConfChange = { transition: 'auto', changes: [] };

function cluster(voters: NodeId[], opts: BootstrapOptions = {}): Network {
  const net = Network.bootstrap(voters, { electionTicks: 10, heartbeatTicks: 1, ...opts });
  net.campaign(voters[0]!);
  assert.equal(net.state(voters[0]!), 'leader');
  return net;
}

function confEntries(net: Network, id: NodeId): ConfChange[] {
  return net.applied
    .get(id)!
    .filter((e) => e.type === 'conf-change')
    .map((e) => decodeConfChange(e.data));
}

// Learners are the thesis's non-voting members (§4.2.1): the leader replicates entries to them,
// but they are not counted in majorities, for votes or for commitment.
describe('learners', () => {
  test('a learner added by a conf change joins through a snapshot and receives the log', () => {
    const net = cluster([1, 2, 3]);
    net.propose(1, 'before');
    net.addNode(4);
    net.proposeConfChange(1, simple(addLearner(4)));
    net.pump();
    assert.deepEqual(net.node(1).status().config.learners, [4]);
    // The leader's log starts after the bootstrap snapshot, which does not name 4: an
    // application snapshots its state (with the new configuration) for the new member.
    net.compact(1);
    net.tick(2);
    assert.deepEqual(net.node(4).status().config.learners, [4]);
    net.propose(1, 'after');
    net.pump();
    assert.deepEqual(net.appliedData(4), ['before', 'after']);
    assert.equal(net.node(1).status().progress!.get(4)!.isLearner, true);
  });

  test('a learner never campaigns', () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    net.crash(1);
    net.isolate(2);
    net.isolate(3);
    net.tick(100, [4]);
    assert.equal(net.state(4), 'follower');
    assert.equal(net.term(4), 2);
  });

  test('a learner is not asked to vote, and its vote would not count', () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    // With 1 down and 3 cut off, 2 cannot win, though the learner would agree.
    net.crash(1);
    net.isolate(3);
    const mark = net.sent.length;
    net.campaign(2);
    assert.equal(net.sentSince(mark, { type: 'vote', to: 4 }).length, 0);
    net.stepMsg({ type: 'vote-resp', from: 4, to: 2, term: net.term(2) });
    assert.equal(net.state(2), 'candidate');
  });

  test("a learner's acknowledgment does not count toward commitment", () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'x');
    net.pump();
    assert.equal(net.node(1).status().progress!.get(4)!.match, 3, 'the learner has it');
    assert.equal(net.committed(1), 2, 'but that is no quorum');
  });

  test('a promoted learner votes and counts', () => {
    const net = cluster([1, 2], { learners: [3] });
    net.proposeConfChange(1, simple(addNode(3)));
    net.pump();
    for (const id of [1, 2, 3]) assert.deepEqual(net.node(id).status().config.voters, [1, 2, 3]);
    net.crash(1);
    net.campaign(2);
    assert.equal(net.state(2), 'leader', "3's vote makes a majority with 2's own");
  });
});

describe('single changes', () => {
  test('a proposal of a second conf change while one is pending becomes an empty entry', () => {
    // Only one change may be in the log and unapplied at a time (thesis §4.1).
    const net = cluster([1, 2, 3]);
    net.addNode(4);
    net.addNode(5);
    net.proposeConfChange(1, simple(addLearner(4)));
    net.proposeConfChange(1, simple(addLearner(5))); // same turn: the first is not applied yet
    const rd = net.handleReady(1);
    assert.deepEqual(
      rd.entries.map((e) => [e.type, e.data.length > 0]),
      [
        ['conf-change', true],
        ['normal', false],
      ],
    );
    net.pump();
    assert.deepEqual(net.node(1).status().config.learners, [4]);
    // Once applied, the next change goes through.
    net.proposeConfChange(1, simple(addLearner(5)));
    net.pump();
    assert.deepEqual(net.node(1).status().config.learners, [4, 5]);
  });

  test('an empty change outside a joint configuration is refused (becomes an empty entry)', () => {
    const net = cluster([1, 2, 3]);
    net.proposeConfChange(1, leaveJoint);
    net.pump();
    assert.deepEqual(confEntries(net, 1), []);
  });

  test('a removed follower stops receiving appends', () => {
    const net = cluster([1, 2, 3]);
    net.proposeConfChange(1, simple(removeNode(3)));
    net.pump();
    assert.deepEqual(net.node(1).status().config.voters, [1, 2]);
    const mark = net.sent.length;
    net.propose(1, 'x');
    net.tick(3);
    assert.equal(net.sentSince(mark, { to: 3 }).length, 0);
    assert.deepEqual(net.appliedData(2), ['x']);
  });
});

describe('restarts', () => {
  test('a restarted node rebuilds its configuration from the snapshot and the committed changes after it', () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    net.proposeConfChange(1, simple(addNode(4)));
    net.proposeConfChange(1, simple(removeNode(3))); // refused: one at a time
    net.pump();
    net.proposeConfChange(1, simple(removeNode(3)));
    net.pump();
    net.crash(2);
    net.restart(2);
    assert.deepEqual(net.node(2).status().config.voters, [1, 2, 3], 'the bootstrap snapshot, before applying');
    net.pump();
    assert.deepEqual(net.node(2).status().config.voters, [1, 2, 4]);
    assert.deepEqual(confEntries(net, 2).length, 2, 'the state machine did not apply them twice');
  });
});

describe('removing the leader', () => {
  // A leader removed by a change it applies keeps leading (etcd raft's default): it no longer
  // counts itself and takes no new proposals, but it goes on replicating so that the remaining
  // voters learn the change committed. The application then stops it, and they elect a leader
  // of their own. (Stepping down at once could leave them needing the vote of the removed node,
  // which they still count as a voter until they apply the change.)
  test('a removed leader takes no proposals, tells the others the change committed, and is replaced once stopped', () => {
    const net = cluster([1, 2, 3]);
    net.proposeConfChange(1, simple(removeNode(1)));
    net.pump();
    assert.deepEqual(net.node(1).status().config.voters, [2, 3]);
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
    net.tick(2);
    for (const id of [2, 3]) assert.deepEqual(net.node(id).status().config.voters, [2, 3], `node ${id} applied it`);
    net.crash(1); // what the application does with a removed member
    net.tick(30);
    const l = net.leader();
    assert.ok(l === 2 || l === 3);
    net.propose(l, 'y');
    net.pump();
    assert.deepEqual(net.appliedData(l === 2 ? 3 : 2), ['y']);
  });
});

describe('joint consensus', () => {
  test("replacing a voter with transition 'auto' goes through a joint configuration, left automatically", () => {
    // "Once C_old,new has been committed, neither C_old nor C_new can make decisions without
    // approval of the other ... It is now safe for the leader to create a log entry describing
    // C_new and replicate it to the cluster." The leader proposes that entry itself.
    const net = cluster([1, 2, 3], { learners: [4] });
    net.proposeConfChange(1, simple(addNode(4), removeNode(3)));
    net.pump();
    for (const id of [1, 2, 4]) {
      const cs = net.node(id).status().config;
      assert.deepEqual(cs.voters, [1, 2, 4], `node ${id}`);
      assert.deepEqual(cs.votersOutgoing, [], `node ${id} left the joint config`);
      assert.equal(cs.autoLeave, false);
    }
    const ccs = confEntries(net, 1);
    assert.equal(ccs.length, 2, 'enter joint, then leave');
    assert.equal(ccs[0]!.changes.length, 2);
    assert.deepEqual(ccs[1]!.changes, []);
    net.propose(1, 'x');
    net.pump();
    assert.deepEqual(net.appliedData(4), ['x']);
  });

  test('a new leader leaves an auto-leave joint configuration its predecessor entered', () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    // The old leader's own leave proposal never gets out.
    const isLeave = (data: Uint8Array) => decodeConfChange(data).changes.length === 0;
    net.drop((m) => m.type === 'app' && m.entries.some((e) => e.type === 'conf-change' && isLeave(e.data)));
    net.proposeConfChange(1, simple(addNode(4), removeNode(3)));
    net.pump();
    net.tick(1);
    assert.deepEqual(net.node(2).status().config.votersOutgoing, [1, 2, 3], '2 applied the joint config');
    net.crash(1);
    net.recover();
    net.tick(40);
    const l = net.leader()!;
    assert.notEqual(l, 1);
    for (const id of [2, 3, 4]) {
      const cs = net.node(id).status().config;
      assert.deepEqual([cs.voters, cs.votersOutgoing], [[1, 2, 4], []], `node ${id}`);
    }
  });

  test("with transition 'joint-explicit' the joint configuration lasts until an empty change", () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    net.proposeConfChange(1, { transition: 'joint-explicit', changes: [addNode(4), removeNode(3)] });
    net.pump();
    net.tick(20);
    let cs = net.node(1).status().config;
    assert.deepEqual([cs.voters, cs.votersOutgoing, cs.autoLeave], [[1, 2, 4], [1, 2, 3], false]);
    // Other changes must wait: a change in a joint configuration is refused.
    net.proposeConfChange(1, simple(addLearner(5)));
    net.pump();
    assert.equal(confEntries(net, 1).length, 1);
    net.proposeConfChange(1, leaveJoint);
    net.pump();
    cs = net.node(1).status().config;
    assert.deepEqual([cs.voters, cs.votersOutgoing], [[1, 2, 4], []]);
  });

  test("'joint-implicit' enters a joint configuration even for one change, and leaves it automatically", () => {
    const net = cluster([1, 2, 3], { learners: [4] });
    net.proposeConfChange(1, { transition: 'joint-implicit', changes: [addNode(4)] });
    net.pump();
    assert.equal(confEntries(net, 1).length, 2);
    assert.deepEqual(net.node(1).status().config.voters, [1, 2, 3, 4]);
  });

  describe('decisions in a joint configuration need a majority of both configurations', () => {
    // "Agreement (for elections and entry commitment) requires separate majorities from both
    // the old and new configurations." Old {1,2,3}, new {1,4,5}.
    function joint(): Network {
      const net = cluster([1, 2, 3], { learners: [4, 5] });
      net.proposeConfChange(1, { transition: 'joint-explicit', changes: [addNode(4), addNode(5), removeNode(2), removeNode(3)] });
      net.pump();
      const cs = net.node(1).status().config;
      assert.deepEqual([cs.voters, cs.votersOutgoing], [[1, 4, 5], [1, 2, 3]]);
      return net;
    }

    for (const [cutOff, which] of [
      [[2, 3], 'old'],
      [[4, 5], 'new'],
    ] as const) {
      test(`commitment stalls when only the ${which === 'old' ? 'new' : 'old'} configuration's majority acknowledges`, () => {
        const net = joint();
        for (const id of cutOff) net.isolate(id);
        const before = net.committed(1);
        net.propose(1, 'x');
        net.tick(5);
        const pr = net.node(1).status().progress!;
        const others = [2, 3, 4, 5].filter((id) => !(cutOff as readonly number[]).includes(id));
        for (const id of others) assert.equal(pr.get(id)!.match, before + 1, `${id} has it`);
        assert.equal(net.committed(1), before, `no majority of the ${which} configuration`);
        net.recover();
        net.tick(1);
        assert.equal(net.committed(1), before + 1);
      });

      test(`an election stalls without a majority of the ${which} configuration`, () => {
        const net = joint();
        net.crash(1);
        const candidate = which === 'old' ? 4 : 2;
        for (const id of cutOff) net.isolate(id);
        net.campaign(candidate);
        assert.equal(net.state(candidate), 'candidate');
        net.recover();
        net.campaign(candidate);
        assert.equal(net.state(candidate), 'leader');
      });
    }
  });
});

// Log compaction and InstallSnapshot (Raft paper §7; thesis §5).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Network } from './network.js';

/** Leader 1 commits a..e while 3 is cut off, then compacts its log past them. */
function followerBehindCompaction(): Network {
  const net = Network.bootstrap([1, 2, 3]);
  net.campaign(1);
  net.isolate(3);
  for (const d of ['a', 'b', 'c', 'd', 'e']) net.propose(1, d);
  net.pump();
  assert.equal(net.committed(1), 3 + 4);
  const snap = net.compact(1);
  assert.equal(snap.metadata.index, 7);
  assert.equal(net.storages.get(1)!.firstIndex(), 8);
  return net;
}

describe('snapshots (§7)', () => {
  test('a follower behind the leader\'s compacted log is sent a snapshot, installs it, then replicates normally', () => {
    // "the leader must occasionally send snapshots to followers that lag behind. This happens
    // when the leader has already discarded the next log entry that it needs to send to a
    // follower."
    const net = followerBehindCompaction();
    net.recover();
    const mark = net.sent.length;
    net.tick(1);
    const snaps = net.sentSince(mark, { type: 'snap' });
    assert.equal(snaps.length, 1);
    assert.equal(snaps[0]!.to, 3);
    assert.equal(snaps[0]!.snapshot!.metadata.index, 7);
    assert.deepEqual(snaps[0]!.snapshot!.metadata.confState.voters, [1, 2, 3]);
    // "the follower discards its entire log; it is all superseded by the snapshot"
    const s3 = net.storages.get(3)!;
    assert.equal(s3.firstIndex(), 8);
    assert.equal(s3.snapshot().metadata.index, 7);
    assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(net.committed(3), 7);
    // Then plain appends again.
    const after = net.sent.length;
    net.propose(1, 'f');
    net.pump();
    assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.equal(net.node(1).status().progress!.get(3)!.state, 'replicate');
    assert.equal(net.sentSince(after, { type: 'snap' }).length, 0);
    assert.ok(net.sentSince(after, { type: 'app', to: 3 }).some((m) => m.entries.length === 1));
    net.checkLogMatching();
  });

  test('while a snapshot is in flight the leader sends that follower nothing else', () => {
    const net = followerBehindCompaction();
    net.reportSnapshots = false;
    net.recover();
    net.drop({ type: 'snap' });
    net.tick(1);
    assert.equal(net.node(1).status().progress!.get(3)!.state, 'snapshot');
    const mark = net.sent.length;
    net.propose(1, 'f');
    net.tick(3);
    assert.deepEqual(
      net.sentSince(mark, { to: 3 }).map((m) => m.type),
      ['heartbeat', 'heartbeat', 'heartbeat'],
    );
  });

  test('a failed snapshot makes the leader probe again, and the next attempt sends a new one', () => {
    const net = followerBehindCompaction();
    net.recover();
    net.drop({ type: 'snap' }); // the transport reports each one as failed
    net.tick(1);
    assert.equal(net.sentSince(0, { type: 'snap' }).length, 1);
    const pr = net.node(1).status().progress!.get(3)!;
    assert.equal(pr.state, 'probe');
    net.recover();
    net.tick(1);
    assert.equal(net.sentSince(0, { type: 'snap' }).length, 2);
    assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(net.node(1).status().progress!.get(3)!.state, 'replicate');
  });

  test('a follower that restarts after installing a snapshot starts from it', () => {
    const net = followerBehindCompaction();
    net.recover();
    net.tick(1);
    net.crash(3);
    net.restart(3);
    assert.equal(net.committed(3), 7);
    net.propose(1, 'f');
    net.tick(2);
    assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  test('a stale snapshot is ignored', () => {
    const net = followerBehindCompaction();
    net.recover();
    net.tick(1);
    const old = net.storages.get(1)!.snapshot();
    const before = net.log(3);
    net.propose(1, 'f');
    net.pump();
    net.stepMsg({ type: 'snap', from: 1, to: 3, term: net.term(1), snapshot: old });
    const [resp] = net.drain(3);
    assert.equal(resp?.type, 'app-resp');
    assert.equal(resp.index, net.committed(3), 'it answers with its commit index');
    assert.equal(net.log(3).length, before.length + 1);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Index, Message, Term } from '../../src/raft/types.js';
import { appendMsg, connectAll, entry, msg, type Node, startNode, until } from './support.js';

// Member IDs pass 2^53, as real ones do; A < B < C, so A dials B and C, B dials C.
const A = '13822187967963654688';
const B = '13893005767132613710';
const C = '17302801732653476889';

async function closeAll(...nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.close()));
}

test('two stores exchange batches of many groups\' messages in both directions, in order', async () => {
  const a = await startNode(A);
  const b = await startNode(B);
  try {
    connectAll([a, b]);
    const toB: Message[] = [];
    for (let g = 1; g <= 200; g++) toB.push(msg('heartbeat', g, { commit: g as Index, context: `r${g}` }));
    toB.push(appendMsg(7, 3, 100));
    const toA = [msg('heartbeat-resp', 1), msg('app-resp', 2, { reject: true, rejectHint: 5 as Index })];
    a.transport.send(B, toB);
    b.transport.send(A, toA);
    await until(() => b.all().length === toB.length && a.all().length === toA.length, 'both batches');
    assert.deepEqual(b.all(), toB);
    assert.deepEqual(a.all(), toA);
    assert.ok(b.received.every((r) => r.from === A));
    assert.ok(a.received.every((r) => r.from === B));
  } finally {
    await closeAll(a, b);
  }
});

test('entry and snapshot data come back as plain Uint8Arrays', async () => {
  const a = await startNode(A);
  const b = await startNode(B);
  try {
    connectAll([a, b]);
    const snap = msg('snap', 4, {
      snapshot: {
        data: Uint8Array.of(9, 8, 7),
        metadata: {
          index: 10 as Index,
          term: 2 as Term,
          confState: { voters: [1, 2], learners: [3], votersOutgoing: [], learnersNext: [], autoLeave: false },
        },
      },
    });
    a.transport.send(B, [appendMsg(1, 2, 5), snap]);
    await until(() => b.all().length === 2, 'two messages');
    const [app, got] = b.all();
    for (const e of app!.entries) assert.equal(e.data.constructor, Uint8Array);
    assert.equal(got!.snapshot!.data.constructor, Uint8Array);
    assert.deepEqual(got, snap);
  } finally {
    await closeAll(a, b);
  }
});

test('messages sent in one event-loop turn arrive as one batch', async () => {
  const a = await startNode(A);
  const b = await startNode(B);
  try {
    connectAll([a, b]);
    await until(() => a.transport.isConnected(B) && b.transport.isConnected(A), 'link open');
    for (let g = 1; g <= 50; g++) a.transport.send(B, [msg('heartbeat', g)]);
    await until(() => b.all().length === 50, '50 messages');
    assert.equal(b.received.length, 1);
  } finally {
    await closeAll(a, b);
  }
});

test('a queue passing batchBytesMax is written in several batches without waiting for the turn', async () => {
  const a = await startNode(A, { limits: { batchBytesMax: 1000 } });
  const b = await startNode(B);
  try {
    connectAll([a, b]);
    await until(() => a.transport.isConnected(B), 'link open');
    const sent = Array.from({ length: 20 }, (_, i) => appendMsg(i + 1, 1, 400));
    for (const m of sent) a.transport.send(B, [m]);
    await until(() => b.all().length === 20, '20 messages');
    assert.ok(b.received.length >= 10, `got ${b.received.length} batches`);
    assert.deepEqual(b.all(), sent);
  } finally {
    await closeAll(a, b);
  }
});

test('three stores each reach the other two over one link per pair', async () => {
  const nodes = await Promise.all([startNode(A), startNode(B), startNode(C)]);
  try {
    connectAll(nodes);
    for (const from of nodes) {
      for (const to of nodes) {
        if (from !== to) from.transport.send(to.id, [msg('vote', 1, { context: `${from.id}->${to.id}` })]);
      }
    }
    await until(() => nodes.every((n) => n.all().length === 2), 'two votes each');
    for (const n of nodes) {
      const contexts = n.all().map((m) => m.context).sort();
      const expected = nodes.filter((o) => o !== n).map((o) => `${o.id}->${n.id}`).sort();
      assert.deepEqual(contexts, expected);
      // One open link per peer, never a second one replacing it.
      assert.equal(n.logs.filter((l) => l.includes('open')).length, 2, n.logs.join('\n'));
      assert.ok(!n.logs.some((l) => l.includes('replaced')));
    }
  } finally {
    await closeAll(...nodes);
  }
});

test('the dialing store reconnects after its peer restarts, and queued messages then arrive', async () => {
  const a = await startNode(A);
  let b = await startNode(B);
  const port = b.transport.address.port;
  try {
    connectAll([a, b]);
    a.transport.send(B, [msg('heartbeat', 1)]);
    await until(() => b.all().length === 1, 'first heartbeat');
    await b.transport.close();
    const reports = a.unreachable.length;
    await until(() => !a.transport.isConnected(B) && a.unreachable.length > reports, 'B reported unreachable');
    a.transport.send(B, [msg('heartbeat', 2)]);
    b = await startNode(B, { port });
    b.transport.addPeer(A, a.url);
    a.transport.send(B, [msg('heartbeat', 3)]);
    await until(() => b.all().length === 2, 'heartbeats after restart');
    assert.deepEqual(b.all().map((m) => m.group), [2, 3]);
    b.transport.send(A, [msg('heartbeat-resp', 3)]);
    await until(() => a.all().length === 1, 'reply over the new link');
  } finally {
    await closeAll(a, b);
  }
});

test('a restarted dialing store links again to the store that waits for it', async () => {
  let a = await startNode(A);
  const b = await startNode(B);
  const port = a.transport.address.port;
  try {
    connectAll([a, b]);
    b.transport.send(A, [msg('heartbeat', 1)]);
    await until(() => a.all().length === 1, 'first heartbeat');
    await a.transport.close();
    const reports = b.unreachable.length;
    await until(() => !b.transport.isConnected(A) && b.unreachable.length > reports, 'A reported unreachable');
    a = await startNode(A, { port });
    a.transport.addPeer(B, b.url);
    b.transport.send(A, [msg('heartbeat', 2)]);
    await until(() => a.all().length === 1, 'heartbeat after restart');
    assert.equal(a.all()[0]!.group, 2);
  } finally {
    await closeAll(a, b);
  }
});

test('a full queue drops messages, reports the peer unreachable and fails dropped snapshots', async () => {
  // B (the larger ID) waits for A to dial; A is not running yet, so B can only queue.
  const b = await startNode(B, { limits: { queueBytesMax: 10_000 } });
  let a: Node | undefined;
  try {
    b.transport.addPeer(A, 'http://127.0.0.1:1');
    const sent = Array.from({ length: 30 }, (_, i) => appendMsg(i + 1, 1, 1000));
    for (const m of sent) b.transport.send(A, [m]);
    const snap = msg('snap', 99, {
      snapshot: {
        data: new Uint8Array(2000),
        metadata: { index: 5 as Index, term: 1 as Term, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
      },
    });
    b.transport.send(A, [snap]);
    assert.ok(b.transport.pendingBytes(A) <= 10_000, `${b.transport.pendingBytes(A)} bytes queued`);
    assert.ok(b.unreachable.filter((p) => p === A).length >= 2);
    assert.deepEqual(b.snapshots, [{ peer: A, ok: false, ref: { group: 99, from: 1, to: 2, index: 5 } }]);

    // Once A is up and dials, exactly the messages that fit are delivered, oldest first.
    a = await startNode(A);
    a.transport.addPeer(B, b.url);
    await until(() => a!.all().length > 0 && b.transport.pendingBytes(A) === 0, 'queue drained');
    await until(() => a!.all().length === 9, 'the 9 messages that fit');
    assert.deepEqual(a.all(), sent.slice(0, 9));
  } finally {
    await closeAll(b, ...(a ? [a] : []));
  }
});

test('a message larger than the queue limit still goes out through an empty queue', async () => {
  const a = await startNode(A, { limits: { queueBytesMax: 1000 } });
  const b = await startNode(B);
  try {
    connectAll([a, b]);
    await until(() => a.transport.isConnected(B), 'link open');
    const snap = msg('snap', 1, {
      snapshot: {
        data: new Uint8Array(50_000).fill(7),
        metadata: { index: 9 as Index, term: 1 as Term, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
      },
    });
    a.transport.send(B, [snap]);
    await until(() => a.snapshots.length === 1 && b.all().length === 1, 'snapshot written and received');
    assert.deepEqual(a.snapshots, [{ peer: B, ok: true, ref: { group: 1, from: 1, to: 2, index: 9 } }]);
    assert.deepEqual(b.all()[0], snap);
  } finally {
    await closeAll(a, b);
  }
});

test('a store of another cluster is refused, with a log line on both sides', async () => {
  const a = await startNode(A, { clusterId: '1111' });
  const b = await startNode(B, { clusterId: '2222' });
  try {
    connectAll([a, b]);
    a.transport.send(B, [msg('heartbeat', 1)]);
    b.transport.send(A, [msg('heartbeat', 1)]);
    await until(() => b.logs.some((l) => l.includes('refused connection')), 'refusal on B');
    await until(() => a.logs.some((l) => l.includes('refused our link')), 'refusal on A');
    const line = b.logs.find((l) => l.includes('refused connection'))!;
    assert.match(line, new RegExp(`member ${A} belongs to cluster 1111, this member \\(${B}\\) to cluster 2222`));
    assert.equal(a.transport.isConnected(B), false);
    assert.equal(b.transport.isConnected(A), false);
    assert.deepEqual(a.received, []);
    assert.deepEqual(b.received, []);
  } finally {
    await closeAll(a, b);
  }
});

test('a peer URL that reaches the wrong member is refused', async () => {
  const a = await startNode(A);
  const c = await startNode(C);
  try {
    a.transport.addPeer(B, c.url); // misconfigured: B's URL points at C
    await until(() => c.logs.some((l) => l.includes('refused connection')), 'refusal');
    assert.match(c.logs.join('\n'), new RegExp(`this is member ${C}, not ${B}`));
    assert.equal(a.transport.isConnected(B), false);
  } finally {
    await closeAll(a, c);
  }
});

test('a client that is not a Flotilla peer is dropped before anything is delivered', async () => {
  const b = await startNode(B);
  try {
    const socket = connect(b.transport.address.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /members HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => b.logs.some((l) => l.includes('before its hello')), 'dropped connection');
    assert.match(b.logs.join('\n'), /protocol error: frame of \d+ bytes/);
    assert.deepEqual(b.received, []);
    socket.destroy();
  } finally {
    await closeAll(b);
  }
});

test('sending to an unknown peer reports it unreachable and fails its snapshot', async () => {
  const a = await startNode(A);
  try {
    const snap = msg('snap', 3, {
      snapshot: { data: new Uint8Array(1), metadata: { index: 4 as Index, term: 1 as Term, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
    });
    a.transport.send(B, [snap]);
    assert.deepEqual(a.unreachable, [B]);
    assert.deepEqual(a.snapshots, [{ peer: B, ok: false, ref: { group: 3, from: 1, to: 2, index: 4 } }]);
  } finally {
    await closeAll(a);
  }
});

test('removing a peer closes its link and fails its queued snapshots', async () => {
  const b = await startNode(B);
  try {
    b.transport.addPeer(A, 'http://127.0.0.1:1');
    const snap = msg('snap', 3, {
      entries: [entry(1, Uint8Array.of(1))],
      snapshot: { data: new Uint8Array(1), metadata: { index: 4 as Index, term: 1 as Term, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
    });
    b.transport.send(A, [snap]);
    assert.equal(b.snapshots.length, 0);
    b.transport.removePeer(A);
    assert.deepEqual(b.snapshots.map((s) => s.ok), [false]);
  } finally {
    await closeAll(b);
  }
});

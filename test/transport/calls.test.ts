// Store-to-store calls over the peer link: requests and answers share the link with Raft
// batches, and every way a call can end tells the caller whether the request may have arrived.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransportCallError } from '../../src/transport/index.js';
import { connectAll, msg, startNode, until, type Node } from './support.js';

const A = '13822187967963654688';
const B = '13893005767132613710';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

async function closeAll(...nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.close()));
}

async function callError(p: Promise<unknown>): Promise<TransportCallError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TransportCallError, `not a TransportCallError: ${String(err)}`);
    return err;
  }
  assert.fail('the call did not fail');
}

test('calls go both ways over one link, many at once, each answered by its own request', async () => {
  const seen: string[] = [];
  const a = await startNode(A, { onCall: async (from, p) => bytes(`A answers ${from}: ${text(p)}`) });
  const b = await startNode(B, {
    onCall: async (from, p) => {
      seen.push(`${from} ${text(p)}`);
      // Answers come back out of order: the slowest request first.
      await new Promise((r) => setTimeout(r, (50 - Number(text(p))) % 7));
      return bytes(`B answers: ${text(p)}`);
    },
  });
  try {
    connectAll([a, b]);
    await until(() => a.transport.isConnected(B) && b.transport.isConnected(A), 'the link');
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => a.transport.call(B, bytes(String(i)), 5000)));
    assert.deepEqual(answers.map(text), Array.from({ length: 50 }, (_, i) => `B answers: ${i}`));
    assert.equal(seen.length, 50);
    assert.ok(seen.every((s) => s.startsWith(`${A} `)));
    // The accepting side calls the dialer over the same connection.
    assert.equal(text(await b.transport.call(A, bytes('x'), 5000)), `A answers ${B}: x`);
    // Raft batches still flow beside the calls.
    a.transport.send(B, [msg('heartbeat', 3)]);
    await until(() => b.all().length === 1, 'the heartbeat');
  } finally {
    await closeAll(a, b);
  }
});

test('a call without an open link fails as not sent; a handler failure comes back as sent and remote', async () => {
  const a = await startNode(A);
  const b = await startNode(B, {
    onCall: async (_from, p) => {
      if (text(p) === 'bad') throw new Error('no such region');
      return p;
    },
  });
  try {
    const unknown = await callError(a.transport.call(B, bytes('x'), 1000));
    assert.equal(unknown.sent, false);
    connectAll([a, b]);
    await until(() => a.transport.isConnected(B), 'the link');
    const failed = await callError(a.transport.call(B, bytes('bad'), 5000));
    assert.equal(failed.sent, true);
    assert.equal(failed.remote, true);
    assert.match(failed.message, /no such region/);
    // A member with no handler answers with a failure, not silence.
    const noHandler = await callError(b.transport.call(A, bytes('x'), 5000));
    assert.equal(noHandler.remote, true);
  } finally {
    await closeAll(a, b);
  }
});

test('a call whose answer does not come in time, or whose link closes, fails as sent (outcome unknown)', async () => {
  let release: (() => void) | undefined;
  const a = await startNode(A);
  const b = await startNode(B, { onCall: (_from, p) => new Promise((r) => (release = () => r(p))) });
  try {
    connectAll([a, b]);
    await until(() => a.transport.isConnected(B), 'the link');
    const slow = await callError(a.transport.call(B, bytes('x'), 100));
    assert.equal(slow.sent, true);
    assert.equal(slow.remote, false);
    // The late answer is dropped; the link keeps working.
    release!();
    release = undefined;
    const pending = a.transport.call(B, bytes('y'), 10_000);
    while (release === undefined) await new Promise((r) => setTimeout(r, 5)); // the second request arrived
    await b.transport.close();
    const cut = await callError(pending);
    assert.equal(cut.sent, true);
    assert.match(cut.message, /closed/);
  } finally {
    await closeAll(a, b);
  }
});

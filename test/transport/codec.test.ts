import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Index, Message, MessageType, Term } from '../../src/raft/types.js';
import { isLocalMessage, message } from '../../src/raft/types.js';
import { FrameDecodeError, packHello, packMessage, unpackBatch, unpackHello } from '../../src/transport/codec.js';
import { FrameKind, FrameReader, frameHeader } from '../../src/transport/frames.js';
import { arrayHeader } from '../../src/transport/msgpack.js';
import { AssertionFailure } from '../../src/util/assert.js';

const networkTypes: MessageType[] = [
  'prop', 'read-index', 'transfer-leader', 'app', 'app-resp', 'vote', 'vote-resp', 'pre-vote',
  'pre-vote-resp', 'snap', 'heartbeat', 'heartbeat-resp', 'read-index-resp', 'timeout-now',
];

function batchBody(msgs: Message[]): Uint8Array {
  const parts = [arrayHeader(msgs.length), ...msgs.map(packMessage)];
  return Buffer.concat(parts);
}

test('every network message type survives a batch, with all its fields', () => {
  const msgs = networkTypes.map((type, i) =>
    message({
      type,
      group: 1000 + i,
      from: 3,
      to: 5,
      term: (2 ** 40 + i) as Term,
      logTerm: 7 as Term,
      index: (2 ** 50) as Index,
      commit: 9 as Index,
      reject: i % 2 === 0,
      rejectHint: 4 as Index,
      entries: [{ term: 1 as Term, index: 2 as Index, type: i % 2 ? 'normal' : 'conf-change', data: Uint8Array.of(i, 0, 255) }],
      ...(i % 3 === 0 ? { context: `ctx-${i}` } : {}),
    }),
  );
  assert.deepEqual(unpackBatch(batchBody(msgs)), msgs);
});

test('a batch header matches msgpack array encoding for 15, 16 and 65536 elements', () => {
  for (const n of [0, 15, 16, 65535, 65536]) {
    const msgs = Array.from({ length: n }, (_, g) => message({ type: 'heartbeat', group: g }));
    assert.equal(unpackBatch(batchBody(msgs)).length, n);
  }
});

test('local messages are never encoded', () => {
  for (const type of ['hup', 'beat', 'unreachable', 'snap-status', 'check-quorum'] as MessageType[]) {
    assert.ok(isLocalMessage(type));
    assert.throws(() => packMessage(message({ type })), AssertionFailure);
  }
});

test('a frame split into single bytes is reassembled', () => {
  const body = batchBody([message({ type: 'app', entries: [{ term: 1 as Term, index: 1 as Index, type: 'normal', data: new Uint8Array(300) }] })]);
  const bytes = Buffer.concat([frameHeader(FrameKind.batch, body.length), body, frameHeader(FrameKind.hello, 1), Uint8Array.of(0xc0)]);
  const reader = new FrameReader(1 << 20);
  const frames = [];
  for (const b of bytes) frames.push(...reader.push(Uint8Array.of(b)));
  assert.equal(frames.length, 2);
  assert.equal(frames[0]!.kind, FrameKind.batch);
  assert.deepEqual(Buffer.from(frames[0]!.body), Buffer.from(body));
  assert.equal(frames[1]!.kind, FrameKind.hello);
});

test('a frame above the size limit, or of an unknown kind, is refused', () => {
  assert.throws(() => new FrameReader(100).push(frameHeader(FrameKind.batch, 100)), FrameDecodeError);
  assert.throws(() => new FrameReader(100).push(Uint8Array.of(0, 0, 0, 1, 99)), FrameDecodeError);
  assert.throws(() => new FrameReader(1 << 20).push(Buffer.from('GET / HTTP/1.1\r\n')), /frame of \d+ bytes/);
});

test('hello round-trips IDs above 2^53 exactly, and garbage is not a hello', () => {
  const h = { version: 1, clusterId: '8824506472088007024', from: '13822187967963654688', to: '18446744073709551615' };
  assert.deepEqual(unpackHello(packHello(h)), h);
  assert.throws(() => unpackHello(batchBody([])), FrameDecodeError);
});

test('a malformed batch is a decode error, not a crash', () => {
  assert.throws(() => unpackBatch(Uint8Array.of(0x91, 0x01)), FrameDecodeError);
  assert.throws(() => unpackBatch(Uint8Array.of(0x01)), FrameDecodeError);
});

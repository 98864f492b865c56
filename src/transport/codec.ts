// What travels in frames: Raft messages as msgpack tuples, and the hello exchanged when a link
// opens. Tuples keep field names off the wire (a heartbeat is ~20 bytes instead of ~110), and
// their order is fixed by `wireVersion`: change a tuple, bump the version.
//
// Message tuple:
//   [type, group, from, to, term, logTerm, index, commit, reject, rejectHint, entries, context, snapshot]
//   entries:  [[term, index, entryType, data], ...]
//   snapshot: null | [data, index, term, voters, learners, votersOutgoing, learnersNext, autoLeave]
//   context:  null | string
//
// Calls frame: a msgpack array of call tuples, each one of
//   [0, id, payload]    a request (payload: bytes the receiver's onCall decodes)
//   [1, id, payload]    the answer to request `id` of the other side
//   [2, id, message]    request `id` failed on the other side (message: why)

import type { Entry, EntryType, Index, Message, MessageType, Snapshot, Term } from '../raft/types.js';
import { isLocalMessage } from '../raft/types.js';
import { assert } from '../util/assert.js';
import { packValue, unpackValue } from './msgpack.js';

export const wireVersion = 2;

/** A frame that does not decode as what it claims to be: the link is closed. */
export class FrameDecodeError extends Error {
  readonly code = 'FLOTILLA_TRANSPORT_DECODE';
  constructor(message: string) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

// Wire codes; never renumber.
const messageTypeCodes: Record<MessageType, number> = {
  hup: 0,
  beat: 1,
  prop: 2,
  'read-index': 3,
  'check-quorum': 4,
  unreachable: 5,
  'snap-status': 6,
  'transfer-leader': 7,
  app: 8,
  'app-resp': 9,
  vote: 10,
  'vote-resp': 11,
  'pre-vote': 12,
  'pre-vote-resp': 13,
  snap: 14,
  heartbeat: 15,
  'heartbeat-resp': 16,
  'read-index-resp': 17,
  'timeout-now': 18,
};
const messageTypesByCode: MessageType[] = [];
for (const [t, c] of Object.entries(messageTypeCodes)) messageTypesByCode[c] = t as MessageType;

const entryTypeCodes: Record<EntryType, number> = { normal: 0, 'conf-change': 1 };
const entryTypesByCode: EntryType[] = ['normal', 'conf-change'];

/** Packs one message. Local messages (hup, beat ...) never leave the node: sending one is a bug. */
export function packMessage(m: Message): Uint8Array {
  assert(!isLocalMessage(m.type), `local message '${m.type}' must not be sent`);
  const entries = m.entries.map((e) => [e.term, e.index, entryTypeCodes[e.type], e.data]);
  const snap = m.snapshot;
  const snapshot =
    snap === undefined
      ? null
      : [
          snap.data,
          snap.metadata.index,
          snap.metadata.term,
          snap.metadata.confState.voters,
          snap.metadata.confState.learners,
          snap.metadata.confState.votersOutgoing,
          snap.metadata.confState.learnersNext,
          snap.metadata.confState.autoLeave,
        ];
  return packValue([
    messageTypeCodes[m.type],
    m.group,
    m.from,
    m.to,
    m.term,
    m.logTerm,
    m.index,
    m.commit,
    m.reject,
    m.rejectHint,
    entries,
    m.context ?? null,
    snapshot,
  ]);
}

/** One entry of a calls frame (see the top of this file). */
export type CallTuple =
  | { type: 'call'; id: number; payload: Uint8Array }
  | { type: 'answer'; id: number; payload: Uint8Array }
  | { type: 'failure'; id: number; message: string };

const callTypeCodes = { call: 0, answer: 1, failure: 2 } as const;

/** Encodes one calls-frame entry; a frame body is arrayHeader(n) followed by n of these. */
export function packCall(c: CallTuple): Uint8Array {
  return packValue([callTypeCodes[c.type], c.id, c.type === 'failure' ? c.message : c.payload]);
}

/** Decodes a calls frame's body. Payloads are copied out of the frame. */
export function unpackCalls(body: Uint8Array): CallTuple[] {
  const value = unpackValue(body);
  if (!Array.isArray(value)) throw new FrameDecodeError('calls frame is not an array');
  return value.map((t: unknown): CallTuple => {
    if (!Array.isArray(t) || t.length !== 3) throw new FrameDecodeError('call is not a 3-tuple');
    const id = int(t[1]);
    switch (t[0]) {
      case 0:
        return { type: 'call', id, payload: bytes(t[2]) };
      case 1:
        return { type: 'answer', id, payload: bytes(t[2]) };
      case 2:
        if (typeof t[2] !== 'string') throw new FrameDecodeError('call failure message is not a string');
        return { type: 'failure', id, message: t[2] };
      default:
        throw new FrameDecodeError(`unknown call type code ${String(t[0])}`);
    }
  });
}

/** Decodes a batch frame's body: a msgpack array of message tuples. */
export function unpackBatch(body: Uint8Array): Message[] {
  const value = unpackValue(body);
  if (!Array.isArray(value)) throw new FrameDecodeError('batch is not an array');
  return value.map(messageFromTuple);
}

function messageFromTuple(t: unknown): Message {
  if (!Array.isArray(t) || t.length !== 13) throw new FrameDecodeError('message is not a 13-tuple');
  const type = messageTypesByCode[int(t[0])];
  if (type === undefined) throw new FrameDecodeError(`unknown message type code ${String(t[0])}`);
  if (!Array.isArray(t[10])) throw new FrameDecodeError('message entries are not an array');
  const m: Message = {
    type,
    group: int(t[1]),
    from: int(t[2]),
    to: int(t[3]),
    term: int(t[4]) as Term,
    logTerm: int(t[5]) as Term,
    index: int(t[6]) as Index,
    commit: int(t[7]) as Index,
    reject: t[8] === true,
    rejectHint: int(t[9]) as Index,
    entries: t[10].map(entryFromTuple),
  };
  if (t[11] !== null) {
    if (typeof t[11] !== 'string') throw new FrameDecodeError('message context is not a string');
    m.context = t[11];
  }
  if (t[12] !== null) m.snapshot = snapshotFromTuple(t[12]);
  return m;
}

function entryFromTuple(t: unknown): Entry {
  if (!Array.isArray(t) || t.length !== 4) throw new FrameDecodeError('entry is not a 4-tuple');
  const type = entryTypesByCode[int(t[2])];
  if (type === undefined) throw new FrameDecodeError(`unknown entry type code ${String(t[2])}`);
  return { term: int(t[0]) as Term, index: int(t[1]) as Index, type, data: bytes(t[3]) };
}

function snapshotFromTuple(t: unknown): Snapshot {
  if (!Array.isArray(t) || t.length !== 8) throw new FrameDecodeError('snapshot is not an 8-tuple');
  return {
    data: bytes(t[0]),
    metadata: {
      index: int(t[1]) as Index,
      term: int(t[2]) as Term,
      confState: {
        voters: ints(t[3]),
        learners: ints(t[4]),
        votersOutgoing: ints(t[5]),
        learnersNext: ints(t[6]),
        autoLeave: t[7] === true,
      },
    },
  };
}

function int(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new FrameDecodeError(`expected an integer, got ${String(v)}`);
  }
  return v;
}

function ints(v: unknown): number[] {
  if (!Array.isArray(v)) throw new FrameDecodeError('expected an array of integers');
  return v.map(int);
}

/**
 * msgpackr hands binary back as a Buffer viewing the whole receive buffer. Copy it into a plain
 * Uint8Array: callers compare entries with deepEqual (a Buffer is not equal to a Uint8Array
 * there), and an entry kept in the Raft log must not pin the frame it arrived in.
 */
function bytes(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new FrameDecodeError('expected binary data');
  return new Uint8Array(v);
}

/**
 * The first frame on a link, sent by the side that dialed. IDs are decimal strings: member and
 * cluster IDs are uint64 and pass 2^53. `to` is who the dialer believes it reached, so a peer
 * URL that points at the wrong member is caught as clearly as a wrong cluster.
 */
export interface Hello {
  version: number;
  clusterId: string;
  from: string;
  to: string;
}

/** The accepting side's answer: the link is open, or refused with a reason for the dialer's log. */
export type HelloReply = { ok: true } | { ok: false; reason: string };

const helloMagic = 'flotilla-peer';

export function packHello(h: Hello): Uint8Array {
  return packValue([helloMagic, h.version, h.clusterId, h.from, h.to]);
}

export function unpackHello(body: Uint8Array): Hello {
  const t = unpackValue(body);
  if (!Array.isArray(t) || t.length !== 5 || t[0] !== helloMagic) {
    throw new FrameDecodeError('not a Flotilla peer hello');
  }
  const [, version, clusterId, from, to] = t as unknown[];
  if (typeof version !== 'number' || typeof clusterId !== 'string' || typeof from !== 'string' || typeof to !== 'string') {
    throw new FrameDecodeError('malformed hello');
  }
  return { version, clusterId, from, to };
}

export function packHelloReply(r: HelloReply): Uint8Array {
  return packValue(r.ok ? [true] : [false, r.reason]);
}

export function unpackHelloReply(body: Uint8Array): HelloReply {
  const t = unpackValue(body);
  if (!Array.isArray(t)) throw new FrameDecodeError('malformed hello reply');
  if (t[0] === true) return { ok: true };
  if (t[0] === false && typeof t[1] === 'string') return { ok: false, reason: t[1] };
  throw new FrameDecodeError('malformed hello reply');
}

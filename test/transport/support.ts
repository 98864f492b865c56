// Test harness: transports on 127.0.0.1 ephemeral ports that record what they receive and
// report, and a way to wait for a condition without sleeping for a fixed time.

import type { Entry, Index, Message, MessageType, Term } from '../../src/raft/types.js';
import { message } from '../../src/raft/types.js';
import { Transport } from '../../src/transport/index.js';
import type { PeerId, SnapshotRef, TransportLimits } from '../../src/transport/index.js';

export interface Node {
  id: PeerId;
  transport: Transport;
  url: string;
  received: { from: PeerId; msgs: Message[] }[];
  unreachable: PeerId[];
  snapshots: { peer: PeerId; ok: boolean; ref: SnapshotRef }[];
  logs: string[];
  /** Every message received, in arrival order. */
  all(): Message[];
}

type Waiter = () => void;
const waiters = new Set<Waiter>();
function poke(): void {
  for (const w of [...waiters]) w();
}

/** Resolves once `cond()` holds, re-checking after every transport callback and log line. */
export function until(cond: () => boolean, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    // A generous backstop so a broken link fails the test with a message instead of hanging.
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out waiting for ${what}`));
    }, 10_000);
    const check = (): void => {
      if (!cond()) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
  });
}

export async function startNode(
  id: PeerId,
  opts: { clusterId?: string; port?: number; limits?: Partial<TransportLimits>; onCall?: (from: PeerId, payload: Uint8Array) => Promise<Uint8Array> } = {},
): Promise<Node> {
  const node: Omit<Node, 'transport' | 'url'> & Partial<Node> = {
    id,
    received: [],
    unreachable: [],
    snapshots: [],
    logs: [],
    all: () => node.received.flatMap((r) => r.msgs),
  };
  node.transport = await Transport.start({
    memberId: id,
    clusterId: opts.clusterId ?? '8824506472088007024',
    listen: { host: '127.0.0.1', port: opts.port ?? 0 },
    limits: { reconnectDelayMsMin: 5, reconnectDelayMsMax: 40, ...opts.limits },
    logger: {
      info: (m) => (node.logs.push(m), poke()),
      warn: (m) => (node.logs.push(m), poke()),
    },
    onMessages: (from, msgs) => (node.received.push({ from, msgs }), poke()),
    onUnreachable: (peer) => (node.unreachable.push(peer), poke()),
    onSnapshotStatus: (peer, ok, ref) => (node.snapshots.push({ peer, ok, ref }), poke()),
    ...(opts.onCall ? { onCall: opts.onCall } : {}),
  });
  node.url = `http://127.0.0.1:${node.transport.address.port}`;
  return node as Node;
}

/** Makes every node a peer of every other. */
export function connectAll(nodes: Node[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, b.url);
}

export function msg(type: MessageType, group: number, extra: Partial<Message> = {}): Message {
  return message({ type, group, from: 1, to: 2, term: 3 as Term, ...extra });
}

export function entry(index: number, data: Uint8Array): Entry {
  return { term: 2 as Term, index: index as Index, type: 'normal', data };
}

/** An append carrying `n` entries of `bytes` bytes each. */
export function appendMsg(group: number, n: number, bytes: number): Message {
  const entries = Array.from({ length: n }, (_, i) => entry(i + 1, new Uint8Array(bytes).fill(i & 0xff)));
  return msg('app', group, { index: 0 as Index, logTerm: 0 as Term, entries, commit: 1 as Index });
}

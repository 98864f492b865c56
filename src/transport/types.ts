// The contract of store-to-store links: what a store gives the transport and what it gets back.

import type { GroupId, Index, Message, NodeId } from '../raft/types.js';

/** A peer store: its etcd member ID as a decimal string (uint64, passes 2^53). */
export type PeerId = string;

/** Host and TCP port, as taken from an http:// peer URL. */
export interface PeerAddress {
  host: string;
  port: number;
}

/** Which snapshot a status is about: the store fans it out to the right group. */
export interface SnapshotRef {
  group: GroupId;
  from: NodeId;
  to: NodeId;
  index: Index;
}

export interface TransportHandlers {
  /** A batch arrived from `from`, in the order it was sent. The messages are the receiver's. */
  onMessages(from: PeerId, msgs: Message[]): void;
  /**
   * `peer` may not have received some messages: its link went down, was down when messages were
   * queued, or its queue was full and messages were dropped. Raft's ReportUnreachable.
   */
  onUnreachable(peer: PeerId): void;
  /**
   * A message with a snapshot was written to `peer`'s socket (ok) or was dropped (not ok): queue
   * full, link closed before the write completed, or peer removed. Exactly once per snapshot
   * message handed to send(), unless the transport was closed first. Raft's ReportSnapshot.
   */
  onSnapshotStatus(peer: PeerId, ok: boolean, snapshot: SnapshotRef): void;
  /**
   * A request from `from` (Transport.call on its side): resolves with the answer's bytes, or
   * rejects with an error whose message goes back. Without it, every request is answered with a
   * failure.
   */
  onCall?(from: PeerId, payload: Uint8Array): Promise<Uint8Array>;
}

/**
 * Why Transport.call did not return an answer. `sent` says whether the request may have reached
 * the peer: false, it certainly did not (no open link, or the queue was full); true, its outcome
 * is unknown (the link closed or the time ran out after it was queued for the socket), or the
 * peer answered with a failure (`remote`).
 */
export class TransportCallError extends Error {
  readonly code = 'FLOTILLA_TRANSPORT_CALL';
  constructor(
    message: string,
    readonly sent: boolean,
    readonly remote = false,
  ) {
    super(message);
    this.name = 'TransportCallError';
  }
}

/** Time, injected so tests and the simulator control it. */
export interface TransportTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `fn` once the current event-loop turn is done: the batching window. */
  setImmediate(fn: () => void): void;
}

export interface TransportLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface TransportLimits {
  /** Bytes queued for one peer (not yet written plus unflushed socket buffer) before dropping. */
  queueBytesMax: number;
  /** A batch is written as soon as this many bytes are queued, without waiting for the turn to end. */
  batchBytesMax: number;
  /** The largest frame accepted from a peer; a larger length prefix closes the link. */
  frameBytesMax: number;
  /** Reconnect delays double from min to max (with jitter) while a peer cannot be reached. */
  reconnectDelayMsMin: number;
  reconnectDelayMsMax: number;
  /** A link whose hello (or its reply) does not arrive in time is closed. */
  helloTimeoutMs: number;
}

export const defaultTransportLimits: Readonly<TransportLimits> = Object.freeze({
  queueBytesMax: 64 * 1024 * 1024,
  batchBytesMax: 1024 * 1024,
  frameBytesMax: 512 * 1024 * 1024,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 2000,
  helloTimeoutMs: 5000,
});

export interface TransportOptions extends TransportHandlers {
  /** This store's member ID (decimal). */
  memberId: PeerId;
  /** The cluster ID (decimal): links from other clusters are refused. */
  clusterId: string;
  /** Where to accept links: this member's peer URL host and port (port 0 picks a free one). */
  listen: PeerAddress;
  limits?: Partial<TransportLimits>;
  timers?: TransportTimers;
  /** [0, 1): reconnect jitter. */
  random?: () => number;
  logger?: TransportLogger;
}

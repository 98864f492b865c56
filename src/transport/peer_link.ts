// The link to one peer store: its send queue, its open connection (if any) and, on the side
// that dials, reconnecting with backoff.
//
// Only one TCP connection per peer pair: the member with the smaller ID dials, the other
// accepts, and both send on that connection. The accepting side cannot dial, so while the link
// is down it queues (bounded) until the peer reconnects.
//
// Queue:  send() packs messages into the queue; flush() writes it as batch frames, once per
//         event-loop turn or as soon as `batchBytesMax` is queued.
// Limit:  queued bytes + bytes the socket has not flushed yet stay under `queueBytesMax`; a
//         message that does not fit is dropped and the peer reported unreachable. A single
//         message larger than the limit is accepted into an empty queue, so a big snapshot can
//         still go out; memory stays bounded by max(limit, one message).
// Calls:  requests to the peer and answers to its requests queue beside the messages and go out
//         in the same flush, as one calls frame per turn. A request waits for its answer until
//         its timeout or until the connection it went out on closes; either way its outcome is
//         unknown to the caller (TransportCallError.sent). Answers owed on a connection that
//         closed are dropped: the caller on the other side has given up on them already.

import { arrayHeader } from './msgpack.js';
import { type CallTuple, packCall, packMessage } from './codec.js';
import type { Connection } from './connection.js';
import { FrameKind } from './frames.js';
import type { Message } from '../raft/types.js';
import {
  TransportCallError,
  type PeerAddress,
  PeerId,
  SnapshotRef,
  TransportHandlers,
  TransportLimits,
  TransportLogger,
  TransportTimers,
} from './types.js';
import { formatAddress } from './address.js';

export interface LinkContext {
  readonly limits: TransportLimits;
  readonly timers: TransportTimers;
  readonly random: () => number;
  readonly logger: TransportLogger;
  readonly handlers: TransportHandlers;
  /** False once the transport is closed: no callback runs after close(). */
  readonly live: () => boolean;
  /** Opens a connection to `address`; the outcome comes back as attach() or dialFailed(). */
  readonly dial: (link: PeerLink, address: PeerAddress) => void;
}

interface Queued {
  bytes: Uint8Array;
  snapshot: SnapshotRef | undefined;
}

export class PeerLink {
  private address: PeerAddress | undefined;
  private conn: Connection | undefined;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  /** Reported unreachable since the link was last open: report once per outage. */
  private reportedDown = false;
  private dialing = false;
  private dialFailures = 0;
  private reconnectTimer: unknown = undefined;
  private removed = false;
  /** Packed call tuples (requests and answers) for the next flush. */
  private calls: Uint8Array[] = [];
  private callBytes = 0;
  private nextCallId = 1;
  /** Requests written or queued on the current connection, waiting for their answers. */
  private readonly waiting = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void; timer: unknown }>();

  constructor(
    readonly id: PeerId,
    /** This side dials (its member ID is the smaller one). */
    readonly dialsOut: boolean,
    private readonly ctx: LinkContext,
  ) {}

  get isOpen(): boolean {
    return this.conn !== undefined && !this.conn.isClosed;
  }

  /** Bytes waiting for this peer: in the queues and in the socket's buffer. */
  get pendingBytes(): number {
    return this.queuedBytes + this.callBytes + (this.isOpen ? this.conn!.bufferedBytes : 0);
  }

  /** Sends a request on the open connection; see Transport.call. */
  call(payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.isOpen || this.removed) return Promise.reject(new TransportCallError(`no open link to member ${this.id}`, false));
    const id = this.nextCallId++;
    const bytes = packCall({ type: 'call', id, payload });
    const pending = this.pendingBytes;
    if (pending > 0 && pending + bytes.length > this.ctx.limits.queueBytesMax) {
      return Promise.reject(new TransportCallError(`the link to member ${this.id} has ${pending} bytes queued`, false));
    }
    return new Promise((resolve, reject) => {
      const timer = this.ctx.timers.setTimeout(() => {
        if (this.waiting.delete(id)) reject(new TransportCallError(`member ${this.id} did not answer within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.queueCall(bytes);
    });
  }

  /** Calls tuples arrived on this link's connection. */
  receiveCalls(tuples: CallTuple[]): void {
    if (this.removed || !this.ctx.live()) return;
    const conn = this.conn;
    for (const t of tuples) {
      if (t.type === 'call') {
        const handler = this.ctx.handlers.onCall;
        const answered = handler ? handler(this.id, t.payload) : Promise.reject(new Error('this member takes no calls'));
        answered.then(
          (payload) => this.answer(conn, { type: 'answer', id: t.id, payload }),
          (err: unknown) => this.answer(conn, { type: 'failure', id: t.id, message: err instanceof Error ? err.message : String(err) }),
        );
        continue;
      }
      const w = this.waiting.get(t.id);
      if (w === undefined) continue; // timed out already
      this.waiting.delete(t.id);
      this.ctx.timers.clearTimeout(w.timer);
      if (t.type === 'answer') w.resolve(t.payload);
      else w.reject(new TransportCallError(`member ${this.id}: ${t.message}`, true, true));
    }
  }

  /** Queues an answer, if the connection the request came on is still this link's. */
  private answer(conn: Connection | undefined, t: CallTuple): void {
    if (this.removed || !this.ctx.live() || conn === undefined || conn !== this.conn || conn.isClosed) return;
    this.queueCall(packCall(t));
  }

  private queueCall(bytes: Uint8Array): void {
    this.calls.push(bytes);
    this.callBytes += bytes.length;
    if (this.callBytes + this.queuedBytes >= this.ctx.limits.batchBytesMax) this.flush();
    else this.scheduleFlush();
  }

  /** The requests in flight will not be answered: their outcome is unknown to their callers. */
  private failWaiting(reason: string): void {
    if (this.waiting.size === 0) return;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) {
      this.ctx.timers.clearTimeout(w.timer);
      w.reject(new TransportCallError(`the link to member ${this.id} closed (${reason}) before an answer came`, true));
    }
  }

  /** Sets (or changes) where the peer listens; the dialing side (re)connects there. */
  setAddress(address: PeerAddress): void {
    const changed =
      this.address === undefined || this.address.host !== address.host || this.address.port !== address.port;
    this.address = address;
    if (!changed || !this.dialsOut) return;
    if (this.isOpen) {
      this.conn!.destroy('peer URL changed');
    } else if (!this.dialing) {
      this.cancelReconnect();
      this.dialFailures = 0;
      this.startDial();
    }
  }

  enqueue(msgs: readonly Message[]): void {
    const { queueBytesMax, batchBytesMax } = this.ctx.limits;
    let dropped = false;
    for (const m of msgs) {
      const bytes = packMessage(m);
      const snapshot = m.snapshot ? { group: m.group, from: m.from, to: m.to, index: m.snapshot.metadata.index } : undefined;
      const pending = this.pendingBytes;
      if (pending > 0 && pending + bytes.length > queueBytesMax) {
        dropped = true;
        if (snapshot) this.ctx.handlers.onSnapshotStatus(this.id, false, snapshot);
        continue;
      }
      this.queue.push({ bytes, snapshot });
      this.queuedBytes += bytes.length;
    }
    if (dropped) {
      this.reportedDown = !this.isOpen;
      this.ctx.handlers.onUnreachable(this.id);
    } else if (!this.isOpen && !this.reportedDown && this.queue.length > 0) {
      this.reportedDown = true;
      this.ctx.handlers.onUnreachable(this.id);
    }
    if (!this.isOpen) return;
    if (this.queuedBytes >= batchBytesMax) this.flush();
    else this.scheduleFlush();
  }

  /** A handshake on `conn` completed (either role): it becomes this link's connection. */
  attach(conn: Connection): void {
    if (this.removed) {
      conn.destroy('peer removed');
      return;
    }
    const previous = this.conn;
    this.conn = conn;
    if (previous !== undefined && previous !== conn) {
      previous.destroy('replaced by a newer connection');
      this.dropCalls('replaced by a newer connection');
    }
    this.dialing = false;
    this.dialFailures = 0;
    this.reportedDown = false;
    this.cancelReconnect();
    this.ctx.logger.info(`transport: link to member ${this.id} open (${conn.remote})`);
    this.flush();
  }

  /** `conn` closed after its handshake. */
  detach(conn: Connection, reason: string | undefined): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.dropCalls(reason ?? 'connection closed');
    if (this.removed || !this.ctx.live()) return;
    this.ctx.logger.warn(`transport: link to member ${this.id} closed${reason ? `: ${reason}` : ''}`);
    if (!this.reportedDown) {
      this.reportedDown = true;
      this.ctx.handlers.onUnreachable(this.id);
    }
    if (this.dialsOut) this.scheduleReconnect(false);
  }

  /** A dial ended before its handshake completed. `refused` when the peer answered with a refusal. */
  dialFailed(reason: string, refused: boolean): void {
    this.dialing = false;
    if (this.removed || !this.ctx.live()) return;
    // One line per outage (and every refusal, which needs an operator), not one per retry.
    if (refused) {
      this.ctx.logger.warn(`transport: member ${this.id} refused our link: ${reason}`);
    } else if (this.dialFailures === 0) {
      const where = this.address ? ` at ${formatAddress(this.address)}` : '';
      this.ctx.logger.warn(`transport: cannot reach member ${this.id}${where}: ${reason}; retrying`);
    }
    this.dialFailures++;
    if (!this.reportedDown && this.queue.length > 0) {
      this.reportedDown = true;
      this.ctx.handlers.onUnreachable(this.id);
    }
    this.scheduleReconnect(refused);
  }

  /** Messages arrived on this link's connection. */
  receive(msgs: Message[]): void {
    if (this.removed || !this.ctx.live()) return;
    this.ctx.handlers.onMessages(this.id, msgs);
  }

  /** The peer left the cluster: close, fail queued snapshots, stop reconnecting. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.cancelReconnect();
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.conn?.destroy('peer removed');
    this.dropCalls('peer removed');
    if (!this.ctx.live()) return;
    for (const q of queued) if (q.snapshot) this.ctx.handlers.onSnapshotStatus(this.id, false, q.snapshot);
  }

  startDialIfIdle(): void {
    if (this.dialsOut && !this.isOpen && !this.dialing && this.reconnectTimer === undefined) this.startDial();
  }

  private startDial(): void {
    if (this.removed || !this.ctx.live() || this.address === undefined) return;
    this.dialing = true;
    this.ctx.dial(this, this.address);
  }

  private scheduleReconnect(slow: boolean): void {
    if (this.reconnectTimer !== undefined) return;
    const { reconnectDelayMsMin, reconnectDelayMsMax } = this.ctx.limits;
    const exponent = slow ? 30 : Math.min(30, Math.max(0, this.dialFailures - 1));
    const ceiling = Math.min(reconnectDelayMsMax, reconnectDelayMsMin * 2 ** exponent);
    // Jitter so that stores restarted together do not redial in lockstep.
    const delayMs = ceiling / 2 + (this.ctx.random() * ceiling) / 2;
    this.reconnectTimer = this.ctx.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.startDial();
    }, delayMs);
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer === undefined) return;
    this.ctx.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.ctx.timers.setImmediate(() => this.flush());
  }

  /** Requests and answers queued for a connection that is gone: nothing can deliver them. */
  private dropCalls(reason: string): void {
    this.calls = [];
    this.callBytes = 0;
    this.failWaiting(reason);
  }

  /** Writes the whole queue as frames of about `batchBytesMax` each, then the calls. */
  private flush(): void {
    this.flushScheduled = false;
    const conn = this.conn;
    if (conn === undefined || conn.isClosed) return;
    if (this.calls.length > 0) {
      // Calls first: a request is small and someone waits on it; Raft batches can be megabytes.
      conn.writeFrame(FrameKind.calls, [arrayHeader(this.calls.length), ...this.calls]);
      this.calls = [];
      this.callBytes = 0;
    }
    const { batchBytesMax } = this.ctx.limits;
    let at = 0;
    while (at < this.queue.length) {
      let end = at;
      let bytes = 0;
      while (end < this.queue.length && (end === at || bytes + this.queue[end]!.bytes.length <= batchBytesMax)) {
        bytes += this.queue[end]!.bytes.length;
        end++;
      }
      const items = this.queue.slice(at, end);
      at = end;
      this.queuedBytes -= bytes;
      const parts = [arrayHeader(items.length), ...items.map((q) => q.bytes)];
      const snapshots = items.flatMap((q) => (q.snapshot ? [q.snapshot] : []));
      const onWritten =
        snapshots.length === 0
          ? undefined
          : (ok: boolean) => {
              if (!this.ctx.live()) return;
              for (const s of snapshots) this.ctx.handlers.onSnapshotStatus(this.id, ok, s);
            };
      conn.writeFrame(FrameKind.batch, parts, onWritten);
    }
    this.queue = [];
  }
}

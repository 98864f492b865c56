// One TCP socket carrying frames. Knows nothing of hellos or peers: it turns bytes into frames
// and frames into bytes, and guarantees that every write callback runs exactly once.

import type { Socket } from 'node:net';
import { FrameDecodeError } from './codec.js';
import { type Frame, type FrameKind, FrameReader, frameHeader } from './frames.js';

export interface ConnectionEvents {
  /** Throwing FrameDecodeError closes the connection (logged by onClose's reason). */
  onFrame(conn: Connection, frame: Frame): void;
  /** Once, when the socket is gone for any reason. `reason` is set when we closed it on an error. */
  onClose(conn: Connection, reason: string | undefined): void;
}

export class Connection {
  private readonly reader: FrameReader;
  private closed = false;
  private closeReason: string | undefined;
  /** Write callbacks not yet called: closing the socket fails them. */
  private readonly pendingWrites = new Set<(ok: boolean) => void>();
  private remoteLabel: string | undefined;

  constructor(
    private readonly socket: Socket,
    frameBytesMax: number,
    private readonly events: ConnectionEvents,
  ) {
    this.reader = new FrameReader(frameBytesMax);
    socket.setNoDelay(true);
    socket.on('connect', () => void this.remote);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.destroy(err.message));
    socket.on('close', () => this.onSocketClose());
  }

  /** The other end's address, for logs (known once connected; kept after close). */
  get remote(): string {
    if (this.remoteLabel === undefined && this.socket.remoteAddress !== undefined) {
      this.remoteLabel = `${this.socket.remoteAddress}:${this.socket.remotePort}`;
    }
    return this.remoteLabel ?? 'unconnected socket';
  }

  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  /** Bytes handed to the socket and not yet flushed to the kernel: they count against the queue. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Writes one frame made of `parts` (their bytes joined). `onWritten(true)` once the frame is
   * flushed to the kernel, `onWritten(false)` if the connection closes first.
   */
  writeFrame(kind: FrameKind, parts: readonly Uint8Array[], onWritten?: (ok: boolean) => void): void {
    if (this.isClosed) {
      onWritten?.(false);
      return;
    }
    let bodyBytes = 0;
    for (const p of parts) bodyBytes += p.length;
    let done: ((err?: Error | null) => void) | undefined;
    if (onWritten) {
      let settled = false;
      const settle = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        this.pendingWrites.delete(settle);
        onWritten(ok);
      };
      this.pendingWrites.add(settle);
      done = (err) => settle(!err);
    }
    // Corked, the header and parts go out in one writev instead of one syscall each.
    this.socket.cork();
    this.socket.write(frameHeader(kind, bodyBytes));
    parts.forEach((p, i) => {
      if (i === parts.length - 1 && done) this.socket.write(p, done);
      else this.socket.write(p);
    });
    if (parts.length === 0 && done) this.socket.write(new Uint8Array(0), done);
    this.socket.uncork();
  }

  /** Flushes what was written, then closes (used after refusing a hello). */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  /** Closes now; queued bytes are lost. */
  destroy(reason?: string): void {
    if (this.closed) return;
    if (reason !== undefined && this.closeReason === undefined) this.closeReason = reason;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.reader.push(chunk)) {
        if (this.closed || this.socket.destroyed) return;
        this.events.onFrame(this, frame);
      }
    } catch (err) {
      if (err instanceof FrameDecodeError) this.destroy(`protocol error: ${err.message}`);
      else throw err;
    }
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const settle of [...this.pendingWrites]) settle(false);
    this.events.onClose(this, this.closeReason);
  }
}

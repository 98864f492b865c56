// Length-prefixed frames on a peer link:
//
//   [u32 big-endian: length of kind + body][u8 kind][body]
//
// A link carries exactly: the dialer's hello, the acceptor's reply, then batches (Raft messages)
// and calls (store-to-store requests and their answers, codec.ts) both ways.

import { FrameDecodeError } from './codec.js';

export const FrameKind = { hello: 1, helloReply: 2, batch: 3, calls: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const frameHeaderBytes = 5;

export interface Frame {
  kind: FrameKind;
  body: Uint8Array;
}

/** The 5 bytes that precede a body of `bodyBytes`. */
export function frameHeader(kind: FrameKind, bodyBytes: number): Uint8Array {
  const h = new Uint8Array(frameHeaderBytes);
  new DataView(h.buffer).setUint32(0, bodyBytes + 1, false);
  h[4] = kind;
  return h;
}

/**
 * Reassembles frames from socket chunks. Chunks are kept in a list and joined once per frame,
 * so a large snapshot arriving in thousands of chunks is copied once, not once per chunk.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private bufferedBytes = 0;

  /** @param frameBytesMax frames announcing more are refused: a peer bug, or not a peer at all. */
  constructor(private readonly frameBytesMax: number) {}

  /** Adds a chunk and returns the frames it completes, in order. Throws FrameDecodeError. */
  push(chunk: Uint8Array): Frame[] {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.bufferedBytes < 4) return frames;
      const head = this.peek(4);
      const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false);
      if (length < 1 || length > this.frameBytesMax) {
        // e.g. an HTTP client on the peer port: "GET " reads as a 1.2 GB frame.
        throw new FrameDecodeError(`frame of ${length} bytes (limit ${this.frameBytesMax})`);
      }
      if (this.bufferedBytes < 4 + length) return frames;
      const whole = this.take(4 + length);
      const kind = whole[4]!;
      if (kind !== FrameKind.hello && kind !== FrameKind.helloReply && kind !== FrameKind.batch && kind !== FrameKind.calls) {
        throw new FrameDecodeError(`unknown frame kind ${kind}`);
      }
      frames.push({ kind, body: whole.subarray(frameHeaderBytes) });
    }
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    this.chunks = [concat(this.chunks, this.bufferedBytes)];
    return this.chunks[0]!;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let joined: Uint8Array;
    if (first.length >= n) {
      joined = first;
    } else {
      joined = concat(this.chunks, this.bufferedBytes);
      this.chunks = [joined];
    }
    const out = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks[0] = rest;
    if (rest.length === 0) this.chunks.shift();
    this.bufferedBytes -= n;
    return out;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

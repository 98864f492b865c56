// grpc-go clients dialled with a URL as their target (etcdctl's `endpoint status`, `endpoint
// hashkv`, `move-leader`: `passthrough:///http://127.0.0.1:2379`) send that URL as :authority.
// etcd (Go) accepts it; Node's HTTP/2 (nghttp2, whose header validation Node cannot turn off)
// resets every such stream with PROTOCOL_ERROR. This filter sits between the socket and the
// HTTP/2 server and fixes the client→server direction:
//
//   - It parses frames after the 24-byte preface and hands every frame on verbatim, except
//     header blocks (HEADERS + CONTINUATION), which it decodes with an HPACK decoder following
//     the client's dynamic table.
//   - The connection's first header block decides: if no :authority (or host) needs fixing, the
//     connection becomes a plain pipe for good, that first block included (nothing was changed,
//     so the client's dynamic table and the server's still agree). Otherwise every header block
//     from then on is decoded and re-encoded as plain literals (no dynamic table, no Huffman)
//     with the authority cut down to host:port; the server's dynamic table stays empty.
//   - Malformed input (bad HPACK, frame sequencing, sizes over the limits) drops the connection.
//
// Server→client bytes pass through untouched and uncopied.
//
//   grpcServer.inject(new AuthorityFilter(socket));

import { Duplex } from 'node:stream';
import { encodeHeaderBlock, HpackDecoder, type HeaderField } from './hpack.js';

const prefaceBytes = 24;
const frameHeaderBytes = 9;

const frameType = { headers: 0x1, pushPromise: 0x5, continuation: 0x9 } as const;
const flag = { endStream: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;

/** The smallest SETTINGS_MAX_FRAME_SIZE a peer may announce, so every peer accepts frames this big. */
const outFrameBytesMax = 16384;

export interface AuthorityFilterLimits {
  /** Payload bytes of one header block's frames (HEADERS + CONTINUATION, padding included). */
  headerBlockBytesMax: number;
  /** Frames in one header block (nghttp2 itself allows 1 HEADERS + 8 CONTINUATION). */
  headerBlockFramesMax: number;
  /** Decoded header list (octets + 32 a field); the server's own limit is 64 KiB. */
  headerListBytesMax: number;
  /** The SETTINGS_HEADER_TABLE_SIZE the server advertises (Node's default). */
  hpackTableBytesMax: number;
}

export const defaultAuthorityFilterLimits: AuthorityFilterLimits = {
  headerBlockBytesMax: 256 * 1024,
  headerBlockFramesMax: 64,
  headerListBytesMax: 1024 * 1024,
  hpackTableBytesMax: 4096,
};

// nghttp2's check on :authority and host: at least one octet, each one of these.
const authorityOctets = new Uint8Array(256);
for (const c of "!$%&'()*+,-.0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz~") {
  authorityOctets[c.charCodeAt(0)] = 1;
}

/** Whether nghttp2 accepts `value` as :authority or host. */
export function isValidAuthority(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || !authorityOctets[c]) return false;
  }
  return true;
}

/** The host[:port] of an authority written as a URL: `http://127.0.0.1:2379/x` → `127.0.0.1:2379`. */
export function hostPortOf(value: string): string {
  let v = value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const end = v.search(/[/?#]/);
  if (end >= 0) v = v.slice(0, end);
  const at = v.lastIndexOf('@');
  return at >= 0 ? v.slice(at + 1) : v;
}

const isAuthorityField = (name: string) => name === ':authority' || name === 'host';

/** The value the server should see instead, or undefined if the field needs no fixing (or cannot be fixed). */
export function fixedAuthority(value: string): string | undefined {
  if (isValidAuthority(value)) return undefined;
  const fixed = hostPortOf(value);
  return fixed !== value && isValidAuthority(fixed) ? fixed : undefined;
}

type Mode = 'decide' | 'rewrite' | 'passthrough';

/** A header block being gathered from a HEADERS frame and its CONTINUATION frames. */
interface Block {
  streamId: number;
  /** The HEADERS frame's flags. */
  flags: number;
  fragments: Buffer[];
  /** The frames as received (only while deciding: they go on verbatim if nothing needs fixing). */
  raw: Buffer[];
  payloadBytes: number;
  frames: number;
}

export class AuthorityFilter extends Duplex {
  private mode: Mode = 'decide';
  private prefaceLeft = prefaceBytes;
  /** A frame header split across chunks. */
  private readonly header = Buffer.alloc(frameHeaderBytes);
  private headerHave = 0;
  /** The current frame: payload bytes still to come, and whether they are forwarded or gathered. */
  private payloadLeft = 0;
  private gathering = false;
  private frameHeader: Buffer | undefined;
  private payloadPieces: Buffer[] = [];
  private block: Block | undefined;
  private decoder: HpackDecoder | undefined;
  private readonly limits: AuthorityFilterLimits;

  constructor(
    readonly socket: Duplex,
    limits: Partial<AuthorityFilterLimits> = {},
  ) {
    super();
    this.limits = { ...defaultAuthorityFilterLimits, ...limits };
    this.decoder = new HpackDecoder({
      tableBytesMax: this.limits.hpackTableBytesMax,
      headerListBytesMax: this.limits.headerListBytesMax,
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** 'decide' until the first header block, then 'passthrough' or 'rewrite' for good. */
  get filterMode(): Mode {
    return this.mode;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i].chunk);
    this.socket.write(chunks[chunks.length - 1].chunk, cb);
    this.socket.uncork();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }

  private forward(buf: Buffer): void {
    if (buf.length > 0 && !this.push(buf)) this.socket.pause();
  }

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.mode === 'passthrough') {
      this.forward(chunk);
      return;
    }
    try {
      this.scan(chunk);
    } catch {
      // The client sent something no HTTP/2 server could accept: hang up on it.
      this.socket.destroy();
      this.destroy();
    }
  }

  /** Forwards runs of verbatim bytes as subarrays of `chunk`; gathers header blocks. */
  private scan(chunk: Buffer): void {
    let i = 0;
    let runStart = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.mode === 'passthrough') break;
      if (this.prefaceLeft > 0) {
        const take = Math.min(this.prefaceLeft, n - i);
        this.prefaceLeft -= take;
        i += take;
        continue;
      }
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, n - i);
        if (this.gathering) this.payloadPieces.push(chunk.subarray(i, i + take));
        this.payloadLeft -= take;
        i += take;
        if (this.gathering) {
          runStart = i;
          if (this.payloadLeft === 0) this.endGatheredFrame();
        }
        continue;
      }
      // A frame header: read in place when whole, else assembled across chunks.
      let hdr: Buffer;
      let split: boolean;
      if (this.headerHave === 0 && n - i >= frameHeaderBytes) {
        hdr = chunk.subarray(i, i + frameHeaderBytes);
        split = false;
        i += frameHeaderBytes;
      } else {
        if (this.headerHave === 0) {
          // The bytes before this header go on now; the header waits until it is whole.
          this.forward(chunk.subarray(runStart, i));
        }
        const take = Math.min(frameHeaderBytes - this.headerHave, n - i);
        chunk.copy(this.header, this.headerHave, i, i + take);
        this.headerHave += take;
        i += take;
        runStart = i;
        if (this.headerHave < frameHeaderBytes) break;
        this.headerHave = 0;
        hdr = this.header;
        split = true;
      }
      const length = hdr.readUIntBE(0, 3);
      const type = hdr[3];
      const flags = hdr[4];
      const streamId = hdr.readUInt32BE(5) & 0x7fffffff;
      this.payloadLeft = length;
      this.gathering = this.startFrame(length, type, flags, streamId);
      if (this.gathering) {
        // Hold the header block frame back: forward what came before it, keep its header.
        if (!split) this.forward(chunk.subarray(runStart, i - frameHeaderBytes));
        runStart = i;
        this.frameHeader = Buffer.from(hdr);
        this.payloadPieces = [];
        if (length === 0) this.endGatheredFrame();
      } else if (split) {
        this.forward(Buffer.from(hdr));
      }
    }
    if (this.mode === 'passthrough') {
      this.forward(chunk.subarray(runStart));
    } else if (this.headerHave === 0) {
      this.forward(chunk.subarray(runStart, n));
    }
  }

  /** Checks a frame's place in the sequence; true if its payload is part of a header block. */
  private startFrame(length: number, type: number, flags: number, streamId: number): boolean {
    if (this.block) {
      if (type !== frameType.continuation || streamId !== this.block.streamId) {
        throw new Error('expected CONTINUATION');
      }
      this.block.frames++;
      this.block.payloadBytes += length;
      this.checkBlockLimits(this.block);
      return true;
    }
    if (type === frameType.continuation) throw new Error('CONTINUATION without HEADERS');
    // A client may not push; it would carry a header block we do not follow.
    if (type === frameType.pushPromise) throw new Error('PUSH_PROMISE from a client');
    if (type !== frameType.headers) return false;
    this.block = { streamId, flags, fragments: [], raw: [], payloadBytes: length, frames: 1 };
    this.checkBlockLimits(this.block);
    return true;
  }

  private checkBlockLimits(block: Block): void {
    if (block.payloadBytes > this.limits.headerBlockBytesMax) throw new Error('header block too large');
    if (block.frames > this.limits.headerBlockFramesMax) throw new Error('too many CONTINUATION frames');
  }

  /** A HEADERS or CONTINUATION frame has been read whole. */
  private endGatheredFrame(): void {
    const block = this.block!;
    const hdr = this.frameHeader!;
    const payload = this.payloadPieces.length === 1 ? Buffer.from(this.payloadPieces[0]) : Buffer.concat(this.payloadPieces);
    this.payloadPieces = [];
    this.gathering = false;
    const type = hdr[3];
    const flags = hdr[4];
    let start = 0;
    let end = payload.length;
    if (type === frameType.headers) {
      if (flags & flag.padded) {
        if (payload.length < 1) throw new Error('HEADERS too short for its padding');
        end -= payload[0];
        start = 1;
      }
      if (flags & flag.priority) start += 5;
      if (start > end) throw new Error('HEADERS padding or priority past its end');
    }
    block.fragments.push(payload.subarray(start, end));
    if (this.mode === 'decide') block.raw.push(hdr, payload);
    if (flags & flag.endHeaders) {
      this.block = undefined;
      this.endBlock(block);
    }
  }

  private endBlock(block: Block): void {
    const fields = this.decoder!.decode(
      block.fragments.length === 1 ? block.fragments[0] : Buffer.concat(block.fragments),
    );
    if (this.mode === 'decide') {
      if (!fields.some((f) => isAuthorityField(f.name) && fixedAuthority(f.value) !== undefined)) {
        this.mode = 'passthrough';
        this.decoder = undefined;
        this.forward(Buffer.concat(block.raw));
        return;
      }
      this.mode = 'rewrite';
    }
    this.forward(headersFrames(block.streamId, block.flags & flag.endStream, encodeHeaderBlock(fields.map(fixField))));
  }
}

function fixField(f: HeaderField): HeaderField {
  if (!isAuthorityField(f.name)) return f;
  const fixed = fixedAuthority(f.value);
  return fixed === undefined ? f : { ...f, value: fixed };
}

/** A header block as one HEADERS frame, or HEADERS + CONTINUATION frames of at most outFrameBytesMax. */
export function headersFrames(streamId: number, endStream: number, block: Buffer): Buffer {
  const frames = Math.max(1, Math.ceil(block.length / outFrameBytesMax));
  const out = Buffer.allocUnsafe(block.length + frames * frameHeaderBytes);
  let at = 0;
  for (let k = 0; k < frames; k++) {
    const piece = block.subarray(k * outFrameBytesMax, (k + 1) * outFrameBytesMax);
    out.writeUIntBE(piece.length, at, 3);
    out[at + 3] = k === 0 ? frameType.headers : frameType.continuation;
    out[at + 4] = (k === 0 ? endStream : 0) | (k === frames - 1 ? flag.endHeaders : 0);
    out.writeUInt32BE(streamId, at + 5);
    piece.copy(out, at + frameHeaderBytes);
    at += frameHeaderBytes + piece.length;
  }
  return out;
}

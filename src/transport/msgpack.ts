// The transport's encoding, through the project's one msgpackr adapter (src/util/msgpack.ts).
//
// NB: records (msgpackr's shared structures) are off there. They would shrink repeated keys, but
// they make the decoder depend on state from earlier frames, which a reconnect loses; the frame
// codec sends tuples instead (codec.ts), which are as small and need no shared state.

import { pack, unpack } from '../util/msgpack.js';

/** Encodes one value. The result is a view the caller may keep (it is never overwritten). */
export function packValue(value: unknown): Uint8Array {
  return pack(value);
}

/**
 * Decodes one value. Binary fields come back as Buffers that view `bytes`; callers that keep
 * them past the frame copy them into plain Uint8Arrays (see codec.ts).
 */
export function unpackValue(bytes: Uint8Array): unknown {
  return unpack(bytes);
}

/**
 * The msgpack header of an array of `count` elements. A batch is this header followed by the
 * separately packed messages, which is the same bytes as packing the array in one call.
 */
export function arrayHeader(count: number): Uint8Array {
  if (count < 16) return Uint8Array.of(0x90 | count);
  if (count < 0x10000) return Uint8Array.of(0xdc, count >>> 8, count & 0xff);
  return Uint8Array.of(0xdd, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff);
}

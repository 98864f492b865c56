// Big-endian fixed-width integers, so that LMDB's bytewise key order is numeric order.
// Safe integers (< 2^53) are written as two 32-bit halves: no bigint on hot paths.

import { assert } from '../util/assert.js';

export function writeU64(buf: Uint8Array, offset: number, n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, `not a non-negative safe integer: ${n}`);
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  buf[offset] = hi >>> 24;
  buf[offset + 1] = (hi >>> 16) & 0xff;
  buf[offset + 2] = (hi >>> 8) & 0xff;
  buf[offset + 3] = hi & 0xff;
  writeU32(buf, offset + 4, lo);
}

export function readU64(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset) * 0x100000000 + readU32(buf, offset + 4);
}

export function writeU32(buf: Uint8Array, offset: number, n: number): void {
  buf[offset] = n >>> 24;
  buf[offset + 1] = (n >>> 16) & 0xff;
  buf[offset + 2] = (n >>> 8) & 0xff;
  buf[offset + 3] = n & 0xff;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) >>> 0) + (buf[offset + 1]! << 16) + (buf[offset + 2]! << 8) + buf[offset + 3]!;
}

/** Key of `n` (u64) after an 8-byte prefix id: `prefix ++ n`, 16 bytes. */
export function u64Pair(prefix: number, n: number): Uint8Array {
  const k = new Uint8Array(16);
  writeU64(k, 0, prefix);
  writeU64(k, 8, n);
  return k;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Bytewise comparison, as LMDB and etcd order keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

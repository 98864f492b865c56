// etcd's key range encoding, decoded once: rangeEnd empty = the single key; rangeEnd = [0] =
// every key >= key; key = rangeEnd = [0] = every key; else [key, rangeEnd).

import { compareBytes, concatBytes } from '../storage/index.js';

export interface KeyRange {
  start: Uint8Array;
  /** Exclusive; undefined = no upper bound. */
  end: Uint8Array | undefined;
}

export function keyRange(key: Uint8Array, rangeEnd: Uint8Array): KeyRange {
  if (rangeEnd.length === 0) return { start: key, end: concatBytes(key, Uint8Array.of(0)) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: undefined };
  return { start: key, end: rangeEnd };
}

export function inRange(r: KeyRange, key: Uint8Array): boolean {
  return compareBytes(key, r.start) >= 0 && (r.end === undefined || compareBytes(key, r.end) < 0);
}

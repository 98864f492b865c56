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

/** A region's span [start, end) as a KeyRange: an empty end is unbounded (not "just start"). */
export function spanRange(start: Uint8Array, end: Uint8Array): KeyRange {
  return { start, end: end.length === 0 ? undefined : end };
}

/** The smallest key after k in bytewise order: resumes a scan just past k. */
export function keyAfter(k: Uint8Array): Uint8Array {
  return concatBytes(k, Uint8Array.of(0));
}

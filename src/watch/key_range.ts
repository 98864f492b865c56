// A watcher's key range, normalized the way etcd's watch server does before it registers a
// watcher (etcdserver/api/v3rpc/watch.go), and as strings for the index: one latin1 char per
// byte, so JavaScript's string order is byte order.
//
//   key "",   rangeEnd ""     → the single key "\x00" (an empty key means "\x00", as in etcd)
//   key "a",  rangeEnd ""     → the single key "a"
//   key "a",  rangeEnd "\x00" → every key >= "a" (end = null: unbounded)
//   key "a",  rangeEnd "b"    → ["a", "b")
//   key "b",  rangeEnd "a"    → rejected: "mvcc: watcher range is empty"

import { zeroByte } from '../mvcc/types.js';

export interface KeyRange {
  /** As sent to kv.eventsSince (RangeRequest encoding), key already normalized. */
  keyBytes: Uint8Array;
  endBytes: Uint8Array;
  /** latin1 forms for the index. */
  start: string;
  /** undefined: the single key `start`; null: unbounded; otherwise the exclusive end. */
  end: string | null | undefined;
  /** Identifies the range: watchers with equal ranges share one index entry. */
  sig: string;
}

export const emptyRangeReason = 'mvcc: watcher range is empty';

export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** The normalized range, or undefined if it holds no key. */
export function keyRange(key: Uint8Array, rangeEnd: Uint8Array): KeyRange | undefined {
  const keyBytes = key.length === 0 ? zeroByte : key;
  const start = latin1(keyBytes);
  if (rangeEnd.length === 0) return { keyBytes, endBytes: rangeEnd, start, end: undefined, sig: `k${start}` };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) {
    return { keyBytes, endBytes: rangeEnd, start, end: null, sig: `f${start}` };
  }
  const end = latin1(rangeEnd);
  if (end <= start) return undefined;
  // Length-prefixed so that no two different (start, end) pairs share a signature.
  return { keyBytes, endBytes: rangeEnd, start, end, sig: `r${start.length}:${start}${end}` };
}

export function rangeHolds(r: KeyRange, k: string): boolean {
  if (r.end === undefined) return k === r.start;
  return k >= r.start && (r.end === null || k < r.end);
}

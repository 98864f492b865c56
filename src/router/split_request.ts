// Turning etcd requests into per-region pieces, and finding the keys a Txn touches.
//
// etcd encodes a key range in two fields (src/mvcc/types.ts); the router works on plain bounds
// [start, end) with an empty end unbounded (rangeBounds), and encodes each piece back:
//
//   key "a", range_end ""     → ["a", "a\0")   the single key "a"
//   key "a", range_end "\0"   → ["a", "")      every key >= "a"
//   key "\0", range_end "\0"  → ["\0", "")     every key (etcd keys are never empty)
//   key "a", range_end "k"    → ["a", "k")
//
// Range mode: the range is clipped to each region it meets, pieces in key order:
//
//   regions [""  , "g") ["g", "p") ["p", "")
//   key "c", range_end "\0"  →  ["c", "g")  ["g", "p")  ["p", "")
//   encoded as key "c" range_end "g", key "g" range_end "p", key "p" range_end "\0"
//
// A piece whose bounds are the whole request keeps the client's encoding, so a single-key get
// stays a get. A clipped piece ending at the key "\0" would encode as range_end "\0", which
// means "to the end"; its only key would be the empty key, which etcd never stores, so it is
// dropped.
//
// Hash mode: every group gets the whole request (a range's keys hash to every group; a single
// key's regionsFor is already just its group). A group answers only for the slots it owns:
// its store holds only their keys, and while a slot migrates the group filters by its
// region's `slots` (the piece carries the region, with its epoch and slots, for that check).

import { assert, assertNever } from '../util/assert.js';
import { clipToRegion, compareKeys, type Region } from '../cluster/region.js';
import type { Compare, DeleteRangeRequest, RangeRequest, RequestOp, TxnRequest } from '../mvcc/types.js';
import { rangePieceRequest } from './merge.js';
import { singleKeyEnd, type KeySpan, type RouteTable } from './route.js';

export interface Piece<R> {
  region: Region;
  req: R;
}

/** etcd's (key, range_end) as plain bounds; an empty end is unbounded. */
export function rangeBounds(key: Uint8Array, rangeEnd: Uint8Array): KeySpan {
  if (rangeEnd.length === 0) return { start: key, end: singleKeyEnd(key) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: new Uint8Array(0) };
  return { start: key, end: rangeEnd };
}

/** Whether bounds hold no key at all (etcd answers key "b", range_end "a" with nothing). */
export function isEmptySpan(span: KeySpan): boolean {
  return span.end.length !== 0 && compareKeys(span.end, span.start) <= 0;
}

/**
 * One RangeRequest per region of `regions` (what a RouteTable's regionsFor returned for the
 * request's bounds), each asking what merge.ts's mergeRange needs (rangePieceRequest).
 */
export function splitRange(req: RangeRequest, regions: readonly Region[]): Piece<RangeRequest>[] {
  const ask = rangePieceRequest(req);
  return splitSpan(req.key, req.rangeEnd, regions).map(({ region, key, rangeEnd }) => ({ region, req: { ...ask, key, rangeEnd } }));
}

/** One DeleteRangeRequest per region; merge with mergeDeleteRange. */
export function splitDeleteRange(req: DeleteRangeRequest, regions: readonly Region[]): Piece<DeleteRangeRequest>[] {
  return splitSpan(req.key, req.rangeEnd, regions).map(({ region, key, rangeEnd }) => ({ region, req: { ...req, key, rangeEnd } }));
}

/**
 * Every key range a Txn touches, as bounds: its compares, and the ops of both branches
 * (whichever runs), nested txns included. E.g. compare "a", success put "b" and range
 * ["c", "f"), failure txn{ delete "x" } → [a, a\0) [b, b\0) [c, f) [x, x\0).
 */
export function keysOfTxn(txn: TxnRequest): KeySpan[] {
  const out: KeySpan[] = [];
  collectTxn(txn, out);
  return out;
}

/**
 * The one region holding every span, or undefined if they need several regions or some have
 * none known (the router then asks PD, or runs a cross-region transaction).
 */
export function singleRegionOf(spans: readonly KeySpan[], table: RouteTable): Region | undefined {
  let only: Region | undefined;
  for (const span of spans) {
    const route = table.regionsFor(span.start, span.end);
    if (!route.complete || route.regions.length !== 1) return undefined;
    const r = route.regions[0]!;
    if (only !== undefined && only.id !== r.id) return undefined;
    only = r;
  }
  return only;
}

// ---- internals ----

interface EncodedPiece {
  region: Region;
  key: Uint8Array;
  rangeEnd: Uint8Array;
}

const zeroByte = Uint8Array.of(0);

function splitSpan(key: Uint8Array, rangeEnd: Uint8Array, regions: readonly Region[]): EncodedPiece[] {
  assert(regions.length > 0, 'split: no regions');
  const hash = regions[0]!.slots !== undefined;
  assert(regions.every((r) => (r.slots !== undefined) === hash), 'split: range-mode regions mixed with hash-mode groups');
  const bounds = rangeBounds(key, rangeEnd);
  // Hash mode, or an empty range (routed to the region of its start key): the request as it is.
  if (hash || isEmptySpan(bounds)) {
    assert(hash || regions.length === 1, `split: an empty range sent to ${regions.length} regions`);
    return regions.map((region) => ({ region, key, rangeEnd }));
  }
  const out: EncodedPiece[] = [];
  let prevEnd: Uint8Array | undefined;
  for (const region of regions) {
    assert(prevEnd === undefined || (prevEnd.length !== 0 && compareKeys(prevEnd, region.start) <= 0), `split: region ${region.id} out of key order`);
    prevEnd = region.end;
    const clip = clipToRegion(region, bounds.start, bounds.end);
    if (clip === undefined) continue;
    if (sameBytes(clip.start, bounds.start) && sameBytes(clip.end, bounds.end)) out.push({ region, key, rangeEnd });
    else if (clip.end.length === 0) out.push({ region, key: clip.start, rangeEnd: zeroByte });
    else if (clip.end.length === 1 && clip.end[0] === 0) assert(clip.start.length === 0, 'split: a piece below "\\0" starts at a key');
    else out.push({ region, key: clip.start, rangeEnd: clip.end });
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareKeys(a, b) === 0;
}

function collectTxn(txn: TxnRequest, out: KeySpan[]): void {
  for (const c of txn.compare) out.push(compareSpan(c));
  for (const op of txn.success) collectOp(op, out);
  for (const op of txn.failure) collectOp(op, out);
}

function compareSpan(c: Compare): KeySpan {
  return rangeBounds(c.key, c.rangeEnd);
}

function collectOp(op: RequestOp, out: KeySpan[]): void {
  if ('requestRange' in op) out.push(rangeBounds(op.requestRange.key, op.requestRange.rangeEnd));
  else if ('requestPut' in op) out.push(rangeBounds(op.requestPut.key, new Uint8Array(0)));
  else if ('requestDeleteRange' in op) out.push(rangeBounds(op.requestDeleteRange.key, op.requestDeleteRange.rangeEnd));
  else if ('requestTxn' in op) collectTxn(op.requestTxn, out);
  else assertNever(op, 'request op');
}

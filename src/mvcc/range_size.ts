// How big a region's span is, and where to cut it: the split check of TiKV's raftstore, over
// tables that keep no per-range sizes.
//
// A key's footprint is what it occupies in the tables: its index slot and record, and per stored
// revision a history key and record and a revs entry (id, key). Counting a revs entry for every
// revision (compaction removes them for the revisions it keeps) overestimates a little.
//
// approximateBytes: one native count of the span's index entries times the mean footprint of a
// sample: up to sampleRuns runs of sampleRunKeys consecutive keys, the runs starting at points
// spread evenly between the span's first and last keys (the 6 bytes after their common prefix
// read as a number and interpolated). Exact for spans of at most sampleRuns * sampleRunKeys keys.
// Worked example: keys user/00000 .. user/19999; the prefix is "user/", the points 00000, 01250,
// 02500 ... (as bytes), so the runs sample every sixteenth of the span.
// NB: where keys crowd into a narrow part of that interval (two clusters far apart), several runs
// start at the same key; the sample is then smaller and less spread. Good enough for deciding
// when to split; splitKeys measures exactly (one history seek per key: far dearer).
//
// splitKeys: walks the span in key order and cuts before the key at which the piece being filled
// has reached the target; a last piece under half the target joins the one before. Worked
// example, target { keys: 2 }, keys a b c d e: cut before c (a b), before e (c d); e alone is
// under 1 key, so the cut before e goes: [c], pieces a b | c d e.

import { compareBytes, concatBytes } from '../storage/index.js';
import { assert } from '../util/assert.js';
import type { KeyRange } from './key_range.js';
import type { IndexEntry, Keyspace } from './keyspace.js';
import type { SplitTarget } from './kv.js';
import type { MvccView } from './view.js';

const sampleRuns = 16;
const sampleRunKeys = 16;
/** Index record header (records.ts encodeIndex), history key, revs key plus its id. */
const indexRecordBytes = 45;
const historyKeyBytes = 20;
const revsEntryBytes = 12 + 8;

export function keyFootprintBytes(view: MvccView, e: IndexEntry): number {
  let n = e.slot.length + indexRecordBytes + (e.rec.fullKey?.length ?? 0);
  for (const x of view.historyOf(e.rec.id)) n += historyKeyBytes + x.value.length + revsEntryBytes + e.key.length;
  return n;
}

export function approximateSpanBytes(keyspace: Keyspace, view: MvccView, r: KeyRange): number {
  const entries = keyspace.countEntries(r.start, r.end);
  if (entries === 0) return 0;
  if (entries <= sampleRuns * sampleRunKeys) {
    let exact = 0;
    for (const e of keyspace.scan(r.start, r.end)) exact += keyFootprintBytes(view, e);
    return exact;
  }
  let first: Uint8Array | undefined;
  for (const e of keyspace.scan(r.start, r.end)) {
    first = e.key;
    break;
  }
  const last = keyspace.lastKey(r.start, r.end);
  assert(first !== undefined && last !== undefined, 'a span with index entries has a first and a last key');
  const seen = new Set<string>();
  let bytes = 0;
  for (const point of seekPoints(first, last, sampleRuns)) {
    let n = 0;
    for (const e of keyspace.scan(point, r.end)) {
      const slot = Buffer.from(e.slot.buffer, e.slot.byteOffset, e.slot.length).toString('latin1');
      // Runs start in key order: once one meets a sampled key, the rest of it was sampled too.
      if (n++ >= sampleRunKeys || seen.has(slot)) break;
      seen.add(slot);
      bytes += keyFootprintBytes(view, e);
    }
  }
  return seen.size === 0 ? 0 : Math.round((entries * bytes) / seen.size);
}

export function splitSpan(keyspace: Keyspace, view: MvccView, r: KeyRange, target: SplitTarget): Uint8Array[] {
  const each = typeof target === 'number' ? target : target.keys;
  assert(Number.isFinite(each) && each > 0, `split target must be positive, not ${each}`);
  const weigh = typeof target === 'number' ? (e: IndexEntry) => keyFootprintBytes(view, e) : () => 1;
  const cuts: Uint8Array[] = [];
  let piece = 0;
  for (const e of keyspace.scan(r.start, r.end)) {
    if (piece >= each) {
      cuts.push(Uint8Array.from(e.key));
      piece = 0;
    }
    piece += weigh(e);
  }
  if (cuts.length > 0 && piece < each / 2) cuts.pop();
  return cuts;
}

/** first, then up to n - 1 keys evenly spread from first to last (see the top of the file). */
function seekPoints(first: Uint8Array, last: Uint8Array, n: number): Uint8Array[] {
  let p = 0;
  while (p < first.length && p < last.length && first[p] === last[p]) p++;
  const lo = read48(first, p);
  const hi = read48(last, p);
  const prefix = first.subarray(0, p);
  const points = [first];
  for (let i = 1; i < n; i++) {
    const point = concatBytes(prefix, write48(lo + Math.floor(((hi - lo) * i) / n)));
    // A first key longer than prefix + 6 bytes may sort after the first points: skip those.
    if (compareBytes(point, first) > 0) points.push(point);
  }
  return points;
}

/** The 6 bytes of b from p, zero-padded, as a number below 2^48. */
function read48(b: Uint8Array, p: number): number {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (b[p + i] ?? 0);
  return v;
}

function write48(v: number): Uint8Array {
  const out = new Uint8Array(6);
  for (let i = 5; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

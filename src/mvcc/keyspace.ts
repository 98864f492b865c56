// The index table's key layout: user keys of any length etcd accepts, in etcd's bytewise order,
// in an LMDB whose keys are limited to ~2 KB.
//
// A key of at most `inlineBytesMax` bytes sits in its slot as itself plus a 0x00 tag; a longer
// key sits in the bucket of its first `inlineBytesMax` bytes (its prefix): the prefix, tag 0x01,
// then an 8-byte rank; the full key is kept in the record. Ranks are handed out so that rank
// order is full-key order within a bucket (midpoints between neighbours; the bucket is
// renumbered when no gap is left). Worked example with inlineBytesMax = 2:
//
//   user key   slot
//   "a"        a 00
//   "ab"       a b 00
//   "abc..."   a b 01 <rank r1>      the bucket of "ab" holds "abc...", "abd...", in that order
//   "abd..."   a b 01 <rank r2>      r1 < r2 because "abc..." < "abd..."
//   "ac"       a c 00
//
// Why slots sort like keys: a short key k's slot is k ++ 00, so every key extending k sorts after
// it (its slot continues with a byte >= 00 and is longer, or with 01 when k is exactly the prefix
// of a bucket); keys that differ within their first inlineBytesMax bytes compare there, in slots
// as in keys. Only the keys of one bucket share all those bytes, and their ranks follow their
// full keys. Range scans start at the lower bound's slot and compare full keys inside buckets.

import { assert } from '../util/assert.js';
import { compareBytes, concatBytes, readU64, writeU64, type BinaryTable } from '../storage/index.js';
import { decodeIndex, encodeIndex, type IndexRecord } from './records.js';

const emptyValue = new Uint8Array(0);
const inlineTag = 0;
const bucketTag = 1;
const rankBytes = 8;
/** Ranks live in (0, rankEnd). */
const rankEnd = 2 ** 52;
/** Gap left after the last (or before the first) key of a bucket: sorted inserts stay cheap. */
const rankStride = 2 ** 32;

export interface IndexEntry {
  key: Uint8Array;
  slot: Uint8Array;
  rec: IndexRecord;
}

export class Keyspace {
  /**
   * @param graves the slots of the index entries that are tombstones (deleted keys kept until a
   *   compaction), so that counting the live keys of a range at the current revision is two
   *   native counts (index minus graves) instead of a walk over every entry.
   */
  constructor(
    private readonly index: BinaryTable,
    readonly inlineBytesMax: number,
    private readonly graves: BinaryTable,
  ) {
    assert(inlineBytesMax >= 1, 'inlineBytesMax must be positive');
  }

  /** The table the index lives in. */
  get table(): BinaryTable {
    return this.index;
  }

  isLong(key: Uint8Array): boolean {
    return key.length > this.inlineBytesMax;
  }

  find(key: Uint8Array): IndexEntry | undefined {
    if (!this.isLong(key)) {
      const slot = concatBytes(key, Uint8Array.of(inlineTag));
      const v = this.index.get(slot);
      return v === undefined ? undefined : { key, slot, rec: decodeIndex(v) };
    }
    for (const e of this.bucket(key)) {
      const c = compareBytes(e.key, key);
      if (c === 0) return e;
      if (c > 0) return undefined;
    }
    return undefined;
  }

  /** Adds a key that is not in the index. Returns its slot. */
  insert(key: Uint8Array, rec: IndexRecord): Uint8Array {
    if (!this.isLong(key)) {
      const slot = concatBytes(key, Uint8Array.of(inlineTag));
      this.putSlot(slot, withKey(rec, undefined));
      return slot;
    }
    const entries = [...this.bucket(key)];
    let pos = 0;
    while (pos < entries.length && compareBytes(entries[pos]!.key, key) < 0) pos++;
    assert(pos === entries.length || compareBytes(entries[pos]!.key, key) !== 0, 'inserting a key that exists');
    const before = pos > 0 ? rankOf(entries[pos - 1]!.slot) : 0;
    const after = pos < entries.length ? rankOf(entries[pos]!.slot) : rankEnd;
    let rank: number;
    if (pos === entries.length && after - before > rankStride) rank = before + rankStride;
    else if (pos === 0 && after - before > rankStride) rank = after - rankStride;
    else rank = before + Math.floor((after - before) / 2);
    if (rank <= before || rank >= after) return this.renumber(key, rec, entries, pos);
    const slot = this.bucketSlot(key, rank);
    this.putSlot(slot, withKey(rec, key));
    return slot;
  }

  update(entry: IndexEntry, rec: IndexRecord): void {
    this.putSlot(entry.slot, withKey(rec, this.isLong(entry.key) ? entry.key : undefined));
  }

  remove(entry: IndexEntry): void {
    const had = this.index.remove(entry.slot);
    assert(had, 'removing an index entry that does not exist');
    this.graves.remove(entry.slot);
  }

  /**
   * Live keys in [start, end) as of the newest revision, counted natively; undefined when a bound
   * falls inside a bucket of long keys (those need full-key comparisons: walk instead).
   */
  countLive(start: Uint8Array, end: Uint8Array | undefined): number | undefined {
    if (end !== undefined && compareBytes(end, start) <= 0) return 0;
    if (this.isLong(start) || (end !== undefined && this.isLong(end))) return undefined;
    const lo = concatBytes(start, Uint8Array.of(inlineTag));
    const bounds = end === undefined ? { start: lo } : { start: lo, end: concatBytes(end, Uint8Array.of(inlineTag)) };
    return this.index.count(bounds) - this.graves.count(bounds);
  }

  /**
   * Index entries (alive or deleted) in [start, end): natively, but for the buckets of long keys a
   * bound falls in, whose entries are compared one by one.
   */
  countEntries(start: Uint8Array, end: Uint8Array | undefined): number {
    if (end !== undefined && compareBytes(end, start) <= 0) return 0;
    const startLong = this.isLong(start);
    const endLong = end !== undefined && this.isLong(end);
    const inSpan = (k: Uint8Array): boolean => compareBytes(k, start) >= 0 && (end === undefined || compareBytes(k, end) < 0);
    let n = 0;
    if (startLong) for (const e of this.bucket(start)) if (inSpan(e.key)) n++;
    if (endLong && !(startLong && compareBytes(this.bucketStart(start), this.bucketStart(end!)) === 0)) {
      for (const e of this.bucket(end!)) if (inSpan(e.key)) n++;
    }
    // Between the buckets (or the bounds' own slots), natively.
    const lo = startLong ? this.bucketEnd(start) : concatBytes(start, Uint8Array.of(inlineTag));
    const hi = end === undefined ? undefined : endLong ? this.bucketStart(end) : concatBytes(end, Uint8Array.of(inlineTag));
    if (hi === undefined) n += this.index.count({ start: lo });
    else if (compareBytes(lo, hi) < 0) n += this.index.count({ start: lo, end: hi });
    return n;
  }

  /** The greatest key (alive or deleted) in [start, end), if any. */
  lastKey(start: Uint8Array, end: Uint8Array | undefined): Uint8Array | undefined {
    const hi = end === undefined ? undefined : this.isLong(end) ? this.bucketEnd(end) : concatBytes(end, Uint8Array.of(inlineTag));
    // Reversed, start is the inclusive upper bound: the slot of `end` itself is skipped below.
    for (const { key: slot, value } of this.index.range({ ...(hi ? { start: hi } : {}), reverse: true })) {
      const key = decodeIndex(value).fullKey ?? slot.subarray(0, slot.length - 1);
      if (end !== undefined && compareBytes(key, end) >= 0) continue;
      return compareBytes(key, start) >= 0 ? key : undefined;
    }
    return undefined;
  }

  /** Rebuilds the graves from the index (a store written before they were kept). */
  rebuildGraves(): number {
    this.graves.removeRange(undefined, undefined);
    let n = 0;
    for (const { key: slot, value } of this.index.range()) {
      if (decodeIndex(value).alive) continue;
      this.graves.put(slot, emptyValue);
      n++;
    }
    return n;
  }

  private putSlot(slot: Uint8Array, rec: IndexRecord): void {
    this.index.put(slot, encodeIndex(rec));
    if (rec.alive) this.graves.remove(slot);
    else this.graves.put(slot, emptyValue);
  }

  /**
   * Entries with start <= key < end (end undefined: no upper bound), in key order.
   * Do not write to the index while iterating.
   */
  *scan(start: Uint8Array, end: Uint8Array | undefined): Generator<IndexEntry> {
    if (end !== undefined && compareBytes(end, start) <= 0) return;
    const startLong = this.isLong(start);
    const endLong = end !== undefined && this.isLong(end);
    const lo = startLong ? this.bucketStart(start) : concatBytes(start, Uint8Array.of(inlineTag));
    const hi = end === undefined ? undefined : endLong ? this.bucketEnd(end) : concatBytes(end, Uint8Array.of(inlineTag));
    for (const { key: slot, value } of this.index.range({ start: lo, ...(hi ? { end: hi } : {}) })) {
      const rec = decodeIndex(value);
      const key = rec.fullKey ?? slot.subarray(0, slot.length - 1);
      if (startLong && compareBytes(key, start) < 0) continue;
      if (endLong && compareBytes(key, end!) >= 0) break;
      yield { key, slot, rec };
    }
  }

  private *bucket(key: Uint8Array): Generator<IndexEntry> {
    for (const { key: slot, value } of this.index.range({ start: this.bucketStart(key), end: this.bucketEnd(key) })) {
      const rec = decodeIndex(value);
      assert(rec.fullKey !== undefined, 'bucket entry without its full key');
      yield { key: rec.fullKey, slot, rec };
    }
  }

  private renumber(key: Uint8Array, rec: IndexRecord, entries: IndexEntry[], pos: number): Uint8Array {
    const all: { key: Uint8Array; rec: IndexRecord }[] = entries.map((e) => ({ key: e.key, rec: e.rec }));
    all.splice(pos, 0, { key, rec: withKey(rec, key) });
    for (const e of entries) {
      this.index.remove(e.slot);
      this.graves.remove(e.slot);
    }
    const step = Math.floor(rankEnd / (all.length + 1));
    assert(step >= 2, 'bucket too large to renumber');
    let mine: Uint8Array | undefined;
    all.forEach((e, i) => {
      const slot = this.bucketSlot(e.key, step * (i + 1));
      this.putSlot(slot, e.rec);
      if (i === pos) mine = slot;
    });
    return mine!;
  }

  private bucketStart(key: Uint8Array): Uint8Array {
    return concatBytes(key.subarray(0, this.inlineBytesMax), Uint8Array.of(bucketTag));
  }

  private bucketEnd(key: Uint8Array): Uint8Array {
    return concatBytes(key.subarray(0, this.inlineBytesMax), Uint8Array.of(bucketTag + 1));
  }

  private bucketSlot(key: Uint8Array, rank: number): Uint8Array {
    const slot = new Uint8Array(this.inlineBytesMax + 1 + rankBytes);
    slot.set(key.subarray(0, this.inlineBytesMax), 0);
    slot[this.inlineBytesMax] = bucketTag;
    writeU64(slot, this.inlineBytesMax + 1, rank);
    return slot;
  }
}

function rankOf(slot: Uint8Array): number {
  return readU64(slot, slot.length - rankBytes);
}

function withKey(rec: IndexRecord, fullKey: Uint8Array | undefined): IndexRecord {
  const r: IndexRecord = { ...rec };
  if (fullKey === undefined) delete r.fullKey;
  else r.fullKey = fullKey;
  return r;
}

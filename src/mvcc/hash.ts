// Hashes for corruption checks. Every member applying the same writes (and compactions) holds the
// same tables, key ids included, so these agree across members at the same revision. They are
// CRC-32 (zlib's), not etcd's exact numbers: etcd hashes its bbolt file, which we do not have.
// Tablets of the sharded modes differ in ids between replicas: they compare hashRangeHistory.

import zlib from 'node:zlib';
import type { BinaryTable } from '../storage/index.js';
import { writeU32, writeU64 } from '../storage/index.js';
import type { KeyRange } from './key_range.js';
import type { Keyspace } from './keyspace.js';
import { parseHistoryKey } from './records.js';
import type { MvccView } from './view.js';

/** Keys alive now with their values and metadata, in key order. */
export function hashKeys(keyspace: Keyspace, view: MvccView): number {
  let h = 0;
  const meta = new Uint8Array(32);
  const dv = new DataView(meta.buffer);
  for (const e of keyspace.scan(new Uint8Array(0), undefined)) {
    const kv = view.kvAt(e, Number.MAX_SAFE_INTEGER, true);
    if (kv === undefined) continue;
    writeU64(meta, 0, kv.createRevision);
    writeU64(meta, 8, kv.modRevision);
    writeU64(meta, 16, kv.version);
    dv.setBigInt64(24, kv.lease);
    h = zlib.crc32(kv.key, h);
    h = zlib.crc32(meta, h);
    h = zlib.crc32(kv.value, h);
  }
  return h >>> 0;
}

/** Every stored revision at or below rev (what compaction kept, then everything since). */
export function hashHistory(history: BinaryTable, rev: number, compactRev: number): number {
  const c = new Uint8Array(8);
  writeU64(c, 0, compactRev);
  let h = zlib.crc32(c);
  for (const e of history.range()) {
    if (parseHistoryKey(e.key).main > rev) continue;
    h = zlib.crc32(e.key, h);
    h = zlib.crc32(e.value, h);
  }
  return h >>> 0;
}

/**
 * The history of the keys of r up to rev, for replicas of one region whose tablets differ in key
 * ids and in the other regions they host: for each key in key order, the key (with its length,
 * so no two histories run together), then each stored revision up to rev, oldest first, as
 * main, sub, the record's length and the record. A key with no revision up to rev adds nothing.
 * Worked example: k@5 put, k@7 deleted, j@6 put; hashRange(rev 6) covers j@6 then k@5.
 */
export function hashRangeHistory(keyspace: Keyspace, view: MvccView, r: KeyRange, rev: number): number {
  let h = 0;
  const keyHead = new Uint8Array(4);
  const revHead = new Uint8Array(16);
  for (const e of keyspace.scan(r.start, r.end)) {
    const revisions = view.historyOf(e.rec.id, rev);
    if (revisions.length === 0) continue;
    writeU32(keyHead, 0, e.key.length);
    h = zlib.crc32(keyHead, h);
    h = zlib.crc32(e.key, h);
    for (const x of revisions) {
      writeU64(revHead, 0, x.main);
      writeU32(revHead, 8, x.sub);
      writeU32(revHead, 12, x.value.length);
      h = zlib.crc32(revHead, h);
      h = zlib.crc32(x.value, h);
    }
  }
  return h >>> 0;
}

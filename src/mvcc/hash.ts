// Hashes for corruption checks. Every member applying the same writes (and compactions) holds the
// same tables, key ids included, so these agree across members at the same revision. They are
// CRC-32 (zlib's), not etcd's exact numbers: etcd hashes its bbolt file, which we do not have.

import zlib from 'node:zlib';
import type { BinaryTable } from '../storage/index.js';
import { writeU64 } from '../storage/index.js';
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

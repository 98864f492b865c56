// Reads of the MVCC tables at a revision: the key-values of a key range as of revision `rev`.
// The index answers for every key whose latest change is at or before rev (the usual case: reads
// at the current revision); older states come from the key's history, one seek per key.

import type { BinaryTable } from '../storage/index.js';
import { assert } from '../util/assert.js';
import type { KeyRange } from './key_range.js';
import type { IndexEntry, Keyspace } from './keyspace.js';
import { decodeHistory, historyKey, parseHistoryKey, subMax, type HistoryRecord } from './records.js';
import { emptyBytes, type KeyValue } from './types.js';

export class MvccView {
  constructor(
    readonly keyspace: Keyspace,
    readonly history: BinaryTable,
  ) {}

  /** The key-value of an index entry as of rev, or undefined if it did not exist then. */
  kvAt(e: IndexEntry, rev: number, withValue: boolean): KeyValue | undefined {
    const r = e.rec;
    if (r.modMain <= rev) {
      if (!r.alive) return undefined;
      return {
        key: e.key,
        createRevision: r.createRev,
        modRevision: r.modMain,
        version: r.version,
        value: withValue ? this.historyAt(r.id, r.modMain, r.modSub).value : emptyBytes,
        lease: r.lease,
      };
    }
    const h = this.latestAtOrBefore(r.id, rev, subMax);
    if (h === undefined || h.rec.tombstone) return undefined;
    return {
      key: e.key,
      createRevision: h.rec.createRev,
      modRevision: h.main,
      version: h.rec.version,
      value: withValue ? h.rec.value : emptyBytes,
      lease: h.rec.lease,
    };
  }

  existsAt(e: IndexEntry, rev: number): boolean {
    if (e.rec.modMain <= rev) return e.rec.alive;
    const h = this.latestAtOrBefore(e.rec.id, rev, subMax);
    return h !== undefined && !h.rec.tombstone;
  }

  /** The newest history record of key `id` at or before (main, sub). */
  latestAtOrBefore(id: number, main: number, sub: number): { main: number; sub: number; rec: HistoryRecord } | undefined {
    const e = this.history.first({ start: historyKey(id, main, sub), end: historyKey(id, 0, 0), reverse: true });
    if (e === undefined) return undefined;
    const dv = new DataView(e.key.buffer, e.key.byteOffset, e.key.byteLength);
    const m = dv.getUint32(8) * 0x100000000 + dv.getUint32(12);
    return { main: m, sub: dv.getUint32(16), rec: decodeHistory(e.value) };
  }

  /**
   * The history records of key `id` with main revision <= toRev (all when undefined), oldest
   * first, still encoded. Collected, so the caller may write to the tables afterwards.
   */
  historyOf(id: number, toRev?: number): Array<{ main: number; sub: number; value: Uint8Array }> {
    const out: Array<{ main: number; sub: number; value: Uint8Array }> = [];
    for (const e of this.history.range(historyBounds(id, toRev))) {
      const { main, sub } = parseHistoryKey(e.key);
      out.push({ main, sub, value: e.value });
    }
    return out;
  }

  /** The revisions historyOf would return, without reading the records. */
  revisionsOf(id: number, toRev?: number): Array<{ main: number; sub: number }> {
    const out: Array<{ main: number; sub: number }> = [];
    for (const k of this.history.keys(historyBounds(id, toRev))) {
      const { main, sub } = parseHistoryKey(k);
      out.push({ main, sub });
    }
    return out;
  }

  historyAt(id: number, main: number, sub: number): HistoryRecord {
    const v = this.history.get(historyKey(id, main, sub));
    assert(v !== undefined, `history of key ${id} misses revision ${main}.${sub}`);
    return decodeHistory(v);
  }

  /**
   * Alive keys of r at rev, in key order, at most `limit` (0 = all), and how many there are in all.
   * `latest`: rev is the newest revision, so the index alone answers and the total can be
   * counted natively once `limit` keys are in hand.
   */
  range(r: KeyRange, rev: number, limit: number, withValue: boolean, latest = false): { kvs: KeyValue[]; count: number } {
    const kvs: KeyValue[] = [];
    let count = 0;
    for (const e of this.keyspace.scan(r.start, r.end)) {
      if (limit > 0 && kvs.length >= limit) {
        if (latest) {
          const total = this.keyspace.countLive(r.start, r.end);
          if (total !== undefined) return { kvs, count: total };
        }
        if (this.existsAt(e, rev)) count++;
        continue;
      }
      const kv = this.kvAt(e, rev, withValue);
      if (kv === undefined) continue;
      kvs.push(kv);
      count++;
    }
    return { kvs, count };
  }

  count(r: KeyRange, rev: number, latest = false): number {
    if (latest) {
      const total = this.keyspace.countLive(r.start, r.end);
      if (total !== undefined) return total;
    }
    let n = 0;
    for (const e of this.keyspace.scan(r.start, r.end)) if (this.existsAt(e, rev)) n++;
    return n;
  }

  /** Alive keys of r at rev, streamed (for compares and deletes over big ranges). */
  *each(r: KeyRange, rev: number, withValue: boolean): Generator<{ entry: IndexEntry; kv: KeyValue }> {
    for (const e of this.keyspace.scan(r.start, r.end)) {
      const kv = this.kvAt(e, rev, withValue);
      if (kv !== undefined) yield { entry: e, kv };
    }
  }
}

function historyBounds(id: number, toRev: number | undefined): { start: Uint8Array; end: Uint8Array } {
  return { start: historyKey(id, 0, 0), end: toRev === undefined ? historyKey(id + 1, 0, 0) : historyKey(id, toRev + 1, 0) };
}

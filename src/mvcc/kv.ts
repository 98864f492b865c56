// The MVCC store's contract (etcd's mvcc/kv.go in spirit: interfaces only). The implementation
// keeps history in LMDB, not in an in-memory index, so memory does not grow with the data set.

import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './types.js';

/** What MVCC needs to know about leases (implemented by the Lessor). */
export interface LeaseHooks {
  exists(id: bigint): boolean;
  /** key was put with lease id (replacing any earlier lease, which detach was told about). */
  attach(id: bigint, key: Uint8Array): void;
  detach(id: bigint, key: Uint8Array): void;
}

export interface HashKVResult {
  hash: number;
  compactRevision: number;
  revision: number;
}

/**
 * Revisions: the store starts at revision 1 with no keys (as etcd). Every put, every delete that
 * deletes something and every txn that writes uses the next main revision; the writes inside one
 * txn share it, with sub-revisions 0, 1, 2 ... in order.
 *
 * Writes (put, deleteRange, txn, compact) are called only by the apply loop, in log order, inside
 * one storage write transaction (see src/storage); given the same sequence of writes every
 * member reaches the same state and the same hash. They validate first and throw EtcdError
 * (KeyNotFound, LeaseNotFound, Compacted, FutureRev ...) before changing anything.
 *
 * Explicit revisions (`atRev`, sharded modes only; the unsharded mode never passes it): the write
 * runs as if the store stood at revision atRev - 1, so it writes at main revision atRev, its
 * compares and reads see the state as of atRev - 1, and a write that changes nothing reports
 * atRev - 1. Afterwards currentRevision() is max(before, atRev): the revisions of one tablet are
 * sparse (they come from PD's timestamp oracle) and regions sharing it apply them interleaved.
 * Worked example, region A on [a, m) and region B on [m, ∞) share a tablet:
 *
 *   apply order   write             currentRevision   key generations after
 *   1             A put a @100      100               a: 100
 *   2             B put m @95       100               m: 95
 *   3             B put m @101      101               m: 95, 101
 *   4             A put a @103      103               a: 100, 103
 *   range(m, revision 97) -> m@95; range(a, revision 101) -> a@100.
 *
 * The caller guarantees (assertions, not errors): atRev is above the revision of every key it
 * writes (per-key histories stay ordered), above compactRevision(), and no other write on this
 * tablet used the same main revision (the revs table is keyed by revision). Reads at a revision
 * the region has not yet resolved, and reads below a region's own compaction (compactRange does
 * not move compactRevision()), are the region's to refuse: the store answers from what it holds.
 */
export interface KvStore {
  currentRevision(): number;
  /** The revision of the last compaction (0 if none). Reads below it fail with Compacted. */
  compactRevision(): number;
  /** Reads at req.revision (0 = current). Throws EtcdError Compacted or FutureRev. */
  range(req: RangeRequest): RangeResponse;
  put(req: PutRequest, atRev?: number): PutResponse;
  deleteRange(req: DeleteRangeRequest, atRev?: number): DeleteRangeResponse;
  /** Txn: compares, then success or failure ops; ranges inside see the txn's own writes. */
  txn(req: TxnRequest, atRev?: number): TxnResponse;
  /** Drops history below rev (keeping each key's newest version at or below it). */
  compact(rev: number): void;
  /**
   * Events of every write applied since the last call, in apply order, each with prevKv if any.
   * (With explicit revisions that is revision order per region, not across the tablet.)
   */
  drainEvents(): Event[];
  /**
   * History for watchers: events with revision >= fromRev on keys in [key, rangeEnd) (RangeRequest
   * encoding), in revision order, with prevKv filled. At most `limit` events, but never splitting
   * one revision. Throws Compacted if fromRev <= compactRevision().
   */
  eventsSince(key: Uint8Array, rangeEnd: Uint8Array, fromRev: number, limit: number): Event[];
  /** Hash of all keys and values (etcd's Maintenance.Hash; same on every member at the same revision). */
  hash(): number;
  /** Hash of the MVCC history up to rev (0 = current), for `etcdctl endpoint hashkv`. */
  hashKV(rev: number): HashKVResult;
  /** Number of keys currently alive (for etcd_debugging_mvcc_keys_total). */
  keyCount(): number;
}

/** How splitKeys cuts a span: about this many bytes (see approximateBytes) or index keys a piece. */
export type SplitTarget = number | { keys: number };

/**
 * One tablet serving many regions (the sharded modes): a region is a span [start, end) of the
 * tablet's keys, `end` empty = unbounded, `start` empty = from the first key. Spans of regions on
 * one tablet do not overlap; a split or merge changes spans, never data.
 *
 * Nothing here depends on key ids (they differ between replicas): hashes, split keys and images
 * are functions of the keys and their histories only. Writes (compactRange, dropRange,
 * importRange) run in the caller's storage write when there is one (the lane's apply), in one
 * of their own otherwise, and emit no events: watchers of a region are the region's to reset.
 */
export interface RangeTablet {
  /** Keys alive in [start, end) at rev (0 = current). */
  countRange(start: Uint8Array, end: Uint8Array, rev?: number): number;
  /**
   * Estimated bytes the span's keys and histories take in the tables (index, history, revs),
   * for split checks and PD heartbeats. Costs one native count of the span's index entries plus
   * reading a bounded sample of keys' histories; exact for small spans. See range_size.ts.
   */
  approximateBytes(start: Uint8Array, end: Uint8Array): number;
  /**
   * Keys to split [start, end) at, ascending, so that the pieces hold about `target` each (the
   * bytes approximateBytes counts, or index keys). Each is a key the tablet holds (alive, or
   * deleted with history kept), inside the span and never `start`; [] if no split is needed.
   * Reads every history of the span: call it when approximateBytes says a split is due.
   */
  splitKeys(start: Uint8Array, end: Uint8Array, target: SplitTarget): Uint8Array[];
  /**
   * Hash of the span's history up to rev (0 = current): every stored revision of every key in
   * key order, independent of key ids and of other spans, so replicas of a region agree.
   * Throws Compacted / FutureRev as hashKV does.
   */
  hashRange(start: Uint8Array, end: Uint8Array, rev: number): number;
  /**
   * Compaction of the span's keys only: compact(rev)'s effect on them, other keys untouched and
   * compactRevision() unchanged. Idempotent (compacting at or below an earlier revision does
   * nothing). Throws FutureRev if rev > currentRevision().
   */
  compactRange(rev: number, start: Uint8Array, end: Uint8Array): void;
  /** Removes every key of the span with its whole history (a peer leaving this store). */
  dropRange(start: Uint8Array, end: Uint8Array): void;
  /**
   * A logical image of the span: every key with its index fields and full history, and which
   * revisions are indexed for watchers; no key ids. Chunks of at most chunkBytesMax (default
   * rangeImageChunkBytesMax) bytes, to be handed to importRange in order. Reads happen as chunks
   * are pulled: take them all before the next write to the span (e.g. in one synchronous turn)
   * for an image of one point in the log.
   */
  exportRange(start: Uint8Array, end: Uint8Array, opts?: { chunkBytesMax?: number }): Iterable<Uint8Array>;
  /**
   * Replaces the span's contents with an image of the same span: dropRange, then the image's keys
   * with fresh tablet-local ids, revs, tombstones and counts rebuilt; currentRevision() rises to
   * the image's newest revision if below. Throws RangeImageError on a malformed image (in the
   * caller's write, which then rolls back).
   */
  importRange(start: Uint8Array, end: Uint8Array, chunks: Iterable<Uint8Array>): void;
}

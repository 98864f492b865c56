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
 */
export interface KvStore {
  currentRevision(): number;
  /** The revision of the last compaction (0 if none). Reads below it fail with Compacted. */
  compactRevision(): number;
  /** Reads at req.revision (0 = current). Throws EtcdError Compacted or FutureRev. */
  range(req: RangeRequest): RangeResponse;
  put(req: PutRequest): PutResponse;
  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse;
  /** Txn: compares, then success or failure ops; ranges inside see the txn's own writes. */
  txn(req: TxnRequest): TxnResponse;
  /** Drops history below rev (keeping each key's newest version at or below it). */
  compact(rev: number): void;
  /** Events of every write applied since the last call, in order, each with prevKv if any. */
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

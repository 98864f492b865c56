// etcd's data model and KV requests as plain values, shared by MVCC, the apply loop, the API
// (gRPC and JSON gateway) and the router. Field meanings are etcd's (api/etcdserverpb); names are
// camelCase here and mapped to the wire names only in src/api.
//
// Numbers: revisions, versions, counts and limits are plain numbers (etcd's int64, kept below
// 2^53). Lease IDs are int64 that reach ~1.8e18, so they are bigint (0n = no lease).

export interface KeyValue {
  key: Uint8Array;
  /** Revision of the last creation of this key (0 for a key that does not exist). */
  createRevision: number;
  /** Revision of the last modification. */
  modRevision: number;
  /** Number of modifications since creation; a delete resets it to 0. */
  version: number;
  value: Uint8Array;
  /** The lease attached, 0n if none. */
  lease: bigint;
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  type: EventType;
  /**
   * PUT: the key-value after the put. DELETE: `key` and `modRevision` (the delete's revision);
   * other fields zero, as etcd sends them.
   */
  kv: KeyValue;
  /** The key-value before this event, when the watcher asked for it and it exists. */
  prevKv?: KeyValue;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/**
 * A key range, as etcd encodes it: rangeEnd empty = the single key `key`; rangeEnd = [0] = every
 * key >= key ("from key"); otherwise [key, rangeEnd). key = [0] with rangeEnd = [0] = all keys.
 */
export interface RangeRequest {
  key: Uint8Array;
  rangeEnd: Uint8Array;
  /** 0 = no limit. */
  limit: number;
  /** 0 = current revision. */
  revision: number;
  sortOrder: SortOrder;
  sortTarget: SortTarget;
  serializable: boolean;
  keysOnly: boolean;
  countOnly: boolean;
  /** 0 = no bound. */
  minModRevision: number;
  maxModRevision: number;
  minCreateRevision: number;
  maxCreateRevision: number;
}

export interface RangeResponse {
  kvs: KeyValue[];
  /** More keys match than were returned (limit). */
  more: boolean;
  /** Number of keys in the range (before limit). */
  count: number;
  /** The store's revision the header reports. */
  revision: number;
}

export interface PutRequest {
  key: Uint8Array;
  value: Uint8Array;
  lease: bigint;
  prevKv: boolean;
  ignoreValue: boolean;
  ignoreLease: boolean;
}

export interface PutResponse {
  prevKv?: KeyValue;
  revision: number;
}

export interface DeleteRangeRequest {
  key: Uint8Array;
  rangeEnd: Uint8Array;
  prevKv: boolean;
}

export interface DeleteRangeResponse {
  deleted: number;
  prevKvs: KeyValue[];
  revision: number;
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Uint8Array;
  /** Compare every key in [key, rangeEnd) (same encoding as RangeRequest). */
  rangeEnd: Uint8Array;
  /** The operand, by target: VERSION version, CREATE createRevision, MOD modRevision, VALUE value, LEASE lease. */
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Uint8Array;
  lease?: bigint;
}

export type RequestOp =
  | { requestRange: RangeRequest }
  | { requestPut: PutRequest }
  | { requestDeleteRange: DeleteRangeRequest }
  | { requestTxn: TxnRequest };

export type ResponseOp =
  | { responseRange: RangeResponse }
  | { responsePut: PutResponse }
  | { responseDeleteRange: DeleteRangeResponse }
  | { responseTxn: TxnResponse };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  succeeded: boolean;
  responses: ResponseOp[];
  revision: number;
}

export interface CompactionRequest {
  revision: number;
  physical: boolean;
}

/** etcd's empty-byte-string conventions. */
export const emptyBytes = new Uint8Array(0);
export const zeroByte = new Uint8Array([0]);

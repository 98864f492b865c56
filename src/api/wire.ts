// Conversions between decoded wire messages (proto field names, int64 as decimal strings, bytes
// as Buffers, enums as names) and the core's types (src/mvcc/types.ts, src/api/backend.ts).
// Requests arrive here already validated for shape by validate.ts.

import type {
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
} from '../mvcc/types.js';
import type { ResponseHeader } from './backend.js';
import type { Msg } from './service.js';

const noBytes = Buffer.alloc(0);

export function bytesOf(m: Msg, field: string): Uint8Array {
  const v = m[field];
  return v instanceof Uint8Array ? v : noBytes;
}

/** An int64 that is a count or revision (kept below 2^53 by the core). */
export function numberOf(m: Msg, field: string): number {
  const v = m[field];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}

/** An int64 that can pass 2^53 (lease, member and cluster IDs). */
export function bigintOf(m: Msg, field: string): bigint {
  const v = m[field];
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && v !== '') return BigInt(v);
  return 0n;
}

export function boolOf(m: Msg, field: string): boolean {
  return m[field] === true;
}

export function enumOf<T extends string>(m: Msg, field: string, zero: T): T {
  const v = m[field];
  return typeof v === 'string' ? (v as T) : zero;
}

export function messageOf(m: Msg, field: string): Msg | undefined {
  const v = m[field];
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) ? (v as Msg) : undefined;
}

export function listOf(m: Msg, field: string): Msg[] {
  const v = m[field];
  return Array.isArray(v) ? (v as Msg[]) : [];
}

/** Wraps bytes as a Buffer without copying (protobufjs and the JSON codec both take Buffers). */
export function buf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

// ---- requests

export function rangeRequestOf(m: Msg): RangeRequest {
  return {
    key: bytesOf(m, 'key'),
    rangeEnd: bytesOf(m, 'range_end'),
    limit: numberOf(m, 'limit'),
    revision: numberOf(m, 'revision'),
    sortOrder: enumOf<SortOrder>(m, 'sort_order', 'NONE'),
    sortTarget: enumOf<SortTarget>(m, 'sort_target', 'KEY'),
    serializable: boolOf(m, 'serializable'),
    keysOnly: boolOf(m, 'keys_only'),
    countOnly: boolOf(m, 'count_only'),
    minModRevision: numberOf(m, 'min_mod_revision'),
    maxModRevision: numberOf(m, 'max_mod_revision'),
    minCreateRevision: numberOf(m, 'min_create_revision'),
    maxCreateRevision: numberOf(m, 'max_create_revision'),
  };
}

export function putRequestOf(m: Msg): PutRequest {
  return {
    key: bytesOf(m, 'key'),
    value: bytesOf(m, 'value'),
    lease: bigintOf(m, 'lease'),
    prevKv: boolOf(m, 'prev_kv'),
    ignoreValue: boolOf(m, 'ignore_value'),
    ignoreLease: boolOf(m, 'ignore_lease'),
  };
}

export function deleteRangeRequestOf(m: Msg): DeleteRangeRequest {
  return { key: bytesOf(m, 'key'), rangeEnd: bytesOf(m, 'range_end'), prevKv: boolOf(m, 'prev_kv') };
}

/**
 * NB: like etcd, the operand is read by `target`, not by which oneof member is set: a compare
 * of VERSION without a `version` compares with 0.
 */
export function compareOf(m: Msg): Compare {
  const target = enumOf<CompareTarget>(m, 'target', 'VERSION');
  const c: Compare = {
    result: enumOf<CompareResult>(m, 'result', 'EQUAL'),
    target,
    key: bytesOf(m, 'key'),
    rangeEnd: bytesOf(m, 'range_end'),
  };
  switch (target) {
    case 'VERSION':
      c.version = numberOf(m, 'version');
      break;
    case 'CREATE':
      c.createRevision = numberOf(m, 'create_revision');
      break;
    case 'MOD':
      c.modRevision = numberOf(m, 'mod_revision');
      break;
    case 'VALUE':
      c.value = bytesOf(m, 'value');
      break;
    case 'LEASE':
      c.lease = bigintOf(m, 'lease');
      break;
  }
  return c;
}

/** A RequestOp with none of its oneof set is an empty range in etcd; we treat it as such. */
export function requestOpOf(m: Msg): RequestOp {
  const range = messageOf(m, 'request_range');
  if (range) return { requestRange: rangeRequestOf(range) };
  const put = messageOf(m, 'request_put');
  if (put) return { requestPut: putRequestOf(put) };
  const del = messageOf(m, 'request_delete_range');
  if (del) return { requestDeleteRange: deleteRangeRequestOf(del) };
  const txn = messageOf(m, 'request_txn');
  if (txn) return { requestTxn: txnRequestOf(txn) };
  return { requestRange: rangeRequestOf({}) };
}

export function txnRequestOf(m: Msg): TxnRequest {
  return {
    compare: listOf(m, 'compare').map(compareOf),
    success: listOf(m, 'success').map(requestOpOf),
    failure: listOf(m, 'failure').map(requestOpOf),
  };
}

// ---- responses
//
// 64-bit fields go out as numbers when they fit in 2^53 (revisions, counts, versions) and as
// Int64 otherwise (member, cluster and lease IDs): protobufjs then builds its Long from bits
// (Long.fromValue reads low/high) instead of parsing decimal text, which was a tenth of the CPU
// of a watch fan-out; the JSON gateway prints either with String(), as the decimal string.

/** A 64-bit integer beyond 2^53: its two 32-bit halves for protobufjs, its decimal text for JSON. */
export class Int64 {
  readonly low: number;
  readonly high: number;
  private readonly text: string;

  constructor(
    v: bigint,
    readonly unsigned: boolean,
  ) {
    const bits = BigInt.asUintN(64, v);
    this.low = Number(bits & 0xffffffffn) | 0;
    this.high = Number(bits >> 32n) | 0;
    this.text = v.toString();
  }

  toString(): string {
    return this.text;
  }
}

const safeMax = BigInt(Number.MAX_SAFE_INTEGER);
const recentIds = new Map<bigint, Int64>();
const recentIdsMax = 256;

/** A bigint field (an ID) ready for either encoder; IDs repeat (every header), so they are kept. */
export function int64Of(v: bigint, unsigned = false): number | Int64 {
  if (v <= safeMax && v >= -safeMax) return Number(v);
  let x = recentIds.get(v);
  if (x === undefined || x.unsigned !== unsigned) {
    if (recentIds.size >= recentIdsMax) recentIds.clear();
    x = new Int64(v, unsigned);
    recentIds.set(v, x);
  }
  return x;
}

export function headerMsg(h: ResponseHeader): Msg {
  return {
    cluster_id: int64Of(h.clusterId, true),
    member_id: int64Of(h.memberId, true),
    revision: h.revision,
    raft_term: h.raftTerm,
  };
}

export function keyValueMsg(kv: KeyValue): Msg {
  return {
    key: buf(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: buf(kv.value),
    lease: int64Of(kv.lease),
  };
}

export function eventMsg(e: Event): Msg {
  const m: Msg = { type: e.type, kv: keyValueMsg(e.kv) };
  if (e.prevKv) m.prev_kv = keyValueMsg(e.prevKv);
  return m;
}

export function rangeResponseMsg(r: RangeResponse, header: Msg): Msg {
  return { header, kvs: r.kvs.map(keyValueMsg), more: r.more, count: r.count };
}

export function putResponseMsg(r: PutResponse, header: Msg): Msg {
  const m: Msg = { header };
  if (r.prevKv) m.prev_kv = keyValueMsg(r.prevKv);
  return m;
}

export function deleteRangeResponseMsg(r: DeleteRangeResponse, header: Msg): Msg {
  return { header, deleted: r.deleted, prev_kvs: r.prevKvs.map(keyValueMsg) };
}

/** etcd fills only the revision in the headers of a txn's inner responses. */
export function txnResponseMsg(r: TxnResponse, header: Msg): Msg {
  return { header, succeeded: r.succeeded, responses: r.responses.map(responseOpMsg) };
}

function responseOpMsg(op: ResponseOp): Msg {
  if ('responseRange' in op) {
    const r = op.responseRange;
    return { response_range: rangeResponseMsg(r, { revision: r.revision }) };
  }
  if ('responsePut' in op) {
    const r = op.responsePut;
    return { response_put: putResponseMsg(r, { revision: r.revision }) };
  }
  if ('responseDeleteRange' in op) {
    const r = op.responseDeleteRange;
    return { response_delete_range: deleteRangeResponseMsg(r, { revision: r.revision }) };
  }
  const r = op.responseTxn;
  return { response_txn: txnResponseMsg(r, { revision: r.revision }) };
}

/** The smallest key, which etcd uses where a request gives none. */
export const zeroKey = Buffer.from([0]);

// etcd's request checks that happen before a request reaches the core (etcd's v3rpc/key.go),
// applied to decoded wire messages. Each throws the EtcdError etcd answers with.

import { EtcdError } from '../mvcc/errors.js';
import { apiError } from './errors.js';
import type { Msg } from './service.js';
import { bigintOf, bytesOf, listOf, messageOf } from './wire.js';

export interface Limits {
  /** Largest encoded request that may be proposed (etcd's --max-request-bytes). */
  requestBytesMax: number;
  /** Most operations in one branch of a txn (etcd's --max-txn-ops). */
  txnOpsMax: number;
}

/** etcd's defaults: 1.5 MiB and 128. */
export const defaultLimits: Limits = { requestBytesMax: 1.5 * 1024 * 1024, txnOpsMax: 128 };

/**
 * gRPC framing and headers may add this much above requestBytesMax before the transport refuses a
 * message, so an oversize request still gets etcd's own error (etcd's grpcOverheadBytes).
 */
export const grpcOverheadBytes = 512 * 1024;

const sortOrders = new Set(['NONE', 'ASCEND', 'DESCEND']);
const sortTargets = new Set(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);

function checkKey(m: Msg): void {
  if (bytesOf(m, 'key').length === 0) throw new EtcdError('KeyNotProvided');
}

/** Requests that go through consensus are limited in size; reads are not (as in etcd). */
export function checkProposalSize(requestBytes: number, limits: Limits): void {
  if (requestBytes > limits.requestBytesMax) throw new EtcdError('RequestTooLarge');
}

export function checkRange(m: Msg): void {
  checkKey(m);
  if (!sortOrders.has(String(m.sort_order)) || !sortTargets.has(String(m.sort_target))) {
    throw apiError('InvalidSortOption');
  }
}

export function checkPut(m: Msg): void {
  checkKey(m);
  if (m.ignore_value === true && bytesOf(m, 'value').length !== 0) {
    throw apiError('ValueProvided');
  }
  if (m.ignore_lease === true && bigintOf(m, 'lease') !== 0n) {
    throw apiError('LeaseProvided');
  }
}

export function checkDeleteRange(m: Msg): void {
  checkKey(m);
}

/**
 * The limit is per list, as in etcd: with txnOpsMax 128, 128 compares + 128 success ops + 128
 * failure ops pass, 129 puts in `success` do not. A nested txn is checked against the same limit.
 */
export function checkTxn(m: Msg, limits: Limits): void {
  const compare = listOf(m, 'compare');
  const success = listOf(m, 'success');
  const failure = listOf(m, 'failure');
  if (Math.max(compare.length, success.length, failure.length) > limits.txnOpsMax) {
    throw new EtcdError('TooManyOps');
  }
  for (const c of compare) checkKey(c);
  for (const op of success) checkRequestOp(op, limits);
  for (const op of failure) checkRequestOp(op, limits);
}

function checkRequestOp(op: Msg, limits: Limits): void {
  const range = messageOf(op, 'request_range');
  if (range) return checkRange(range);
  const put = messageOf(op, 'request_put');
  if (put) return checkPut(put);
  const del = messageOf(op, 'request_delete_range');
  if (del) return checkDeleteRange(del);
  const txn = messageOf(op, 'request_txn');
  if (txn) return checkTxn(txn, limits);
}

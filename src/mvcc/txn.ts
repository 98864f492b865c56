// Txn as etcd 3.4 runs it (etcdserver/apply.go Txn, applyTxn, compareToPath, checkRequests):
//   1. shape: every op of both branches, nested ones too (gRPC layer), and duplicate keys;
//   2. all compares, nested ones too, are evaluated up front against the state before the txn,
//      giving a path (one boolean per txn on the chosen branches, depth first);
//   3. on the chosen path: puts' preconditions (ignore_value/ignore_lease need the key; the lease
//      must exist) if the txn can write, ranges' revisions (not future, not compacted);
//   4. the ops run in order; ranges see the writes before them. Reads in a txn see revision
//      beginRev until the txn writes, beginRev + 1 after.
// Responses: a put reports beginRev + 1; a delete beginRev + 1 once the txn has written; a range
// the revision it read; a nested txn's own revision stays 0, as in etcd.

import { applyCompare } from './compare.js';
import { EtcdError } from './errors.js';
import { checkIntervals } from './intervals.js';
import { checkLease, checkPutNeedsKey, checkPutShape, deleteRange, put, range, type OpContext } from './ops.js';
import type { RequestOp, ResponseOp, TxnRequest, TxnResponse } from './types.js';
import type { RevisionWriter } from './writer.js';

export function checkTxnShape(req: TxnRequest): void {
  for (const op of [...req.success, ...req.failure]) {
    if ('requestPut' in op) checkPutShape(op.requestPut);
    else if ('requestTxn' in op) checkTxnShape(op.requestTxn);
  }
  checkIntervals(req.success);
  checkIntervals(req.failure);
}

export function compareToPath(ctx: OpContext, rev: number, req: TxnRequest): boolean[] {
  const ok = req.compare.every((c) => applyCompare(ctx.view, rev, c));
  const path = [ok];
  for (const op of ok ? req.success : req.failure) {
    if ('requestTxn' in op) path.push(...compareToPath(ctx, rev, op.requestTxn));
  }
  return path;
}

function isReadOnly(req: TxnRequest): boolean {
  return [...req.success, ...req.failure].every((op) => 'requestRange' in op);
}

/** Checks the ops on the path; returns how many path entries this txn used. */
function checkRequests(ctx: OpContext, w: RevisionWriter, req: TxnRequest, path: boolean[], at: number, writes: boolean): number {
  const ops = path[at] ? req.success : req.failure;
  let used = 1;
  for (const op of ops) {
    if ('requestTxn' in op) {
      used += checkRequests(ctx, w, op.requestTxn, path, at + used, writes);
    } else if ('requestPut' in op && writes) {
      checkPutNeedsKey(w, op.requestPut);
      checkLease(ctx, op.requestPut.lease);
    } else if ('requestRange' in op) {
      const r = op.requestRange.revision;
      if (r > w.beginRev) throw new EtcdError('FutureRev');
      if (r !== 0 && r < ctx.state.compactRev) throw new EtcdError('Compacted');
    }
  }
  return used;
}

export function txn(ctx: OpContext, w: RevisionWriter, req: TxnRequest): TxnResponse {
  checkTxnShape(req);
  const path = compareToPath(ctx, w.beginRev, req);
  checkRequests(ctx, w, req, path, 0, !isReadOnly(req));
  const { resp } = applyTxn(ctx, w, req, path, 0);
  return { ...resp, revision: w.readRev };
}

function applyTxn(ctx: OpContext, w: RevisionWriter, req: TxnRequest, path: boolean[], at: number): { resp: TxnResponse; used: number } {
  const succeeded = path[at]!;
  const responses: ResponseOp[] = [];
  let used = 1;
  for (const op of succeeded ? req.success : req.failure) {
    const r = applyOp(ctx, w, op, path, at + used);
    used += r.used;
    responses.push(r.resp);
  }
  return { resp: { succeeded, responses, revision: 0 }, used };
}

function applyOp(ctx: OpContext, w: RevisionWriter, op: RequestOp, path: boolean[], at: number): { resp: ResponseOp; used: number } {
  if ('requestRange' in op) return { resp: { responseRange: range(ctx, op.requestRange, w.readRev) }, used: 0 };
  if ('requestPut' in op) return { resp: { responsePut: put(w, op.requestPut) }, used: 0 };
  if ('requestDeleteRange' in op) return { resp: { responseDeleteRange: deleteRange(ctx, w, op.requestDeleteRange) }, used: 0 };
  const r = applyTxn(ctx, w, op.requestTxn, path, at);
  return { resp: { responseTxn: r.resp }, used: r.used };
}

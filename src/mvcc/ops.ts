// Put, DeleteRange and Range as etcd 3.4's applier runs them (etcdserver/apply.go), on top of a
// RevisionWriter; used alone and inside txns. Checks that can fail run before any write.

import { EtcdError } from './errors.js';
import { keyRange } from './key_range.js';
import type { LeaseHooks } from './kv.js';
import { rangeKeys } from './range.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
} from './types.js';
import type { MvccView } from './view.js';
import type { MvccState, RevisionWriter } from './writer.js';

export interface OpContext {
  view: MvccView;
  state: MvccState;
  leases: LeaseHooks | undefined;
}

/**
 * The request's shape, as etcd's gRPC layer checks it (v3rpc/key.go checkPutRequest): ignore_value
 * with a value and ignore_lease with a lease are refused with etcd's InvalidArgument messages.
 */
export function checkPutShape(req: PutRequest): void {
  if (req.key.length === 0) throw new EtcdError('KeyNotProvided');
  if (req.ignoreValue && req.value.length !== 0) throw new EtcdError('InvalidArgument', 'etcdserver: value is provided');
  if (req.ignoreLease && req.lease !== 0n) throw new EtcdError('InvalidArgument', 'etcdserver: lease is provided');
}

/** ignore_value / ignore_lease need the key to exist (checked against the state before the write). */
export function checkPutNeedsKey(w: RevisionWriter, req: PutRequest): void {
  if ((req.ignoreValue || req.ignoreLease) && w.current(req.key) === undefined) throw new EtcdError('KeyNotFound');
}

export function checkLease(ctx: OpContext, lease: bigint): void {
  if (lease !== 0n && ctx.leases !== undefined && !ctx.leases.exists(lease)) throw new EtcdError('LeaseNotFound');
}

/** A Put on its own: the lease, then the key (etcd's order), then the write. */
export function putAlone(ctx: OpContext, w: RevisionWriter, req: PutRequest): PutResponse {
  checkPutShape(req);
  checkLease(ctx, req.lease);
  checkPutNeedsKey(w, req);
  return put(w, req);
}

/** The write of a Put whose checks passed. */
export function put(w: RevisionWriter, req: PutRequest): PutResponse {
  const cur = req.ignoreValue || req.ignoreLease || req.prevKv ? w.current(req.key)?.kv : undefined;
  if ((req.ignoreValue || req.ignoreLease) && cur === undefined) throw new EtcdError('KeyNotFound');
  const value = req.ignoreValue ? cur!.value : req.value;
  const lease = req.ignoreLease ? cur!.lease : req.lease;
  w.put(req.key, value, lease);
  return req.prevKv && cur !== undefined ? { prevKv: cur, revision: w.main } : { revision: w.main };
}

export function deleteRange(ctx: OpContext, w: RevisionWriter, req: DeleteRangeRequest): DeleteRangeResponse {
  // Collect first: the index must not change under an open scan.
  const victims = [...ctx.view.each(keyRange(req.key, req.rangeEnd), Number.MAX_SAFE_INTEGER, true)];
  for (const { entry, kv } of victims) w.delete(entry, kv);
  const prevKvs: KeyValue[] = req.prevKv ? victims.map((v) => v.kv) : [];
  return { deleted: victims.length, prevKvs, revision: w.readRev };
}

export function range(ctx: OpContext, req: RangeRequest, readRev: number): RangeResponse {
  // ctx.state.rev moves only after a write finishes: until then readRev may be the newer one.
  return rangeKeys(ctx.view, req, readRev, ctx.state.compactRev, Math.max(readRev, ctx.state.rev));
}

// Apply: a committed RaftRequest changes MVCC and the lessor, identically on every member.
// Called by the Ready loop inside the storage write transaction that also persists the Raft
// state, so what is applied and the applied index are durable together.
//
// Validation failures (KeyNotFound for ignore_value on a missing key, LeaseNotFound ...) are
// results, not crashes: MVCC and the lessor throw EtcdError before changing anything, and the
// proposer hands that error to its client. Every member reaches the same verdict.

import type { AlarmMember, AlarmType } from '../../src/api/backend.js';
import { EtcdError } from '../../src/mvcc/errors.js';
import type { KvStore } from '../../src/mvcc/kv.js';
import type { RequestOp, TxnRequest } from '../../src/mvcc/types.js';
import { assertNever } from '../../src/util/assert.js';
import type { RaftRequest } from './requests.js';

/** What applying needs of the lessor's replicated half. */
export interface ReplicatedLeases {
  grant(id: bigint, ttl: number): { id: bigint; ttl: number };
  /** Removes the lease and returns the keys that were attached to it. Throws LeaseNotFound. */
  revoke(id: bigint): Uint8Array[];
}

/** Member attributes published through the log. */
export interface MemberDirectory {
  publish(memberId: bigint, name: string, clientURLs: string[]): void;
}

/** The cluster's alarms, replicated: every member holds the same set. */
export interface AlarmStore {
  /** Raises the alarm (again) and returns it. */
  activate(memberId: bigint, alarm: AlarmType): AlarmMember;
  /** Clears the alarm; undefined if it was not raised. */
  deactivate(memberId: bigint, alarm: AlarmType): AlarmMember | undefined;
  /** Every raised alarm, by alarm type then member ID. */
  list(): AlarmMember[];
  /** True if any member raised this alarm. */
  raised(alarm: AlarmType): boolean;
}

/** Keep-alives that came through the log: only the leader's deadlines move. */
export interface LeaseRenewal {
  renewIfLeader(id: bigint): number;
}

export type ApplyOutcome = { ok: true; value: unknown } | { ok: false; error: EtcdError };

export class Applier {
  constructor(
    private readonly kv: KvStore,
    private readonly leases: ReplicatedLeases,
    private readonly members: MemberDirectory,
    private readonly renewal: LeaseRenewal,
    private readonly alarms: AlarmStore,
  ) {}

  apply(r: RaftRequest): ApplyOutcome {
    try {
      return { ok: true, value: this.applyOrThrow(r) };
    } catch (err) {
      if (err instanceof EtcdError) return { ok: false, error: err };
      throw err;
    }
  }

  private applyOrThrow(r: RaftRequest): unknown {
    // While NOSPACE is raised, as in etcd: nothing that could grow the database (deletes and
    // compactions go on, so space can be reclaimed). The alarm is replicated: every member agrees.
    if (this.alarms.raised('NOSPACE') && grows(r)) throw new EtcdError('NoSpace');
    switch (r.op) {
      case 'put':
        return this.kv.put(r.req);
      case 'deleteRange':
        return this.kv.deleteRange(r.req);
      case 'txn':
        return this.kv.txn(r.req);
      case 'compact':
        this.kv.compact(r.req.revision);
        return { revision: this.kv.currentRevision() };
      case 'leaseGrant':
        return this.leases.grant(r.id, r.ttl);
      case 'leaseRevoke': {
        const keys = this.leases.revoke(r.id);
        // All attached keys go in one revision, as etcd deletes them in one transaction.
        if (keys.length > 0) {
          const success: RequestOp[] = keys.map((key) => ({
            requestDeleteRange: { key, rangeEnd: new Uint8Array(0), prevKv: false },
          }));
          this.kv.txn({ compare: [], success, failure: [] });
        }
        return { revision: this.kv.currentRevision() };
      }
      case 'leaseKeepAlive':
        return { id: r.id, ttl: this.renewal.renewIfLeader(r.id) };
      case 'publish':
        this.members.publish(r.memberId, r.name, r.clientURLs);
        return {};
      case 'alarm':
        if (r.action === 'ACTIVATE') return [this.alarms.activate(r.memberId, r.alarm)];
        return [this.alarms.deactivate(r.memberId, r.alarm)].filter((a) => a !== undefined);
      default:
        return assertNever(r, 'raft request');
    }
  }
}

/** Requests refused while NOSPACE is raised: puts, grants, and transactions that write. */
function grows(r: RaftRequest): boolean {
  return r.op === 'put' || r.op === 'leaseGrant' || (r.op === 'txn' && !isReadOnlyTxn(r.req));
}

/** A txn none of whose branches (nested ones included) writes. */
export function isReadOnlyTxn(req: TxnRequest): boolean {
  const ro = (ops: TxnRequest['success']): boolean =>
    ops.every((op) => 'requestRange' in op || ('requestTxn' in op && isReadOnlyTxn(op.requestTxn)));
  return ro(req.success) && ro(req.failure);
}

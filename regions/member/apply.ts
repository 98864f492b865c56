// Apply: a committed RaftRequest changes MVCC and the lessor, identically on every member.
// Called by the Ready loop inside the storage write transaction that also persists the Raft
// state, so what is applied and the applied index are durable together.
//
// Validation failures (KeyNotFound for ignore_value on a missing key, LeaseNotFound ...) are
// results, not crashes: MVCC and the lessor throw EtcdError before changing anything, and the
// proposer hands that error to its client. Every member reaches the same verdict.

import { EtcdError } from '../../src/mvcc/errors.js';
import type { KvStore } from '../../src/mvcc/kv.js';
import type { RequestOp } from '../../src/mvcc/types.js';
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
      default:
        return assertNever(r, 'raft request');
    }
  }
}

// etcd's lessor, split the way a replicated system needs it:
//
//   replicated (LeaseRegistry): grant, revoke and the MVCC hooks, applied in log order on every
//     replica; deterministic, no clock; persisted through a LeaseTable.
//   leader-only (LeaseDeadlines): expiry times on this member's clock, renewals, and which leases
//     are due for a revoke proposal.
//
// The Lessor is both, so the member hands one object to MVCC (LeaseHooks), to the apply loop
// (grant, revoke) and to its leader logic (promote, renew, expired, timeToLive).
//
// Propose: the member picks the ID (newLeaseId) and proposes {leaseGrant id ttl} / {leaseRevoke id}.
// Apply: grant / revoke here; for a revoke the member deletes the returned keys in one MVCC txn.
// On apply result: a grant applied on the leader starts its deadline at clock() + TTL.

import type { LeaseTimeToLiveResult } from '../api/backend.js';
import type { LeaseHooks } from '../mvcc/kv.js';
import { LeaseDeadlines } from './deadlines.js';
import { revokeRetryMsDefault } from './limits.js';
import { keyBytes, LeaseRegistry } from './registry.js';
import type { LeaseTable } from './table.js';

export interface LessorOptions {
  table: LeaseTable;
  /** minLeaseTtlSeconds(electionMs, heartbeatMs); etcd's defaults give 2. */
  minTtlSeconds: number;
  /** ms; read only when a grant is applied on the leader (its deadline starts then). */
  clock: () => number;
  /** Default revokeRetryMsDefault (etcd's 3 s). */
  revokeRetryMs?: number;
}

export class Lessor implements LeaseHooks {
  readonly registry: LeaseRegistry;
  private readonly deadlines: LeaseDeadlines;
  private readonly clock: () => number;

  constructor(opts: LessorOptions) {
    this.registry = new LeaseRegistry({ table: opts.table, minTtlSeconds: opts.minTtlSeconds });
    this.deadlines = new LeaseDeadlines(opts.revokeRetryMs ?? revokeRetryMsDefault);
    this.clock = opts.clock;
  }

  // ---- Replicated: called by the apply loop, in log order, inside the write transaction.

  /** Throws LeaseTTLTooLarge, LeaseExist. Returns the granted TTL (raised to the minimum). */
  grant(id: bigint, ttl: number): { id: bigint; ttl: number } {
    const granted = this.registry.grant(id, ttl);
    if (this.deadlines.isPrimary) this.deadlines.start(id, granted.ttl, this.clock());
    return granted;
  }

  /** Throws LeaseNotFound. Returns the attached keys (byte order) for the member to delete. */
  revoke(id: bigint): Uint8Array[] {
    const keys = this.registry.revoke(id);
    this.deadlines.forget(id);
    return keys;
  }

  /** At start, after MVCC opened: attach every key that carries a lease. */
  restoreKeys(leased: Iterable<{ key: Uint8Array; lease: bigint }>): { orphans: number } {
    return this.registry.restoreKeys(leased);
  }

  /**
   * The lease table was replaced (a Raft snapshot was installed): reread it and attach `leased`.
   * A leader never installs a snapshot; deadlines of leases that are gone are dropped.
   */
  reload(leased: Iterable<{ key: Uint8Array; lease: bigint }>, now: number): { orphans: number } {
    this.registry.load();
    const wasPrimary = this.deadlines.isPrimary;
    this.deadlines.demote();
    if (wasPrimary) this.deadlines.promote(now, this.registry.entries());
    return this.registry.restoreKeys(leased);
  }

  exists(id: bigint): boolean {
    return this.registry.exists(id);
  }

  attach(id: bigint, key: Uint8Array): void {
    this.registry.attach(id, key);
  }

  detach(id: bigint, key: Uint8Array): void {
    this.registry.detach(id, key);
  }

  /** Lease IDs in grant order. */
  leases(): bigint[] {
    return this.registry.ids();
  }

  // ---- Leader-only.

  get isPrimary(): boolean {
    return this.deadlines.isPrimary;
  }

  /** This member became leader: every lease expires at now + its TTL (never earlier). */
  promote(now: number): void {
    this.deadlines.promote(now, this.registry.entries());
  }

  demote(): void {
    this.deadlines.demote();
  }

  /**
   * A keep-alive: the lease's TTL in seconds (its deadline restarts at now + TTL), or 0 if the
   * lease does not exist or its time is already up (etcd answers such a keep-alive with "not
   * found" once the revoke lands; the client sees TTL 0 either way). Leader only.
   */
  renew(id: bigint, now: number): number {
    const l = this.registry.get(id);
    if (l === undefined) return 0;
    return this.deadlines.renew(id, l.ttl, now) ? l.ttl : 0;
  }

  /** Up to `max` leases to propose revokes for; each is returned once per revokeRetryMs. */
  expired(now: number, max: number): bigint[] {
    return this.deadlines.expired(now, max);
  }

  /**
   * Whole seconds left (truncated, as etcd), 0 once expired; -1 for an unknown lease. On a
   * member that is not the leader the deadline is unknown and the granted TTL is reported (what
   * the lease would get if this member became leader now): forward TimeToLive to the leader for
   * the exact figure, as etcd does.
   */
  remainingTtl(id: bigint, now: number): number {
    const l = this.registry.get(id);
    if (l === undefined) return -1;
    const ms = this.deadlines.remainingMs(id, now);
    if (ms === undefined) return l.ttl;
    return Math.max(0, Math.trunc(ms / 1000));
  }

  /** etcd's LeaseTimeToLive answer; TTL -1 and no keys for an unknown lease. */
  timeToLive(id: bigint, now: number, keys: boolean): LeaseTimeToLiveResult {
    const l = this.registry.get(id);
    if (l === undefined) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return {
      id,
      ttl: this.remainingTtl(id, now),
      grantedTtl: l.ttl,
      keys: keys ? [...l.keys].sort().map(keyBytes) : [],
    };
  }
}

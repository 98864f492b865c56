// The leader-only half of the lessor: when each lease expires, on this member's clock. It is not
// replicated and not persisted. A follower keeps no deadlines (leases never expire there); a
// member that becomes leader starts every lease afresh at now + TTL, so a leader change can only
// lengthen a lease, never cut it short (etcd's Promote). Times are ms; TTLs are seconds.
//
// Expiry → revoke: the leader asks `expired(now, max)` for leases whose time is up and proposes a
// revoke for each. A returned lease is not returned again for `revokeRetryMs`, so a revoke in
// flight is not proposed twice; if that proposal is lost (dropped, leadership lost and regained),
// the lease comes back after the retry interval. The applied revoke removes it for good.

import { assert } from '../util/assert.js';
import { DueQueue } from './due_queue.js';

export class LeaseDeadlines {
  private primary = false;
  /** id → expiry (ms). */
  private readonly expiry = new Map<bigint, number>();
  /** When each lease is next worth looking at: its expiry, or a revoke retry time. */
  private readonly due = new DueQueue();

  constructor(private readonly revokeRetryMs: number) {
    assert(revokeRetryMs > 0, 'LeaseDeadlines: revokeRetryMs must be > 0');
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  /** Becomes leader: every lease given by `leases` expires at now + its TTL. */
  promote(now: number, leases: Iterable<{ id: bigint; ttl: number }>): void {
    this.primary = true;
    this.expiry.clear();
    this.due.clear();
    for (const l of leases) this.start(l.id, l.ttl, now);
  }

  demote(): void {
    this.primary = false;
    this.expiry.clear();
    this.due.clear();
  }

  /** A lease was granted (applied) while primary. */
  start(id: bigint, ttlSeconds: number, now: number): void {
    if (!this.primary) return;
    const at = now + ttlSeconds * 1000;
    this.expiry.set(id, at);
    this.due.set(id, at);
  }

  /** A lease was revoked (applied). */
  forget(id: bigint): void {
    this.expiry.delete(id);
    this.due.delete(id);
  }

  /** False for an unknown lease or one whose time is up (its revoke is coming). */
  renew(id: bigint, ttlSeconds: number, now: number): boolean {
    assert(this.primary, 'lease renew: only the leader renews leases');
    const at = this.expiry.get(id);
    if (at === undefined || at <= now) return false;
    this.start(id, ttlSeconds, now);
    return true;
  }

  /** ms left; undefined if not primary or unknown. Negative once expired (revoke pending). */
  remainingMs(id: bigint, now: number): number | undefined {
    const at = this.expiry.get(id);
    return at === undefined ? undefined : at - now;
  }

  /** Up to `max` leases whose time is up and whose revoke is not (believed) in flight. */
  expired(now: number, max: number): bigint[] {
    const out: bigint[] = [];
    if (!this.primary) return out;
    while (out.length < max) {
      const top = this.due.peek();
      if (top === undefined || top.due > now) break;
      // Not again until the retry time, unless the revoke is applied first (forget).
      this.due.set(top.id, now + this.revokeRetryMs);
      out.push(top.id);
    }
    return out;
  }
}

// Lease limits, as etcd 3.4 sets them (lease/lessor.go, etcdserver/server.go).

/** etcd's MaxLeaseTTL: a grant above it fails with LeaseTTLTooLarge. */
export const leaseTtlMaxSeconds = 9_000_000_000;

/**
 * How long the leader waits before proposing the revoke of an expired lease again, in case the
 * first proposal was lost (etcd's expiredLeaseRetryInterval).
 */
export const revokeRetryMsDefault = 3_000;

/**
 * etcd's minimum lease TTL: a lease must outlive the election a leader change may need, or a
 * new leader could find it already gone. etcd computes `(3 * electionTicks / 2) * heartbeat`
 * (integer division in ticks) and rounds up to whole seconds.
 *
 * Worked example, etcd's defaults (heartbeat 100 ms, election 1000 ms): 10 ticks, 15 ticks =
 * 1500 ms, rounded up to 2 s — which is why `etcdctl lease grant 1` prints TTL(2s).
 */
export function minLeaseTtlSeconds(electionMs: number, heartbeatMs: number): number {
  const electionTicks = Math.floor(electionMs / heartbeatMs);
  const minTtlMs = Math.floor((3 * electionTicks) / 2) * heartbeatMs;
  return Math.ceil(minTtlMs / 1000);
}

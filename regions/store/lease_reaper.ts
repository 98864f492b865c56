// The sharded modes' lease expiry, on each store: PD's core expires a lease (its lessor, as
// etcd's); the keys that carry it live in regions, and each region leader deletes its own. Every
// leaseReapIntervalMs a store asks its lanes which leases the keys of the regions it leads carry,
// THEN asks PD which leases exist (in that order: a lease granted after the first question cannot
// be in its answer, so a live lease is never taken for a dead one), and has each region delete
// its keys of the leases PD no longer has. A key of an expired lease so lives at most about one
// interval longer than in etcd.

import type { RegionId } from '../../src/cluster/region.js';
import type { RegionOp } from '../../src/cluster/region_ops.js';
import type { LaneHost } from '../lane/host.js';

export const leaseReapIntervalMs = 1_000;

export interface LeaseReaperDeps {
  lanes: LaneHost;
  /** The leases PD's lessor holds now. */
  liveLeases(): Promise<bigint[]>;
  log(line: string): void;
}

export async function reapLeases(deps: LeaseReaperDeps): Promise<number> {
  const inUse = await deps.lanes.leasesInUse();
  if (inUse.size === 0) return 0;
  const live = new Set(await deps.liveLeases());
  let revoked = 0;
  const calls: Array<Promise<unknown>> = [];
  for (const [region, ids] of inUse) {
    for (const id of ids) {
      if (live.has(id)) continue;
      const r = deps.lanes.regions.get(region as RegionId);
      if (!r?.isLeader) continue;
      revoked++;
      const op: RegionOp = { op: 'revokeLease', id };
      calls.push(deps.lanes.call(region, r.region.epoch, op).catch(() => undefined));
    }
  }
  await Promise.all(calls);
  return revoked;
}

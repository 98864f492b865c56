// Regions, groups and keys for router tests.

import type { PeerId, Region, RegionId, RegionPeer, SlotRanges, StoreId } from '../../src/cluster/region.js';

export const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

export const peer = (id: number, storeId = id): RegionPeer => ({ id: id as PeerId, storeId: storeId as StoreId, role: 'voter' });
export const rid = (id: number): RegionId => id as RegionId;

export interface RegionOpts {
  version?: number;
  confVer?: number;
  peers?: RegionPeer[];
}

/** A range-mode region [start, end); "" is the start or the end of the key space. */
export function region(id: number, start: string, end: string, o: RegionOpts = {}): Region {
  return {
    id: id as RegionId,
    start: b(start),
    end: b(end),
    epoch: { confVer: o.confVer ?? 1, version: o.version ?? 1 },
    peers: o.peers ?? [peer(id * 10 + 1, 1), peer(id * 10 + 2, 2), peer(id * 10 + 3, 3)],
  };
}

/** A hash-mode group owning `slots`. */
export function group(id: number, slots: SlotRanges, o: RegionOpts = {}): Region {
  return { ...region(id, '', '', o), slots };
}

/** "id:[start, end) vN" for each region, for readable assertions. */
export function shapes(regions: readonly Region[]): string[] {
  return regions.map((r) => `${r.id}:[${s(r.start)},${s(r.end)}) v${r.epoch.version}`);
}

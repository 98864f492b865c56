// Small builders for region tests: keys from strings, regions from a compact description.

import type { PeerId, PeerRole, Region, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';

const encoder = new TextEncoder();

export function k(s: string): Uint8Array {
  return encoder.encode(s);
}

export function peer(id: number, storeId: number, role: PeerRole = 'voter'): RegionPeer {
  return { id: id as PeerId, storeId: storeId as StoreId, role };
}

/** region(1, 'a', 'z', [3, 5]) = region 1 over ["a", "z") at {confVer 3, version 5}, peers 11@1 12@2 13@3. */
export function region(id: number, start: string, end: string, epoch: [number, number] = [1, 1], peers?: RegionPeer[]): Region {
  return {
    id: id as RegionId,
    start: k(start),
    end: k(end),
    epoch: { confVer: epoch[0], version: epoch[1] },
    peers: peers ?? [peer(id * 10 + 1, 1), peer(id * 10 + 2, 2), peer(id * 10 + 3, 3)],
  };
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** "[a, z) {3, 5}" */
export function show(r: Region): string {
  return `${r.id} [${text(r.start)}, ${text(r.end)}) {${r.epoch.confVer}, ${r.epoch.version}}`;
}

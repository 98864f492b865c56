// Small hand-built clusters for the placement tests.
//
//   const snap = cluster({ stores: [1, 2, 3, 4], regions: [region(7, [1, 2, 3], { leader: 1 })] });

import type { PeerId, PeerRole, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';
import { Prng } from '../../src/util/prng.js';
import { buildClusterSnapshot, type ClusterSnapshot, type RegionInfo, type StoreReport } from '../../placement/cluster.js';
import type { IdSource } from '../../placement/id_alloc.js';
import { scheduleConfigDefault, type ScheduleConfig } from '../../placement/schedulers/config.js';
import type { ScheduleEnv } from '../../placement/schedulers/scheduler.js';

export const nowMs = 1_000_000;
export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export const sid = (n: number) => n as StoreId;
export const rid = (n: number) => n as RegionId;
export const pid = (n: number) => n as PeerId;

export function store(id: number, o: Partial<StoreReport> & { ageMs?: number } = {}): StoreReport {
  return {
    id: sid(id),
    address: `127.0.0.1:${20160 + id}`,
    lastHeartbeatMs: nowMs - (o.ageMs ?? 0),
    capacityBytes: o.capacityBytes ?? 100 * GiB,
    availableBytes: o.availableBytes ?? 90 * GiB,
    lanes: o.lanes ?? 4,
    ...(o.tombstone ? { tombstone: true } : {}),
  };
}

export function key(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export interface RegionOpts {
  /** Store of the leader; default the first voter. null = no leader. */
  leader?: number | null;
  learners?: number[];
  start?: Uint8Array;
  end?: Uint8Array;
  bytes?: number;
  keys?: number;
  readQps?: number;
  writeQps?: number;
  confVer?: number;
  version?: number;
}

/** Peer IDs are region * 100 + store, so tests can name them. */
export function region(id: number, voters: number[], o: RegionOpts = {}): RegionInfo {
  const peer = (s: number, role: PeerRole): RegionPeer => ({ id: pid(id * 100 + s), storeId: sid(s), role });
  const peers = [...voters.map((s) => peer(s, 'voter')), ...(o.learners ?? []).map((s) => peer(s, 'learner'))];
  const leaderStore = o.leader === undefined ? voters[0] : o.leader;
  return {
    region: {
      id: rid(id),
      start: o.start ?? key(id * 1000),
      end: o.end ?? key(id * 1000 + 1000),
      epoch: { confVer: o.confVer ?? 5, version: o.version ?? 5 },
      peers,
    },
    leader: leaderStore === null || leaderStore === undefined ? undefined : pid(id * 100 + leaderStore),
    approximateBytes: o.bytes ?? 50 * MiB,
    approximateKeys: o.keys ?? 100_000,
    readQps: o.readQps ?? 0,
    writeQps: o.writeQps ?? 0,
    lastHeartbeatMs: nowMs,
  };
}

export function cluster(o: { stores: (number | StoreReport)[]; regions: RegionInfo[]; now?: number }): ClusterSnapshot {
  return buildClusterSnapshot({
    nowMs: o.now ?? nowMs,
    stores: o.stores.map((s) => (typeof s === 'number' ? store(s) : s)),
    regions: o.regions,
  });
}

export function counterIds(first = 10_000): IdSource & { next: number } {
  return {
    next: first,
    tryNext() {
      return this.next++;
    },
  };
}

export function env(o: { seed?: number; busy?: number[]; full?: number[]; ids?: IdSource } = {}): ScheduleEnv {
  const busy = new Set(o.busy ?? []);
  const full = new Set(o.full ?? []);
  return {
    rand: new Prng(o.seed ?? 1),
    ids: o.ids ?? counterIds(),
    isBusy: (id) => busy.has(id),
    storeHasRoom: (id) => !full.has(id),
  };
}

export function config(o: Partial<ScheduleConfig> = {}): ScheduleConfig {
  return { ...scheduleConfigDefault, ...o };
}

export function storesOf(info: RegionInfo): number[] {
  return info.region.peers.map((p) => p.storeId as number).sort((a, b) => a - b);
}

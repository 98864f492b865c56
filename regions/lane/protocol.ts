// What a store's main thread and its lanes (worker threads) say to each other. Plain tagged
// objects (structured-cloned by postMessage), dispatched by one switch on each side; errors
// cross as { code, message } or a RegionError. Every postMessage carries an ARRAY of them: each
// side queues what one event-loop turn produced and posts it once (the batching DESIGN asks for).
//
//   main ──[raft msgs from other stores, client calls, timestamps]──▶ lane
//   main ◀──[raft msgs to other stores, replies, timestamp requests, region changes]── lane

import type { Region, RegionEpoch, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';
import type { CallError, RegionOp } from '../../src/cluster/region_ops.js';
import type { MovingSlots } from '../peer/slot_move.js';
import type { Message, NodeId } from '../../src/raft/index.js';

export type { CallError, RegionOp } from '../../src/cluster/region_ops.js';

export type ToLane =
  /** Raft messages from another store, for peers on this lane. */
  | { t: 'raft'; fromStore: StoreId; msgs: Message[] }
  | { t: 'unreachable'; region: RegionId; peer: NodeId }
  | { t: 'snapStatus'; region: RegionId; peer: NodeId; ok: boolean }
  /** A client call for one region; the epoch is the router's cached one. */
  | { t: 'call'; id: number; region: RegionId; epoch: RegionEpoch; op: RegionOp }
  /** Timestamps for a 'tso' request: `count` consecutive revisions from `first`. */
  | { t: 'tso'; id: number; first: number; count: number }
  | { t: 'tsoFailed'; id: number; message: string }
  /** Creates this store's peer of a region (bootstrap of the first region, or a new replica). */
  | { t: 'createPeer'; region: Region; peerId: NodeId }
  /**
   * This store's peer of the region was removed while it was away (PD's directory no longer
   * lists it at a newer confVer): drop it, as if it had applied its own removal.
   */
  | { t: 'destroy'; region: RegionId; confVer: number }
  /** A store looks down: every peer here that follows a leader on it wakes (and can elect). */
  | { t: 'wakeLedBy'; store: StoreId }
  /** Which leases the keys of each region this lane leads carry (for the store's lease reaper). */
  | { t: 'leaseSummary'; id: number }
  | { t: 'stop' };

/** What the main thread (and PD, through it) learns of a region hosted here. */
export interface RegionReport {
  region: Region;
  /** The leader peer as this peer knows it; undefined if none. */
  leader: RegionPeer | undefined;
  isLeader: boolean;
  appliedRevision: number;
  /** Hash mode: slots frozen here for a move in progress. */
  moving?: MovingSlots;
  /** Range mode: frozen as a merge source, waiting for this target. */
  mergingInto?: Region;
}

export type FromLane =
  | { t: 'send'; toStore: StoreId; msgs: Message[] }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: CallError }
  /** The lane needs `count` timestamps (one per write about to be proposed). */
  | { t: 'tso'; id: number; count: number }
  /** Regions created, changed (split, membership, leader) or removed on this lane. */
  | { t: 'regions'; changed: RegionReport[]; removed: RegionId[] }
  /** Statistics of the regions this lane leads (every statsIntervalMs), for PD's heartbeats. */
  | { t: 'stats'; stats: RegionStats[]; dbBytes: number; dbBytesInUse: number }
  | { t: 'leaseSummary'; id: number; byRegion: Array<[RegionId, bigint[]]> }
  /** The lane opened its storage and reported every region it hosts (sent once, first). */
  | { t: 'started' }
  | { t: 'log'; line: string }
  | { t: 'stopped' };

export interface RegionStats {
  region: RegionId;
  approximateBytes: number;
  approximateKeys: number;
  writeQps: number;
  readQps: number;
}

/** Options a lane worker starts with (workerData). */
export interface LaneOptions {
  lane: number;
  storeId: StoreId;
  /** Directory of this lane's LMDB environment. */
  path: string;
  noSync: boolean;
  flushDelayMs: number;
  heartbeatMs: number;
  electionMs: number;
  /** Raft log entries kept per region before compaction. */
  raftLogEntriesMax: number;
  /** Ticks without activity after which a region hibernates (no ticks until woken). */
  hibernateTicks: number;
  /** How often the lane measures the regions it leads. */
  statsIntervalMs: number;
}

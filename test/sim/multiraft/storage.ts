// A peer's disk in the simulator: its Raft log and hard state (a MemoryStorage holding only what
// was persisted) and its applied state (region state, data, applied index), all durable: a crash
// keeps them and loses everything else (the RawNode, proposals, reads, an unhandled Ready).
//
// Like TiKV's PeerStorage, Raft's initial configuration comes from the applied region (not from
// the last snapshot), and snapshots are made on demand from the applied state when the leader
// needs one, so a new learner receives the region's data as of the leader's applied index.

import type { RegionState } from '../../../regions/peer/admin/index.js';
import { confStateOf, fromJson, toJson } from '../../../regions/peer/admin/index.js';
import {
  MemoryStorage,
  emptyConfState,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Snapshot,
  type Storage,
  type Term,
} from '../../../src/raft/index.js';
import { assert } from '../../../src/util/assert.js';

/** The data of a region: key -> value, where a value is the sequence number of the put. */
export type Data = Map<string, number>;

export interface ApplyState {
  index: number;
  /** Undefined while the peer is not initialized (no range yet). */
  state: RegionState | undefined;
  data: Data;
}

/** What a snapshot's data holds. */
export interface SnapshotImage {
  index: number;
  state: RegionState;
  data: Array<[string, number]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeImage(img: SnapshotImage): Uint8Array {
  return encoder.encode(toJson(img));
}

export function decodeImage(data: Uint8Array): SnapshotImage {
  return fromJson<SnapshotImage>(decoder.decode(data));
}

/** Where a region created by a split starts its log (TiKV's RAFT_INIT_LOG_INDEX / TERM). */
export const initLogIndex = 5 as Index;
export const initLogTerm = 5 as Term;

export class PeerStorage implements Storage {
  readonly log = new MemoryStorage();
  apply: ApplyState = { index: 0, state: undefined, data: new Map() };

  initialState(): { hardState: HardState; confState: ConfState } {
    const st = this.apply.state;
    return { hardState: this.log.getHardState(), confState: st ? confStateOf(st.region) : emptyConfState() };
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    return this.log.entries(lo, hi, maxBytes);
  }

  term(i: Index): Term {
    return this.log.term(i);
  }

  lastIndex(): Index {
    return this.log.lastIndex();
  }

  firstIndex(): Index {
    return this.log.firstIndex();
  }

  snapshot(): Snapshot {
    const a = this.apply;
    if (a.state && this.log.snapshot().metadata.index < a.index) {
      const img: SnapshotImage = { index: a.index, state: a.state, data: [...a.data] };
      this.log.createSnapshot(a.index as Index, confStateOf(a.state.region), encodeImage(img));
    }
    return this.log.snapshot();
  }

  /** Starts the log of a region at the boot point (bootstrap, split). */
  boot(state: RegionState, data: Data, hardState: HardState): void {
    assert(this.log.lastIndex() === 0 && this.apply.state === undefined, 'booting a peer that has a log');
    const img: SnapshotImage = { index: initLogIndex, state, data: [...data] };
    this.log.applySnapshot({
      metadata: { index: initLogIndex, term: initLogTerm, confState: confStateOf(state.region) },
      data: encodeImage(img),
    });
    this.log.setHardState(hardState);
    this.apply = { index: initLogIndex, state, data };
  }
}

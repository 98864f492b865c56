// The read side of a group's durable Raft state, as the core sees it, and an in-memory
// implementation for tests and the simulator. The LMDB implementation lives in src/storage.

import { assert } from '../util/assert.js';
import { CompactedError, SnapOutOfDateError, UnavailableError } from './errors.js';
import {
  emptyConfState,
  entrySize,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Snapshot,
  type Term,
} from './types.js';

/**
 * The durable log of one group. The core only reads it; the application writes to it while
 * handling a Ready (entries, hard state, snapshots) and compacts it when it likes.
 *
 * Contract: the log holds the entries in [firstIndex(), lastIndex()]; the entry just before
 * them (index firstIndex() - 1) is covered by the latest snapshot, whose term is still known.
 */
export interface Storage {
  /** The saved hard state and configuration, read once when a node starts. */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi), at least one if any exist, and no more than `maxBytes` beyond the first.
   * Throws CompactedError if lo < firstIndex(), UnavailableError if hi > lastIndex() + 1.
   */
  entries(lo: Index, hi: Index, maxBytes: number): Entry[];
  /**
   * The term of entry i, for i in [firstIndex() - 1, lastIndex()].
   * Throws CompactedError below that range, UnavailableError above it.
   */
  term(i: Index): Term;
  lastIndex(): Index;
  firstIndex(): Index;
  /** The most recent snapshot. May throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

/**
 * Everything in memory. `ents[0]` is a placeholder standing for the snapshot point: its index
 * and term are the snapshot's; its data is unused.
 *
 * Worked example: after applySnapshot(index 10, term 3) and append(11..13),
 *   ents = [{10,t3}, {11}, {12}, {13}], firstIndex = 11, lastIndex = 13, term(10) = 3.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0 as Term, vote: 0, commit: 0 as Index };
  private snap: Snapshot = {
    metadata: { index: 0 as Index, term: 0 as Term, confState: emptyConfState() },
    data: new Uint8Array(0),
  };
  private ents: Entry[] = [{ term: 0 as Term, index: 0 as Index, type: 'normal', data: new Uint8Array(0) }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  getHardState(): HardState {
    return { ...this.hardState };
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError();
    if (hi > this.lastIndex() + 1) throw new UnavailableError(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    if (this.ents.length === 1) throw new UnavailableError();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: Index): Term {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError();
    if (i - offset >= this.ents.length) throw new UnavailableError();
    return this.ents[i - offset]!.term;
  }

  lastIndex(): Index {
    return (this.ents[0]!.index + this.ents.length - 1) as Index;
  }

  firstIndex(): Index {
    return (this.ents[0]!.index + 1) as Index;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the contents with a snapshot (received from the leader). */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) throw new SnapOutOfDateError();
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: new Uint8Array(0) }];
  }

  /**
   * Makes a snapshot of the application state as of index i (which must be applied) and
   * remembers it; the log is not compacted (call compact for that).
   */
  createSnapshot(i: Index, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapOutOfDateError();
    const offset = this.ents[0]!.index;
    assert(i <= this.lastIndex(), `snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    const metadata = {
      index: i,
      term: this.ents[i - offset]!.term,
      confState: cs ? cloneConfState(cs) : this.snap.metadata.confState,
    };
    this.snap = { metadata, data };
    return this.snap;
  }

  /** Discards the entries before compactIndex (which becomes the placeholder). */
  compact(compactIndex: Index): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError();
    assert(compactIndex <= this.lastIndex(), `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    const i = compactIndex - offset;
    const head = this.ents[i]!;
    this.ents = [{ term: head.term, index: head.index, type: 'normal', data: new Uint8Array(0) }, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, replacing any conflicting suffix. Entries must be contiguous, and the first
   * must not leave a gap after the current last index.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return; // Everything is already compacted.
    // Drop the part already covered by the snapshot.
    if (first > entries[0]!.index) entries = entries.slice(first - entries[0]!.index);
    const offset = entries[0]!.index - this.ents[0]!.index;
    assert(offset <= this.ents.length, `missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`);
    this.ents = this.ents.slice(0, offset).concat(entries);
  }
}

export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export function cloneConfState(cs: ConfState): ConfState {
  return {
    voters: [...cs.voters],
    learners: [...cs.learners],
    votersOutgoing: [...cs.votersOutgoing],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
}

// The durable Raft state of one group, in the member's LMDB environment. Many groups share two
// tables, keyed so each group's keys are contiguous and sorted:
//   raft.log    group(u64 BE) ++ index(u64 BE)  -> msgpack [term, type, data]
//   raft.state  group(u64 BE) ++ kind(u8)       -> msgpack or raw bytes (see StateKind)
// Reads implement src/raft's Storage. Writes (append, setHardState, ...) must run inside
// engine.write(), so one Ready of many groups plus the MVCC writes it applies commit together.
//
// Worked example: after applySnapshot(index 10, term 3), append(11..13), compact(12):
//   truncated = {12, term of 12}, log keys 13, firstIndex 13, lastIndex 13, term(12) known.
// The truncated point is kept apart from the snapshot: compact() may go past the last snapshot
// (the application decides), and term(firstIndex - 1) must always answer.

import { CompactedError, SnapOutOfDateError, UnavailableError } from '../raft/errors.js';
import { cloneConfState, limitSize } from '../raft/storage.js';
import {
  emptyConfState,
  entrySize,
  type ConfState,
  type Entry,
  type EntryType,
  type GroupId,
  type HardState,
  type Index,
  type Snapshot,
  type SnapshotMetadata,
  type Term,
} from '../raft/types.js';
import { assert } from '../util/assert.js';
import type { Engine } from './engine.js';
import { readU64, u64Pair, writeU64 } from './keys.js';
import { pack, unpack } from './msgpack.js';
import type { BinaryTable } from './table.js';

const enum StateKind {
  HardState = 1,
  ConfState = 2,
  SnapshotMeta = 3,
  SnapshotData = 4,
  Truncated = 5,
  Applied = 6,
}

const logTableName = 'raft.log';
const stateTableName = 'raft.state';
const indexMax = Number.MAX_SAFE_INTEGER;

type EncodedEntry = [term: number, type: 0 | 1, data: Uint8Array];

function encodeEntry(e: Entry): Uint8Array {
  const v: EncodedEntry = [e.term, e.type === 'normal' ? 0 : 1, e.data];
  return pack(v);
}

function decodeEntry(index: number, bytes: Uint8Array): Entry {
  const [term, type, data] = unpack<EncodedEntry>(bytes);
  const t: EntryType = type === 0 ? 'normal' : 'conf-change';
  return { term: term as Term, index: index as Index, type: t, data: data ?? new Uint8Array(0) };
}

interface Cached {
  rollbacks: number;
  truncIndex: number;
  truncTerm: number;
  lastIndex: number;
  lastTerm: number;
  applied: number;
}

export class RaftLogStore {
  private readonly log: BinaryTable;
  private readonly state: BinaryTable;
  private cache: Cached | undefined;

  constructor(
    private readonly engine: Engine,
    readonly group: GroupId,
  ) {
    assert(Number.isSafeInteger(group) && group >= 0, `bad group id ${group}`);
    this.log = engine.binaryTable(logTableName);
    this.state = engine.binaryTable(stateTableName);
  }

  /** Groups that have any Raft state in this engine (to restart their peers). */
  static groups(engine: Engine): GroupId[] {
    const state = engine.binaryTable(stateTableName);
    const out: GroupId[] = [];
    let start: Uint8Array | undefined = new Uint8Array(0);
    while (start !== undefined) {
      const e = state.first({ start });
      if (e === undefined) break;
      const g = readU64(e.key, 0);
      out.push(g);
      start = g === indexMax ? undefined : stateKeyOf(g + 1, 0);
    }
    return out;
  }

  // ---- Storage (read side) ----

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState(), confState: this.confState() };
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const c = this.cached();
    if (lo <= c.truncIndex) throw new CompactedError();
    if (hi > c.lastIndex + 1) throw new UnavailableError(`entries' hi(${hi}) is out of bound lastindex(${c.lastIndex})`);
    if (c.lastIndex === c.truncIndex) throw new UnavailableError();
    if (hi <= lo) return [];
    const out: Entry[] = [];
    let bytes = 0;
    for (const { key, value } of this.log.range({ start: this.logKey(lo), end: this.logKey(hi) })) {
      const e = decodeEntry(readU64(key, 8), value);
      assert(e.index === lo + out.length, `raft log of group ${this.group} has a hole at ${lo + out.length}`);
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    assert(out.length > 0, `raft log of group ${this.group} lost entries [${lo}, ${hi})`);
    return limitSize(out, maxBytes);
  }

  term(i: Index): Term {
    const c = this.cached();
    if (i === c.truncIndex) return c.truncTerm as Term;
    if (i < c.truncIndex) throw new CompactedError();
    if (i > c.lastIndex) throw new UnavailableError();
    if (i === c.lastIndex) return c.lastTerm as Term;
    const v = this.log.get(this.logKey(i));
    assert(v !== undefined, `raft log of group ${this.group} misses entry ${i}`);
    return decodeEntry(i, v).term;
  }

  firstIndex(): Index {
    return (this.cached().truncIndex + 1) as Index;
  }

  lastIndex(): Index {
    return this.cached().lastIndex as Index;
  }

  snapshot(): Snapshot {
    const meta = this.getState<SnapshotMetadata>(StateKind.SnapshotMeta);
    if (meta === undefined) {
      return { metadata: { index: 0 as Index, term: 0 as Term, confState: emptyConfState() }, data: new Uint8Array(0) };
    }
    const data = this.state.get(this.stateKey(StateKind.SnapshotData)) ?? new Uint8Array(0);
    return { metadata: meta, data };
  }

  hardState(): HardState {
    return this.getState<HardState>(StateKind.HardState) ?? { term: 0 as Term, vote: 0, commit: 0 as Index };
  }

  confState(): ConfState {
    return this.getState<ConfState>(StateKind.ConfState) ?? emptyConfState();
  }

  /** The index of the last entry applied to the state machine, as persisted with its effects. */
  applied(): Index {
    return this.cached().applied as Index;
  }

  // ---- writes: inside engine.write() ----

  /**
   * Appends entries, replacing any conflicting suffix (every stored entry at or after the first
   * new index). Entries must be contiguous and leave no gap after lastIndex(). Entries at or
   * below the truncated index are skipped.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const c = this.cached();
    for (let k = 1; k < entries.length; k++) {
      assert(entries[k]!.index === entries[k - 1]!.index + 1, 'appended entries must be contiguous');
    }
    let from = 0;
    if (entries[0]!.index <= c.truncIndex) from = c.truncIndex + 1 - entries[0]!.index;
    if (from >= entries.length) return; // Everything is already compacted.
    const first = entries[from]!.index;
    assert(first <= c.lastIndex + 1, `missing log entry [last: ${c.lastIndex}, append at: ${first}]`);
    if (first <= c.lastIndex) this.log.removeRange(this.logKey(first), this.logKey(c.lastIndex + 1));
    for (let k = from; k < entries.length; k++) {
      const e = entries[k]!;
      this.log.put(this.logKey(e.index), encodeEntry(e));
    }
    const last = entries[entries.length - 1]!;
    c.lastIndex = last.index;
    c.lastTerm = last.term;
  }

  setHardState(hs: HardState): void {
    this.putState(StateKind.HardState, { term: hs.term, vote: hs.vote, commit: hs.commit });
  }

  setConfState(cs: ConfState): void {
    this.putState(StateKind.ConfState, cloneConfState(cs));
  }

  /** Persists the applied index; call it in the same write() as the effects of those entries. */
  setApplied(index: Index): void {
    const c = this.cached();
    assert(index >= c.applied, `applied index going back from ${c.applied} to ${index}`);
    this.state.put(this.stateKey(StateKind.Applied), u64(index));
    c.applied = index;
  }

  /**
   * Replaces the log with a snapshot received from the leader: the log becomes empty after the
   * snapshot's index, the configuration becomes the snapshot's. Throws SnapOutOfDateError if
   * the stored snapshot is not older.
   */
  applySnapshot(snap: Snapshot): void {
    const c = this.cached();
    const current = this.getState<SnapshotMetadata>(StateKind.SnapshotMeta);
    if (current !== undefined && current.index >= snap.metadata.index) throw new SnapOutOfDateError();
    this.log.removeRange(this.logKey(0), this.logKey(indexMax));
    this.putSnapshot(snap.metadata, snap.data);
    this.setConfState(snap.metadata.confState);
    this.putTruncated(c, snap.metadata.index, snap.metadata.term);
    c.lastIndex = snap.metadata.index;
    c.lastTerm = snap.metadata.term;
  }

  /**
   * Records a snapshot of the state machine as of entry i (which must be applied and in the log
   * or at the truncated point), with confState or, if undefined, the current configuration.
   * The log is not compacted (call compact for that).
   */
  createSnapshot(i: Index, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    const current = this.getState<SnapshotMetadata>(StateKind.SnapshotMeta);
    if (current !== undefined && i <= current.index) throw new SnapOutOfDateError();
    const c = this.cached();
    assert(i <= c.lastIndex, `snapshot ${i} is out of bound lastindex(${c.lastIndex})`);
    const metadata: SnapshotMetadata = { index: i, term: this.term(i), confState: cloneConfState(confState ?? this.confState()) };
    this.putSnapshot(metadata, data);
    return { metadata, data };
  }

  /** Discards entries up to and including compactIndex, keeping its term. */
  compact(compactIndex: Index): void {
    const c = this.cached();
    if (compactIndex <= c.truncIndex) throw new CompactedError();
    assert(compactIndex <= c.lastIndex, `compact ${compactIndex} is out of bound lastindex(${c.lastIndex})`);
    const term = this.term(compactIndex);
    this.log.removeRange(this.logKey(c.truncIndex + 1), this.logKey(compactIndex + 1));
    this.putTruncated(c, compactIndex, term);
  }

  /** Removes everything this group stored (its peer was destroyed). */
  destroy(): void {
    this.log.removeRange(this.logKey(0), this.logKey(indexMax));
    this.state.removeRange(this.stateKey(0), this.stateKey(0xff));
    this.state.remove(this.stateKey(0xff));
    this.cache = undefined;
  }

  // ---- internals ----

  private cached(): Cached {
    if (this.cache !== undefined && this.cache.rollbacks === this.engine.rollbackCount) return this.cache;
    const trunc = this.getState<{ index: number; term: number }>(StateKind.Truncated) ?? { index: 0, term: 0 };
    const appliedBytes = this.state.get(this.stateKey(StateKind.Applied));
    const c: Cached = {
      rollbacks: this.engine.rollbackCount,
      truncIndex: trunc.index,
      truncTerm: trunc.term,
      lastIndex: trunc.index,
      lastTerm: trunc.term,
      applied: appliedBytes === undefined ? 0 : readU64(appliedBytes, 0),
    };
    const last = this.log.first({ start: this.logKey(indexMax), end: this.logKey(trunc.index), reverse: true });
    if (last !== undefined) {
      const e = decodeEntry(readU64(last.key, 8), last.value);
      c.lastIndex = e.index;
      c.lastTerm = e.term;
    }
    this.cache = c;
    return c;
  }

  private putTruncated(c: Cached, index: number, term: number): void {
    this.putState(StateKind.Truncated, { index, term });
    c.truncIndex = index;
    c.truncTerm = term;
  }

  private putSnapshot(metadata: SnapshotMetadata, data: Uint8Array): void {
    this.putState(StateKind.SnapshotMeta, { index: metadata.index, term: metadata.term, confState: cloneConfState(metadata.confState) });
    this.state.put(this.stateKey(StateKind.SnapshotData), data);
  }

  private getState<T>(kind: StateKind): T | undefined {
    const v = this.state.get(this.stateKey(kind));
    return v === undefined ? undefined : unpack<T>(v);
  }

  private putState(kind: StateKind, value: unknown): void {
    this.state.put(this.stateKey(kind), pack(value));
  }

  private logKey(index: number): Uint8Array {
    return u64Pair(this.group, index);
  }

  private stateKey(kind: number): Uint8Array {
    return stateKeyOf(this.group, kind);
  }
}

function stateKeyOf(group: number, kind: number): Uint8Array {
  const k = new Uint8Array(9);
  writeU64(k, 0, group);
  k[8] = kind;
  return k;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  writeU64(b, 0, n);
  return b;
}

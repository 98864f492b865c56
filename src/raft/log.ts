// A group's Raft log: the durable part (Storage) followed by the unstable part, with the commit
// and apply cursors.
//
//   storage: [firstIndex .......... lastIndex]
//   unstable:                          [offset ......... ]
//   cursors:  applied <= committed <= lastIndex()

import { assert } from '../util/assert.js';
import { CompactedError, UnavailableError } from './errors.js';
import { Unstable } from './log_unstable.js';
import { limitSize, type Storage } from './storage.js';
import type { Entry, Index, Snapshot, Term } from './types.js';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** The highest index known to be stored on a quorum. */
  committed: Index;
  /** The highest index the application has applied (acknowledged through advance). */
  applied: Index;
  /** Highest index handed to the application for applying, not yet acknowledged. */
  applying: Index;
  /** Most bytes of committed entries handed out in one Ready. */
  readonly maxApplyingEntsBytes: number;

  constructor(storage: Storage, maxApplyingEntsBytes: number) {
    this.storage = storage;
    this.maxApplyingEntsBytes = maxApplyingEntsBytes;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable((last + 1) as Index);
    this.committed = (first - 1) as Index;
    this.applied = (first - 1) as Index;
    this.applying = (first - 1) as Index;
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, unstable.offset=${this.unstable.offset}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends entries sent by a leader after (index, logTerm), if the log matches there.
   * Returns the last index of the new entries, or undefined if the log does not match.
   */
  maybeAppend(index: Index, logTerm: Term, committed: Index, ents: Entry[]): Index | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = (index + ents.length) as Index;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, `entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew) as Index);
    return lastNew;
  }

  append(ents: Entry[]): Index {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    assert(after >= this.committed, `after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in `ents` whose term differs from ours, or the first new
   * entry if all overlapping ones match; 0 if every entry is already present.
   */
  findConflict(ents: Entry[]): Index {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0 as Index;
  }

  /**
   * For a rejected append at (index, term): the largest index <= index whose term is <= term,
   * with that term. The leader probes there next, skipping whole terms that cannot match.
   *
   * Example: our log has terms [1 1 2 2 2 5 5] at 1..7 and the leader sent (index 7, term 4):
   * entries 6 and 7 (term 5) cannot match, so the answer is (5, term 2).
   */
  findConflictByTerm(index: Index, term: Term): { index: Index; term: Term } {
    for (; index > 0; index = (index - 1) as Index) {
      const t = this.termOrUndefined(index);
      if (t === undefined) return { index, term: 0 as Term };
      if (t <= term) return { index, term: t };
    }
    return { index: 0 as Index, term: 0 as Term };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries not yet handed to the application, up to the size limit. */
  nextCommittedEnts(): Entry[] {
    const lo = Math.max(this.applying, this.firstIndex() - 1) + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo as Index, hi as Index, this.maxApplyingEntsBytes);
  }

  hasNextCommittedEnts(): boolean {
    // A pending snapshot must be applied first.
    if (this.unstable.snapshot) return false;
    const lo = Math.max(this.applying, this.firstIndex() - 1) + 1;
    return this.committed + 1 > lo;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined && this.unstable.snapshot.metadata.index > 0;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): Index {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): Index {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  commitTo(toCommit: Index): void {
    // Never decrease the commit index.
    if (this.committed < toCommit) {
      assert(this.lastIndex() >= toCommit, `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`);
      this.committed = toCommit;
    }
  }

  appliedTo(i: Index): void {
    if (i === 0) return;
    assert(this.committed >= i && i >= this.applied, `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
    if (this.applying < i) this.applying = i;
  }

  acceptApplying(i: Index): void {
    this.applying = i;
  }

  stableTo(i: Index, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: Index): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): Term {
    const t = this.termOrUndefined(this.lastIndex());
    assert(t !== undefined, 'unexpected error when getting the last term');
    return t;
  }

  /** The term of entry i, or undefined if i is compacted away or beyond the log. */
  termOrUndefined(i: Index): Term | undefined {
    // The valid range includes the placeholder just before the first index.
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const ut = this.unstable.maybeTerm(i);
    if (ut !== undefined) return ut;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  /** Entries from i on, up to maxBytes. Throws CompactedError if i is compacted. */
  entries(i: Index, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, (this.lastIndex() + 1) as Index, maxBytes);
  }

  allEntries(): Entry[] {
    for (;;) {
      try {
        return this.entries(this.firstIndex(), Infinity);
      } catch (err) {
        // A concurrent compaction may race with us in theory; retry.
        if (err instanceof CompactedError) continue;
        throw err;
      }
    }
  }

  /**
   * Is a log ending at (lasti, term) at least as up to date as ours? (Raft §5.4.1: compare the
   * last terms; if equal, the longer log wins.)
   */
  isUpToDate(lasti: Index, term: Term): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lasti >= this.lastIndex());
  }

  matchTerm(i: Index, term: Term): boolean {
    const t = this.termOrUndefined(i);
    return t !== undefined && t === term;
  }

  /**
   * Commits up to maxIndex if that entry is from `term` (the leader's current term): a leader
   * never commits an entry of an earlier term by counting replicas (Raft §5.4.2, Figure 8).
   */
  maybeCommit(maxIndex: Index, term: Term): boolean {
    if (maxIndex > this.committed && this.termOrUndefined(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi), limited to maxBytes (at least one entry is returned). */
  slice(lo: Index, hi: Index, maxBytes: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const uo = this.unstable.offset;
    if (lo < uo) {
      const stored = this.storage.entries(lo, Math.min(hi, uo) as Index, maxBytes);
      // Storage returned fewer than asked because of the size limit: stop here.
      if (stored.length < Math.min(hi, uo) - lo) return stored;
      ents = stored;
    }
    if (hi > uo) {
      const unstable = this.unstable.slice(Math.max(lo, uo) as Index, hi);
      ents = ents.length > 0 ? ents.concat(unstable) : unstable;
    }
    return limitSize(ents, maxBytes);
  }

  private checkOutOfBounds(lo: Index, hi: Index): void {
    assert(lo <= hi, `invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError();
    const length = this.lastIndex() + 1 - fi;
    assert(hi <= fi + length, `slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}

// The part of the log not yet persisted: entries (and maybe a snapshot) that the next Ready
// hands to the application to write.
//
// Worked example: storage holds 1..5; the leader appends 6..8.
//   offset = 6, entries = [6, 7, 8]; after the application persists them, stableTo(8, t)
//   leaves offset = 9, entries = [].

import { assert } from '../util/assert.js';
import type { Entry, Index, Snapshot, Term } from './types.js';

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  /** The index of entries[0] (or where the next entry would go). */
  offset: Index;

  constructor(offset: Index) {
    this.offset = offset;
  }

  /** The first index, if a snapshot is pending. */
  maybeFirstIndex(): Index | undefined {
    return this.snapshot ? ((this.snapshot.metadata.index + 1) as Index) : undefined;
  }

  maybeLastIndex(): Index | undefined {
    if (this.entries.length > 0) return (this.offset + this.entries.length - 1) as Index;
    if (this.snapshot) return this.snapshot.metadata.index;
    return undefined;
  }

  maybeTerm(i: Index): Term | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries up to (i, t) are now durable. Ignored if the log changed under them since. */
  stableTo(i: Index, t: Term): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined) return;
    // Only entries (not the snapshot point) become stable here, and only if the term matches:
    // a newer leader may have replaced them while they were being written.
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = (i + 1) as Index;
    }
  }

  stableSnapTo(i: Index): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = (s.metadata.index + 1) as Index;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      // Directly after: append in place (a Ready takes a copy, so this cannot alias it).
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces everything unstable.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      // Truncate to `after`, then append.
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  /** Entries in [lo, hi), which must lie within the unstable entries. */
  slice(lo: Index, hi: Index): Entry[] {
    assert(lo <= hi, `invalid unstable.slice ${lo} > ${hi}`);
    const upper = this.offset + this.entries.length;
    assert(lo >= this.offset && hi <= upper, `unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

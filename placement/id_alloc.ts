// PD's ID allocator: region, peer and store IDs, unique for the cluster's life.
//
// IDs come from a batch [next, end) whose end was saved before the first of them was handed out;
// a restarted or newly elected PD loads the saved end and starts there. IDs handed out from the
// old batch are never reused; the rest of it is skipped (a gap, which is harmless).
//
// Worked example, batch 1000, nothing saved yet:
//   allocate(1) saves end 1001, returns 1; allocate(3) returns 2 (IDs 2, 3, 4).
//   PD restarts, loads 1001: allocate(1) saves 2001, returns 1001. IDs 5..1000 are never used.
// ID 0 means "none" on the wire (as in tikv/pd), so the first ID is 1.
//
// Schedulers are synchronous and pure, so they draw peer IDs through IdSource.tryNext(), which
// only takes from the saved batch; the PD calls refillIfLow() between scheduling rounds.

import { assert } from '../src/util/assert.js';
import { PersistedBound, type SaveBound } from './persisted_bound.js';

/** Synchronous source of fresh IDs; undefined when none is ready (the caller skips its work). */
export interface IdSource {
  tryNext(): number | undefined;
}

export const idBatchCountDefault = 1_000;

export interface IdAllocatorOptions {
  /** The batch end loaded from storage; undefined for a new cluster. */
  savedEnd: number | undefined;
  /** Persists a batch end; see SaveBound for its contract on leadership. */
  save: SaveBound;
  /** IDs reserved per save. */
  batchCount?: number;
}

export class IdAllocator implements IdSource {
  private readonly end: PersistedBound;
  private readonly batchCount: number;
  private next: number;

  constructor(opts: IdAllocatorOptions) {
    const loaded = opts.savedEnd ?? 1;
    assert(loaded >= 1, `bad saved ID batch end ${loaded}`);
    this.end = new PersistedBound(loaded, opts.save);
    this.batchCount = opts.batchCount ?? idBatchCountDefault;
    assert(Number.isSafeInteger(this.batchCount) && this.batchCount >= 1, `bad ID batch count ${this.batchCount}`);
    this.next = loaded;
  }

  /** The first of `count` consecutive fresh IDs, saving a new batch end first if needed. */
  async allocate(count = 1): Promise<number> {
    assert(Number.isSafeInteger(count) && count >= 1, `bad ID count ${count}`);
    for (;;) {
      // Re-read after every await: other callers may have taken IDs meanwhile.
      const first = this.next;
      if (first + count <= this.end.value) {
        this.next = first + count;
        return first;
      }
      const target = first + Math.max(count, this.batchCount);
      assert(Number.isSafeInteger(target), 'ID space exhausted (2^53)');
      await this.end.raiseTo(target);
    }
  }

  tryNext(): number | undefined {
    if (this.next >= this.end.value) return undefined;
    return this.next++;
  }

  /** How many IDs tryNext can hand out without a save. */
  get readyCount(): number {
    return this.end.value - this.next;
  }

  /** Saves a new batch end when less than half a batch is ready. */
  async refillIfLow(): Promise<void> {
    if (this.readyCount * 2 >= this.batchCount) return;
    await this.end.raiseTo(this.next + this.batchCount);
  }
}

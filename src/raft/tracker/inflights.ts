// The flow-control window of one follower: the MsgApps sent but not yet acknowledged, as a ring
// buffer of (last index, bytes). The leader stops sending when the window is full in count
// (`sizeMax`) or in bytes (`bytesMax`, 0 = no byte limit).

import { assert } from '../../util/assert.js';
import type { Index } from '../types.js';

export class Inflights {
  private start = 0;
  private count_ = 0;
  private bytes_ = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(
    readonly sizeMax: number,
    readonly bytesMax: number,
  ) {
    assert(sizeMax > 0, 'inflight window must allow at least one message');
    // Grown lazily: most followers of most groups never have more than a few in flight.
    this.indexes = [];
    this.sizes = [];
  }

  get count(): number {
    return this.count_;
  }

  get bytes(): number {
    return this.bytes_;
  }

  clone(): Inflights {
    const c = new Inflights(this.sizeMax, this.bytesMax);
    for (let i = 0; i < this.count_; i++) {
      const j = (this.start + i) % this.sizeMax;
      c.add(this.indexes[j]! as Index, this.sizes[j]!);
    }
    return c;
  }

  /** Records a message whose last entry is `index`; indexes must increase. */
  add(index: Index, bytes: number): void {
    assert(!this.full(), 'cannot add into a full inflights');
    const next = (this.start + this.count_) % this.sizeMax;
    if (this.count_ > 0) {
      const lastSlot = (this.start + this.count_ - 1) % this.sizeMax;
      assert(index > this.indexes[lastSlot]!, `inflight indexes must increase: ${index} after ${this.indexes[lastSlot]}`);
    }
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.count_++;
    this.bytes_ += bytes;
  }

  /** Frees every message whose last index is <= to. */
  freeLE(to: Index): void {
    if (this.count_ === 0) return;
    let i = 0;
    let idx = this.start;
    let freedBytes = 0;
    for (; i < this.count_; i++) {
      if (this.indexes[idx]! > to) break;
      freedBytes += this.sizes[idx]!;
      idx = (idx + 1) % this.sizeMax;
    }
    this.count_ -= i;
    this.bytes_ -= freedBytes;
    this.start = this.count_ === 0 ? 0 : idx;
  }

  /** Frees the oldest message, whatever its index (used when a heartbeat shows the follower alive). */
  freeFirstOne(): void {
    if (this.count_ === 0) return;
    this.freeLE(this.indexes[this.start]! as Index);
  }

  full(): boolean {
    return this.count_ === this.sizeMax || (this.bytesMax !== 0 && this.bytes_ >= this.bytesMax);
  }

  reset(): void {
    this.start = 0;
    this.count_ = 0;
    this.bytes_ = 0;
  }
}

// A min-heap of lease IDs ordered by the time each is due for a look, with O(log n) update and
// removal by ID (an index from ID to heap slot). Renewing a lease moves its one entry instead of
// pushing another, so the heap never holds more entries than there are leases.

import { assert } from '../util/assert.js';

interface Slot {
  id: bigint;
  /** ms, on the leader's clock. */
  due: number;
}

export class DueQueue {
  private readonly heap: Slot[] = [];
  private readonly pos = new Map<bigint, number>();

  get size(): number {
    return this.heap.length;
  }

  /** Inserts id, or moves it if already present. */
  set(id: bigint, due: number): void {
    const i = this.pos.get(id);
    if (i === undefined) {
      this.heap.push({ id, due });
      this.pos.set(id, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const slot = this.heap[i]!;
    const old = slot.due;
    slot.due = due;
    if (due < old) this.up(i);
    else this.down(i);
  }

  delete(id: bigint): void {
    const i = this.pos.get(id);
    if (i === undefined) return;
    this.pos.delete(id);
    const last = this.heap.pop()!;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    this.pos.set(last.id, i);
    this.up(i);
    this.down(this.pos.get(last.id)!);
  }

  /** The earliest entry, without removing it. */
  peek(): Slot | undefined {
    const s = this.heap[0];
    return s === undefined ? undefined : { id: s.id, due: s.due };
  }

  clear(): void {
    this.heap.length = 0;
    this.pos.clear();
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= h[i]!.due) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.due < h[m]!.due) m = l;
      if (r < h.length && h[r]!.due < h[m]!.due) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const x = h[a]!;
    const y = h[b]!;
    h[a] = y;
    h[b] = x;
    this.pos.set(y.id, a);
    this.pos.set(x.id, b);
    assert(this.pos.size === h.length, 'DueQueue: index out of step with heap');
  }
}

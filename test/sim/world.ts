// The simulator's world: a virtual clock, one seeded PRNG, an event queue and a trace hash.
// Nothing here knows about Raft, so later simulations (regions, placement) reuse it.
//
// Determinism: events run in (time, insertion order); all randomness comes from `rand`; the
// trace hash folds in every event, so two runs of one seed can be compared by one string.

import { Fnv64 } from '../../src/util/hash.js';
import { Prng } from '../../src/util/prng.js';

interface Scheduled {
  time: number;
  seq: number;
  run: () => void;
}

export class World {
  now = 0;
  readonly rand: Prng;
  readonly trace = new Fnv64();
  /** Events executed so far. */
  steps = 0;
  private seq = 0;
  private readonly heap: Scheduled[] = [];

  constructor(readonly seed: number) {
    this.rand = new Prng(seed);
  }

  /** Runs `run` at now + delay (delay >= 0). */
  after(delay: number, run: () => void): void {
    this.push({ time: this.now + delay, seq: this.seq++, run });
  }

  /** Runs the next event; returns false if there is none or it lies beyond `until`. */
  runNext(until: number): boolean {
    const top = this.heap[0];
    if (!top || top.time > until) return false;
    this.pop();
    this.now = top.time;
    this.steps++;
    top.run();
    return true;
  }

  /** Runs every event up to and including time `until`, then sets the clock there. */
  runUntil(until: number): void {
    while (this.runNext(until)) {
      // keep going
    }
    if (this.now < until) this.now = until;
  }

  get pending(): number {
    return this.heap.length;
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(e: Scheduled): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

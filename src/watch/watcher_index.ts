// The synced watchers, indexed by key range so that publishing an event costs a look at the
// watchers it matches, not at every watcher: single-key watchers by key in a map, range and
// from-key watchers grouped by identical range in an interval tree (10,000 watchers of one prefix
// are one tree node).

import { IntervalTree } from './interval_tree.js';
import type { Watcher } from './watcher.js';

interface RangeGroup {
  watchers: Set<Watcher>;
}

export class WatcherIndex {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly groups = new Map<string, RangeGroup>();
  private readonly tree = new IntervalTree<RangeGroup>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    const r = w.range;
    if (r.end === undefined) {
      let set = this.byKey.get(r.start);
      if (set === undefined) this.byKey.set(r.start, (set = new Set()));
      set.add(w);
    } else {
      let g = this.groups.get(r.sig);
      if (g === undefined) {
        g = { watchers: new Set() };
        this.groups.set(r.sig, g);
        this.tree.insert(r.start, r.end, r.sig, g);
      }
      g.watchers.add(w);
    }
    this.count++;
  }

  delete(w: Watcher): void {
    const r = w.range;
    if (r.end === undefined) {
      const set = this.byKey.get(r.start);
      if (set === undefined || !set.delete(w)) return;
      if (set.size === 0) this.byKey.delete(r.start);
    } else {
      const g = this.groups.get(r.sig);
      if (g === undefined || !g.watchers.delete(w)) return;
      if (g.watchers.size === 0) {
        this.groups.delete(r.sig);
        this.tree.remove(r.start, r.sig);
      }
    }
    this.count--;
  }

  /** Every watcher, as a list (safe to change the index while walking it). */
  all(): Watcher[] {
    const out: Watcher[] = [];
    for (const set of this.byKey.values()) for (const w of set) out.push(w);
    for (const g of this.groups.values()) for (const w of g.watchers) out.push(w);
    return out;
  }

  /** Calls fn for every watcher whose range holds key k (latin1). */
  match(k: string, fn: (w: Watcher) => void): void {
    const set = this.byKey.get(k);
    if (set !== undefined) for (const w of set) fn(w);
    this.tree.stab(k, (g) => {
      for (const w of g.watchers) fn(w);
    });
  }
}

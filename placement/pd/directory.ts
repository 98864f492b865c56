// PD's region directory: regions by ID, and the range-mode ones also in key order, so that a
// report's overlaps and a key's region are found by binary search (100,000 regions: a new PD
// leader loads them, and every heartbeat is placed, in O(log n) each instead of O(n)).
//
// Range-mode entries never overlap (placeReport keeps it so), so their start keys are distinct
// and sort them; hash-mode groups (slots) are only in the map.

import { compareKeys, keyInRange, type Region, type RegionId } from '../../src/cluster/region.js';

export class RegionDirectory extends Map<RegionId, Region> {
  /** Range-mode regions in start-key order. */
  private sorted: Region[] = [];

  override set(id: RegionId, r: Region): this {
    const old = super.get(id);
    if (old && !old.slots) this.remove(old);
    super.set(id, r);
    if (!r.slots) this.sorted.splice(this.lowerBound(r.start, r.id), 0, r);
    return this;
  }

  override delete(id: RegionId): boolean {
    const old = super.get(id);
    if (old && !old.slots) this.remove(old);
    return super.delete(id);
  }

  override clear(): void {
    super.clear();
    this.sorted = [];
  }

  /** Range-mode regions overlapping r's range, in key order. */
  *overlapping(r: Region): Iterable<Region> {
    let i = this.lowerBound(r.start, -1);
    if (i > 0) i--; // the one starting before r may reach into it
    for (; i < this.sorted.length; i++) {
      const x = this.sorted[i]!;
      if (r.end.length !== 0 && compareKeys(x.start, r.end) >= 0) break;
      const xEndsBefore = x.end.length !== 0 && compareKeys(x.end, r.start) <= 0;
      if (!xEndsBefore) yield x;
    }
  }

  /** The range-mode region holding key. */
  locate(key: Uint8Array): Region | undefined {
    // The last region starting at or before key.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.sorted[mid]!.start, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const r = this.sorted[lo - 1];
    return r && keyInRange(key, r.start, r.end) ? r : undefined;
  }

  /** The first position whose (start, id) is not below (start, id). */
  private lowerBound(start: Uint8Array, id: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = this.sorted[mid]!;
      const c = compareKeys(x.start, start) || x.id - id;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private remove(r: Region): void {
    const i = this.lowerBound(r.start, r.id);
    if (this.sorted[i] === r) this.sorted.splice(i, 1);
    else {
      const j = this.sorted.indexOf(r);
      if (j >= 0) this.sorted.splice(j, 1);
    }
  }
}

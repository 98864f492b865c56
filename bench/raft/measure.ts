// Small helpers for repeated measurements: medians, forced collections, heap deltas.

import { assert } from '../../src/util/assert.js';

export function median(xs: readonly number[]): number {
  assert(xs.length > 0, 'median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** global.gc exists only when node runs with --expose-gc (the bench:raft script passes it). */
export function gcExposed(): boolean {
  return typeof globalThis.gc === 'function';
}

/** Collects garbage if we may; several passes, so objects freed by finalizers go too. */
export function collect(): void {
  if (!gcExposed()) return;
  for (let i = 0; i < 3; i++) globalThis.gc!();
}

/**
 * Heap bytes that what `make` builds keeps alive (heapUsed after minus before). Exact only with
 * --expose-gc; without it, garbage made along the way is counted too.
 */
export function retainedHeap<T>(make: () => T): { value: T; bytes: number } {
  collect();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  collect();
  const after = process.memoryUsage().heapUsed;
  return { value, bytes: after - before };
}

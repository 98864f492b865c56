// Merging lists that are each sorted into one sorted list, stopping after `limit` items: a
// binary heap of list heads, O(limit · log k) for k lists. Range mode's pieces are disjoint and
// come in key order, so the heap just walks them one after another; hash mode's pieces
// interleave (every group holds keys from everywhere), which is what the heap is for:
//
//   [a, d, e] [b, c] [f]  limit 4  →  [a, b, c, d]

import { assert } from '../util/assert.js';

export function mergeSorted<T>(lists: readonly (readonly T[])[], cmp: (a: T, b: T) => number, limit = Infinity): T[] {
  assert(limit >= 0, `mergeSorted: limit ${limit}`);
  const out: T[] = [];
  // The heap holds the indexes of the non-empty lists; pos[i] is list i's head.
  const pos = new Array<number>(lists.length).fill(0);
  const heap: number[] = [];
  const less = (i: number, j: number): boolean => {
    const c = cmp(lists[i]![pos[i]!]!, lists[j]![pos[j]!]!);
    return c < 0 || (c === 0 && i < j); // equal items: the earlier list first, so merging is stable
  };
  const down = (at: number): void => {
    for (;;) {
      const l = 2 * at + 1;
      if (l >= heap.length) return;
      const r = l + 1;
      const m = r < heap.length && less(heap[r]!, heap[l]!) ? r : l;
      if (!less(heap[m]!, heap[at]!)) return;
      [heap[m], heap[at]] = [heap[at]!, heap[m]!];
      at = m;
    }
  };
  for (let i = 0; i < lists.length; i++) if (lists[i]!.length > 0) heap.push(i);
  for (let at = (heap.length >>> 1) - 1; at >= 0; at--) down(at);

  while (heap.length > 0 && out.length < limit) {
    const i = heap[0]!;
    out.push(lists[i]![pos[i]!]!);
    pos[i] = pos[i]! + 1;
    if (pos[i]! === lists[i]!.length) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    down(0);
  }
  return out;
}

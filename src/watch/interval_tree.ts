// An interval tree over key ranges [start, end) (end null = unbounded) answering "which ranges
// hold key k" in O(log n + matches): a treap ordered by (start, id) where every node also knows
// the largest end in its subtree, so whole subtrees that end at or before k are skipped. Like the
// interval tree etcd's watcher group uses (pkg/adt), for the same reason: publishing an event
// must not cost a look at every range watcher.
//
// Priorities come from a fixed xorshift sequence, not Math.random: the shape, and so every run,
// is reproducible.

import { assert } from '../util/assert.js';

interface Node<T> {
  start: string;
  end: string | null;
  /** Unique per interval; breaks ties between equal starts. */
  id: string;
  value: T;
  prio: number;
  /** Largest end in this subtree; null = unbounded. */
  maxEnd: string | null;
  left: Node<T> | undefined;
  right: Node<T> | undefined;
}

/** a > b, with null as +infinity. */
function endAfter(a: string | null, b: string | null): boolean {
  if (a === null) return b !== null;
  return b !== null && a > b;
}

function cmp(aStart: string, aId: string, b: Node<unknown>): number {
  if (aStart !== b.start) return aStart < b.start ? -1 : 1;
  if (aId !== b.id) return aId < b.id ? -1 : 1;
  return 0;
}

export class IntervalTree<T> {
  private root: Node<T> | undefined;
  private seed = 0x2545f491;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds [start, end) under a unique id. */
  insert(start: string, end: string | null, id: string, value: T): void {
    assert(end === null || end > start, 'IntervalTree: empty interval');
    const node: Node<T> = { start, end, id, value, prio: this.nextPrio(), maxEnd: end, left: undefined, right: undefined };
    this.root = this.insertAt(this.root, node);
    this.count++;
  }

  remove(start: string, id: string): void {
    const before = this.count;
    this.root = this.removeAt(this.root, start, id);
    assert(this.count === before - 1, 'IntervalTree: removing an interval that is not there');
  }

  /** Calls fn with the value of every interval holding key k. */
  stab(k: string, fn: (value: T) => void): void {
    this.stabAt(this.root, k, fn);
  }

  private stabAt(n: Node<T> | undefined, k: string, fn: (value: T) => void): void {
    while (n !== undefined) {
      // Nothing below ends after k: no interval here holds it.
      if (n.maxEnd !== null && n.maxEnd <= k) return;
      this.stabAt(n.left, k, fn);
      // Every start on the right is >= n.start; if n.start > k, none of them holds k.
      if (n.start > k) return;
      if (n.end === null || n.end > k) fn(n.value);
      n = n.right;
    }
  }

  private insertAt(n: Node<T> | undefined, node: Node<T>): Node<T> {
    if (n === undefined) return node;
    const c = cmp(node.start, node.id, n);
    assert(c !== 0, 'IntervalTree: duplicate interval id');
    if (c < 0) {
      n.left = this.insertAt(n.left, node);
      if (n.left.prio > n.prio) n = rotateRight(n);
    } else {
      n.right = this.insertAt(n.right, node);
      if (n.right.prio > n.prio) n = rotateLeft(n);
    }
    fix(n);
    return n;
  }

  private removeAt(n: Node<T> | undefined, start: string, id: string): Node<T> | undefined {
    if (n === undefined) return undefined;
    const c = cmp(start, id, n);
    if (c < 0) n.left = this.removeAt(n.left, start, id);
    else if (c > 0) n.right = this.removeAt(n.right, start, id);
    else {
      this.count--;
      return merge(n.left, n.right);
    }
    fix(n);
    return n;
  }

  private nextPrio(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}

function fix(n: Node<unknown>): void {
  let m = n.end;
  if (n.left !== undefined && endAfter(n.left.maxEnd, m)) m = n.left.maxEnd;
  if (n.right !== undefined && endAfter(n.right.maxEnd, m)) m = n.right.maxEnd;
  n.maxEnd = m;
}

function rotateRight<T>(n: Node<T>): Node<T> {
  const l = n.left!;
  n.left = l.right;
  l.right = n;
  fix(n);
  fix(l);
  return l;
}

function rotateLeft<T>(n: Node<T>): Node<T> {
  const r = n.right!;
  n.right = r.left;
  r.left = n;
  fix(n);
  fix(r);
  return r;
}

/** Joins two treaps where every key of a precedes every key of b. */
function merge<T>(a: Node<T> | undefined, b: Node<T> | undefined): Node<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.prio > b.prio) {
    a.right = merge(a.right, b);
    fix(a);
    return a;
  }
  b.left = merge(a, b.left);
  fix(b);
  return b;
}

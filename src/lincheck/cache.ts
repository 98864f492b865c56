// Lowe's cache: the configurations (set of linearized operations, model state) the search has
// already been in. Reaching one again cannot lead anywhere new, so the search backs out.
//
// The set is a bitset over the partition's operations with a Zobrist hash kept up to date on
// every add and remove (XOR of one random word per operation), so a lookup hashes in O(1) and
// only compares bitsets on a hash match.

import { Prng } from '../util/prng.js';
import { assert } from '../util/assert.js';

export class LinearizedSet {
  readonly words: Uint32Array;
  hash = 0;
  private readonly zobrist: Uint32Array;

  /** `seed` only picks the hash words; any seed gives the same answers. */
  constructor(size: number, seed = 0x5eed) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.zobrist = new Uint32Array(size);
    const rand = new Prng(seed);
    for (let i = 0; i < size; i++) this.zobrist[i] = rand.u32();
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    assert(!this.has(i), `operation ${i} is already linearized`);
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.hash = (this.hash ^ this.zobrist[i]!) >>> 0;
  }

  remove(i: number): void {
    assert(this.has(i), `operation ${i} is not linearized`);
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.hash = (this.hash ^ this.zobrist[i]!) >>> 0;
  }
}

export interface StateEquality<State> {
  equal(a: State, b: State): boolean;
  hash(state: State): number;
}

/**
 * A hash set of configurations in flat typed arrays: entry i has its bitset at
 * `words[i * wordsPerEntry ...]`, its state at `states[i]`, and chains to `next[i]` within its
 * bucket. About 16 + 4 * wordsPerEntry bytes per entry, against a few hundred for one object and
 * one typed array per entry, which is what lets a search remember millions of configurations.
 */
export class VisitedCache<State> {
  private readonly wordsPerEntry: number;
  private words: Uint32Array;
  private hashes: Uint32Array;
  private next: Int32Array;
  private readonly states: State[] = [];
  private buckets: Int32Array;
  private entries = 0;

  /**
   * NB: past `entriesMax` the cache stops growing. The search stays correct (the cache only
   * prunes repeats) but may slow down; the time bound then decides.
   */
  constructor(
    private readonly equality: StateEquality<State>,
    private readonly entriesMax: number,
    setSize: number,
  ) {
    this.wordsPerEntry = Math.max(1, Math.ceil(setSize / 32));
    const capacity = 1024;
    this.words = new Uint32Array(capacity * this.wordsPerEntry);
    this.hashes = new Uint32Array(capacity);
    this.next = new Int32Array(capacity);
    this.buckets = new Int32Array(capacity).fill(-1);
  }

  get size(): number {
    return this.entries;
  }

  /** Records (set, state); false if that configuration was seen before. */
  add(set: LinearizedSet, state: State): boolean {
    assert(set.words.length <= this.wordsPerEntry, 'a linearized set larger than the cache was built for');
    const h = (set.hash ^ Math.imul(this.equality.hash(state) | 0, 0x9e3779b1)) >>> 0;
    const mask = this.buckets.length - 1;
    for (let i = this.buckets[h & mask]!; i !== -1; i = this.next[i]!) {
      if (this.hashes[i] === h && this.sameSet(i, set.words) && this.equality.equal(this.states[i]!, state)) return false;
    }
    if (this.entries >= this.entriesMax) return true;
    if (this.entries === this.hashes.length) this.grow();
    const i = this.entries++;
    this.words.set(set.words, i * this.wordsPerEntry);
    this.hashes[i] = h;
    this.states.push(state);
    const b = h & (this.buckets.length - 1);
    this.next[i] = this.buckets[b]!;
    this.buckets[b] = i;
    return true;
  }

  private sameSet(i: number, words: Uint32Array): boolean {
    const base = i * this.wordsPerEntry;
    for (let w = 0; w < words.length; w++) if (this.words[base + w] !== words[w]) return false;
    return true;
  }

  /** Doubles the capacity and the bucket count (one bucket per entry slot), re-chaining every entry. */
  private grow(): void {
    const capacity = this.hashes.length * 2;
    const words = new Uint32Array(capacity * this.wordsPerEntry);
    words.set(this.words);
    this.words = words;
    const hashes = new Uint32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.next = new Int32Array(capacity);
    this.buckets = new Int32Array(capacity).fill(-1);
    const mask = capacity - 1;
    for (let i = 0; i < this.entries; i++) {
      const b = this.hashes[i]! & mask;
      this.next[i] = this.buckets[b]!;
      this.buckets[b] = i;
    }
  }
}

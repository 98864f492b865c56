// Majority quorums: decisions that need more than half of a set of voters.

import type { Index, NodeId } from '../types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

/** Looks up how far a voter's log is known to match the leader's (undefined if unknown). */
export type AckedIndexer = (id: NodeId) => Index | undefined;

/** An empty majority config is a neutral element: it commits everything and wins every vote. */
export const infiniteIndex = Number.MAX_SAFE_INTEGER as Index;

export class MajorityConfig {
  readonly ids: ReadonlySet<NodeId>;

  constructor(ids: Iterable<NodeId> = []) {
    this.ids = new Set(ids);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: NodeId): boolean {
    return this.ids.has(id);
  }

  sorted(): NodeId[] {
    return [...this.ids].sort((a, b) => a - b);
  }

  toString(): string {
    return `(${this.sorted().join(' ')})`;
  }

  /**
   * The largest index that a majority has acknowledged.
   *
   * Example: voters {1,2,3,4,5} with acked indexes 9, 7, 7, 4, 0: sorted descending
   * [9 7 7 4 0], a majority is 3, so the answer is the 3rd: 7.
   */
  committedIndex(acked: AckedIndexer): Index {
    const n = this.ids.size;
    if (n === 0) return infiniteIndex;
    // Small configs are the common case; a plain array sort is fine.
    const srt: number[] = new Array(n);
    let i = 0;
    for (const id of this.ids) srt[i++] = acked(id) ?? 0;
    srt.sort((a, b) => b - a);
    return srt[Math.floor(n / 2)]! as Index;
  }

  /** Whether the votes so far (true = granted) decide the election. Missing voters are pending. */
  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    if (this.ids.size === 0) return 'won';
    let yes = 0;
    let missing = 0;
    for (const id of this.ids) {
      const v = votes.get(id);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = Math.floor(this.ids.size / 2) + 1;
    if (yes >= q) return 'won';
    if (yes + missing >= q) return 'pending';
    return 'lost';
  }
}

// Joint quorums: during a membership change decisions need a majority of the incoming voters
// AND a majority of the outgoing voters (Raft §6, joint consensus).

import type { Index, NodeId } from '../types.js';
import { MajorityConfig, type AckedIndexer, type VoteResult } from './majority.js';

export class JointConfig {
  constructor(
    readonly incoming: MajorityConfig = new MajorityConfig(),
    /** Empty unless a joint configuration is in effect. */
    readonly outgoing: MajorityConfig = new MajorityConfig(),
  ) {}

  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** Every voter of either half. */
  ids(): Set<NodeId> {
    const s = new Set<NodeId>(this.incoming.ids);
    for (const id of this.outgoing.ids) s.add(id);
    return s;
  }

  has(id: NodeId): boolean {
    return this.incoming.has(id) || this.outgoing.has(id);
  }

  toString(): string {
    return this.isJoint() ? `${this.incoming}&&${this.outgoing}` : this.incoming.toString();
  }

  committedIndex(acked: AckedIndexer): Index {
    const a = this.incoming.committedIndex(acked);
    const b = this.outgoing.committedIndex(acked);
    return (a < b ? a : b) as Index;
  }

  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    const a = this.incoming.voteResult(votes);
    const b = this.outgoing.voteResult(votes);
    if (a === b) return a;
    if (a === 'lost' || b === 'lost') return 'lost';
    return 'pending';
  }
}

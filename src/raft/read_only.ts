// Linearizable reads (Raft §6.4).
//
// 'safe' (ReadIndex): the leader records its commit index for the read, then confirms it is
// still leader with one heartbeat round; every read queued before the round completes is
// served by it, so one round serves many reads (batching).
// 'lease-based': the leader answers at once, trusting check-quorum's lease: no other leader
// can be elected until an election timeout passes without a quorum hearing from it. Correct
// only while clocks drift less than that timeout allows.
//
// Example: reads r1, r2 arrive at commit 7 and r3 at commit 9; heartbeats carry ctx r3. When a
// quorum acks r3, r1..r3 are all released (r1, r2 at index 7, r3 at index 9).

import type { Index, Message, NodeId } from './types.js';

export type ReadOnlyOption = 'safe' | 'lease-based';

export interface ReadIndexStatus {
  req: Message;
  index: Index;
  acks: Set<NodeId>;
}

export class ReadOnly {
  readonly pending = new Map<string, ReadIndexStatus>();
  queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  /** Queues a read whose context is m.context, at the leader's commit index. */
  addRequest(index: Index, m: Message): void {
    const ctx = m.context ?? '';
    if (this.pending.has(ctx)) return;
    this.pending.set(ctx, { index, req: m, acks: new Set() });
    this.queue.push(ctx);
  }

  /** Records a heartbeat ack for ctx and returns who has acked it (undefined if unknown). */
  recvAck(id: NodeId, ctx: string): Set<NodeId> | undefined {
    const rs = this.pending.get(ctx);
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases every read queued up to and including ctx. */
  advance(ctx: string): ReadIndexStatus[] {
    const at = this.queue.indexOf(ctx);
    if (at < 0) return [];
    const released = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const c of released) {
      const rs = this.pending.get(c);
      if (rs) out.push(rs);
      this.pending.delete(c);
    }
    return out;
  }

  lastPendingRequestCtx(): string | undefined {
    return this.queue.length === 0 ? undefined : this.queue[this.queue.length - 1];
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}

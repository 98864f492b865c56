// A Raft group run inside one process for benchmarks: N RawNodes over MemoryStorage, each
// message handed to its recipient by reference (no encoding, no I/O, no clock). What is left to
// measure is the Raft core itself plus MemoryStorage.
//
// One round, for every node in turn: if it has a Ready, persist (MemoryStorage), queue its
// messages, apply, advance. Then deliver every message queued in the round. Messages therefore
// leave only after the Ready that produced them is persisted, as the Ready contract requires.
//
// Worked example (3 voters, one proposal on the leader, closed loop until nothing is left):
//   round 1: leader persists entry 7 and sends app(7) to 2 and 3      (2 messages)
//   round 2: followers persist 7 and answer app-resp; the leader commits 7 (2)
//   round 3: leader applies 7 and tells the followers: app(commit 7)   (2)
//   round 4: followers apply 7 and answer app-resp                     (2)
//   round 5: nothing to do: quiet. 4 busy rounds and 8 messages for the entry.

import { assert } from '../../src/util/assert.js';
import { Prng } from '../../src/util/prng.js';
import {
  MemoryStorage,
  RawNode,
  emptyConfState,
  type Index,
  type Message,
  type NodeId,
  type Ready,
  type Term,
} from '../../src/raft/index.js';

export interface ClusterOptions {
  voters: number;
  seed: number;
  /** Etcd's defaults: a heartbeat every tick, elections after 10 to 20 ticks. */
  electionTicks?: number;
  heartbeatTicks?: number;
}

/**
 * Writes the state a freshly bootstrapped group starts from: a snapshot at index 1, term 1,
 * whose configuration holds `voters`. Every member's storage starts out the same.
 */
export function bootstrapStorage(voters: NodeId[]): MemoryStorage {
  const storage = new MemoryStorage();
  storage.applySnapshot({
    metadata: { index: 1 as Index, term: 1 as Term, confState: { ...emptyConfState(), voters: [...voters] } },
    data: new Uint8Array(0),
  });
  return storage;
}

/** Persists what a Ready asks to persist (MemoryStorage: no fsync to do). */
export function persistReady(storage: MemoryStorage, rd: Ready): void {
  if (rd.snapshot) storage.applySnapshot(rd.snapshot);
  if (rd.entries.length > 0) storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
}

export class LocalCluster {
  /** nodes[i] has id i + 1. */
  readonly nodes: RawNode[] = [];
  readonly storages: MemoryStorage[] = [];
  /** Non-empty normal entries applied by each node (a new leader's empty entry is not counted). */
  readonly appliedPayloads: number[];
  /** Network messages sent (a leader's note to itself that its entries are durable is not one). */
  messagesSent = 0;
  rounds = 0;
  private queued: Message[] = [];

  constructor(opts: ClusterOptions) {
    assert(opts.voters >= 1, 'cluster: at least one voter');
    const ids = Array.from({ length: opts.voters }, (_, i) => i + 1);
    const rand = new Prng(opts.seed);
    for (const id of ids) {
      const storage = bootstrapStorage(ids);
      this.storages.push(storage);
      this.nodes.push(
        new RawNode({
          id,
          group: 1,
          storage,
          electionTicks: opts.electionTicks ?? 10,
          heartbeatTicks: opts.heartbeatTicks ?? 1,
          rand: rand.fork(),
        }),
      );
    }
    this.appliedPayloads = ids.map(() => 0);
  }

  /** Node 1 campaigns and wins; returns it once the group is quiet again. */
  electFirst(): RawNode {
    const leader = this.nodes[0]!;
    leader.campaign();
    this.settle();
    assert(leader.raft.state === 'leader', `cluster: node 1 did not become leader (${leader.raft.state})`);
    return leader;
  }

  /** One round (see the module comment). Returns false if no node had anything to do. */
  round(): boolean {
    let busy = false;
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      if (!node.hasReady()) continue;
      busy = true;
      const rd = node.ready();
      persistReady(this.storages[i]!, rd);
      for (const m of rd.messages) this.queued.push(m);
      let applied = 0;
      for (const e of rd.committedEntries) {
        assert(e.type === 'normal', 'cluster: the benchmark proposes no membership changes');
        if (e.data.length > 0) applied++;
      }
      this.appliedPayloads[i]! += applied;
      node.advance(rd);
    }
    const msgs = this.queued;
    if (msgs.length > 0) {
      busy = true;
      this.queued = [];
      this.messagesSent += msgs.length;
      for (const m of msgs) {
        const err = this.nodes[m.to - 1]!.step(m);
        assert(err === undefined, `cluster: step ${m.type} to ${m.to} failed: ${err?.message}`);
      }
    }
    if (busy) this.rounds++;
    return busy;
  }

  /** Runs rounds until no node has work and no message is in flight. Returns the rounds run. */
  settle(roundsMax = 1000): number {
    let n = 0;
    while (this.round()) {
      n++;
      assert(n < roundsMax, `cluster: not quiescent after ${roundsMax} rounds`);
    }
    return n;
  }

  /** The lowest index applied on every node. */
  minApplied(): Index {
    let min = Infinity;
    for (const node of this.nodes) min = Math.min(min, node.raft.raftLog.applied);
    return min as Index;
  }

  /**
   * Drops log entries every node has applied, as a server does after a snapshot. Call only when
   * the group is quiet (a follower's slower progress could otherwise still need them).
   * NB: MemoryStorage.append copies the whole log, so without this the cost of a run would grow
   * with its length and the figures would depend on --seconds.
   */
  maybeCompact(entriesMin: number): void {
    const upTo = this.minApplied();
    for (const storage of this.storages) {
      if (upTo - storage.firstIndex() + 1 >= entriesMin) storage.compact(upTo);
    }
  }
}

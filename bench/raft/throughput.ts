// Raft core throughput: entries committed and applied on every member of a 3-voter group per
// second, with the group in one process (LocalCluster: MemoryStorage, messages by reference).
//
// Closed loop. One turn: the leader takes `perTurn` proposals, then rounds run until the group
// is quiet, so every entry of the turn is committed and applied on all members before the next
// turn starts. `perTurn` 1 is the unbatched case; with more, the proposals of a turn leave in one
// append message per follower (the core batches them when ready() is called).

import { assert } from '../../src/util/assert.js';
import { Prng } from '../../src/util/prng.js';
import { LocalCluster } from './cluster.js';

/** How a turn's proposals reach the leader. */
export type ProposeStyle = 'propose' | 'proposeBatch';

export interface ThroughputOptions {
  voters: number;
  /** Proposals per turn. */
  perTurn: number;
  /** 'propose': perTurn calls of propose(); 'proposeBatch': one proposeBatch() call. */
  style: ProposeStyle;
  payloadBytes: number;
  seed: number;
  /** Stop once this many entries are applied (rounded up to a whole turn). */
  entriesMax?: number;
  /** Stop once this much time has passed (checked between turns). */
  durationNs?: bigint;
  /** Compact the logs once every member has applied this many entries beyond the first index. */
  compactEntriesMin?: number;
}

export interface ThroughputResult {
  /** Entries proposed, and committed and applied on every member. */
  entries: number;
  /** Entries each member applied during the run (each equals `entries`; asserted). */
  appliedPerNode: number[];
  elapsedNs: bigint;
  turns: number;
  rounds: number;
  messages: number;
  entriesPerSec: number;
  messagesPerEntry: number;
  roundsPerTurn: number;
}

export function runThroughput(opts: ThroughputOptions): ThroughputResult {
  assert(opts.perTurn >= 1, 'throughput: perTurn must be at least 1');
  // Empty entries are a new leader's; the count of applied entries skips them.
  assert(opts.payloadBytes >= 1, 'throughput: payloads must not be empty');
  assert(opts.entriesMax !== undefined || opts.durationNs !== undefined, 'throughput: give entriesMax or durationNs');
  const entriesMax = opts.entriesMax ?? Infinity;
  const compactEntriesMin = opts.compactEntriesMin ?? 1024;

  const cluster = new LocalCluster({ voters: opts.voters, seed: opts.seed });
  const leader = cluster.electFirst();
  // The payloads of one turn, reused every turn: the core never looks into them or keeps the
  // array passed to proposeBatch, and fresh buffers would only measure the allocator.
  const payloads = makePayloads(opts.perTurn, opts.payloadBytes, new Prng(opts.seed ^ 0x5eed));
  const applied0 = cluster.appliedPayloads.slice();
  const messages0 = cluster.messagesSent;
  const rounds0 = cluster.rounds;

  let entries = 0;
  let turns = 0;
  const start = process.hrtime.bigint();
  let now = start;
  for (;;) {
    if (opts.style === 'proposeBatch') {
      leader.proposeBatch(payloads);
    } else {
      for (const p of payloads) leader.propose(p);
    }
    cluster.settle();
    entries += opts.perTurn;
    turns++;
    cluster.maybeCompact(compactEntriesMin);
    now = process.hrtime.bigint();
    if (entries >= entriesMax) break;
    if (opts.durationNs !== undefined && now - start >= opts.durationNs) break;
  }
  const elapsedNs = now - start;

  const appliedPerNode = cluster.appliedPayloads.map((n, i) => n - applied0[i]!);
  appliedPerNode.forEach((applied, i) => {
    assert(applied === entries, `throughput: node ${i + 1} applied ${applied} entries, ${entries} were proposed`);
  });
  assert(leader.raft.state === 'leader', 'throughput: the leader lost its leadership');
  const messages = cluster.messagesSent - messages0;
  const rounds = cluster.rounds - rounds0;
  return {
    entries,
    appliedPerNode,
    elapsedNs,
    turns,
    rounds,
    messages,
    entriesPerSec: (entries * 1e9) / Number(elapsedNs),
    messagesPerEntry: messages / entries,
    roundsPerTurn: rounds / turns,
  };
}

function makePayloads(count: number, bytes: number, rand: Prng): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const p = new Uint8Array(bytes);
    for (let j = 0; j < bytes; j++) p[j] = rand.int(256);
    out.push(p);
  }
  return out;
}

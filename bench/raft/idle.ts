// Idle groups: what a node pays, every tick, for thousands of groups that have nothing to do.
// Each group here is one RawNode over its own MemoryStorage; the peers are not simulated, so
// the messages an idle group sends (a follower's heartbeat responses) are dropped.
//
// Two populations, measured separately:
// - 'leader-1': the only voter of its group, and so its leader. A tick counts the heartbeat
//   and election clocks and (heartbeatTicks = 1) steps a beat that finds no peer to send to.
// - 'follower-3': member 2 of a 3-voter group whose leader is 1, holding the leader's first
//   entry. A tick counts the election clock. A real leader resets that clock with a heartbeat
//   every tick; here heartbeats arrive between timed blocks (at most 2 * ticksPerBlock ticks
//   apart, less than an election timeout), timed on their own, so no follower ever campaigns.
//
// One block: [followers: each steps a heartbeat, and its Ready (a heartbeat response) is
// drained], ticksPerBlock rounds of tick() over all groups, ticksPerBlock rounds of tick() and
// hasReady() over all groups. An idle group never has a Ready after a tick; that is asserted.

import { assert } from '../../src/util/assert.js';
import { Prng } from '../../src/util/prng.js';
import { RawNode, message, type Index, type MemoryStorage, type Term } from '../../src/raft/index.js';
import { bootstrapStorage, persistReady } from './cluster.js';

export type IdleKind = 'leader-1' | 'follower-3';

export const idleKindDescriptions: Record<IdleKind, string> = {
  'leader-1': 'single-voter leaders',
  'follower-3': 'followers of 3-voter groups with a leader',
};

/** Etcd's defaults: a heartbeat every tick, elections after 10 to 20 ticks. */
export const idleElectionTicks = 10;
export const idleHeartbeatTicks = 1;
/** Tick rounds per block in each of the two timed loops; followers hear a heartbeat every 2x this. */
export const idleTicksPerBlock = 4;

const leaderTerm = 2 as Term;
/** The leader's first entry of its term (empty), committed. */
const leaderIndex = 2 as Index;

export interface IdleGroups {
  kind: IdleKind;
  nodes: RawNode[];
  storages: MemoryStorage[];
}

export function createIdleGroups(kind: IdleKind, count: number, seed: number): IdleGroups {
  // NB: one generator for all groups, as one lane driving them all would hold one.
  const rand = new Prng(seed);
  const groups: IdleGroups = { kind, nodes: [], storages: [] };
  for (let g = 1; g <= count; g++) {
    const id = kind === 'leader-1' ? 1 : 2;
    const storage = bootstrapStorage(kind === 'leader-1' ? [1] : [1, 2, 3]);
    const node = new RawNode({
      id,
      group: g,
      storage,
      electionTicks: idleElectionTicks,
      heartbeatTicks: idleHeartbeatTicks,
      rand,
    });
    if (kind === 'leader-1') {
      node.campaign();
    } else {
      // What leader 1 sends first after winning term 2: its empty entry, already committed.
      const err = node.step(
        message({
          type: 'app',
          group: g,
          from: 1,
          to: 2,
          term: leaderTerm,
          index: 1 as Index,
          logTerm: 1 as Term,
          entries: [{ term: leaderTerm, index: leaderIndex, type: 'normal', data: new Uint8Array(0) }],
          commit: leaderIndex,
        }),
      );
      assert(err === undefined, 'idle: follower refused the leader append');
    }
    drain(node, storage);
    groups.nodes.push(node);
    groups.storages.push(storage);
  }
  checkIdle(groups);
  return groups;
}

/** Handles Readies until there are none; messages go nowhere. */
function drain(node: RawNode, storage: MemoryStorage): void {
  while (node.hasReady()) {
    const rd = node.ready();
    persistReady(storage, rd);
    node.advance(rd);
  }
}

/** Every group is in the state its population describes, with nothing to do. */
export function checkIdle(groups: IdleGroups): void {
  for (const node of groups.nodes) {
    const r = node.raft;
    if (groups.kind === 'leader-1') {
      assert(r.state === 'leader', `idle: group ${r.cfg.group} is ${r.state}, not leader`);
    } else {
      assert(r.state === 'follower' && r.lead === 1 && r.term === leaderTerm, `idle: group ${r.cfg.group} lost its leader`);
    }
    assert(r.raftLog.applied === leaderIndex, `idle: group ${r.cfg.group} applied ${r.raftLog.applied}`);
    assert(!node.hasReady(), `idle: group ${r.cfg.group} has a Ready`);
  }
}

export interface IdleOptions {
  /** Tick rounds per block in each of the two timed loops. */
  ticksPerBlock?: number;
  /** Stop after this many blocks... */
  blocksMax?: number;
  /** ...or once this much time has passed (checked between blocks). */
  durationNs?: bigint;
}

export interface IdleResult {
  groups: number;
  /** Group ticks timed in each of the two loops (groups * rounds). */
  groupTicks: number;
  tickNs: bigint;
  tickHasReadyNs: bigint;
  /** Followers only: heartbeats stepped and drained, and their time. */
  heartbeats: number;
  heartbeatNs: bigint;
  nsPerTick: number;
  nsPerTickHasReady: number;
  nsPerHeartbeat: number;
}

export function measureIdle(groups: IdleGroups, opts: IdleOptions): IdleResult {
  const ticksPerBlock = opts.ticksPerBlock ?? idleTicksPerBlock;
  assert(opts.blocksMax !== undefined || opts.durationNs !== undefined, 'idle: give blocksMax or durationNs');
  if (groups.kind === 'follower-3') {
    // The randomized election timeout is at least electionTicks.
    assert(2 * ticksPerBlock < idleElectionTicks, 'idle: followers would campaign between heartbeats');
  }
  const blocksMax = opts.blocksMax ?? Infinity;
  const nodes = groups.nodes;
  let tickNs = 0n;
  let tickHasReadyNs = 0n;
  let heartbeatNs = 0n;
  let heartbeats = 0;
  let readies = 0;
  let blocks = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    if (groups.kind === 'follower-3') {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < nodes.length; i++) heartbeat(nodes[i]!, groups.storages[i]!);
      heartbeatNs += process.hrtime.bigint() - t0;
      heartbeats += nodes.length;
    }
    const t1 = process.hrtime.bigint();
    for (let r = 0; r < ticksPerBlock; r++) {
      for (let i = 0; i < nodes.length; i++) nodes[i]!.tick();
    }
    const t2 = process.hrtime.bigint();
    for (let r = 0; r < ticksPerBlock; r++) {
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i]!;
        node.tick();
        if (node.hasReady()) readies++;
      }
    }
    const t3 = process.hrtime.bigint();
    tickNs += t2 - t1;
    tickHasReadyNs += t3 - t2;
    blocks++;
    if (blocks >= blocksMax) break;
    if (opts.durationNs !== undefined && t3 - start >= opts.durationNs) break;
  }
  assert(readies === 0, `idle: ${readies} ticks left a group with a Ready`);
  checkIdle(groups);
  const groupTicks = blocks * ticksPerBlock * nodes.length;
  return {
    groups: nodes.length,
    groupTicks,
    tickNs,
    tickHasReadyNs,
    heartbeats,
    heartbeatNs,
    nsPerTick: Number(tickNs) / groupTicks,
    nsPerTickHasReady: Number(tickHasReadyNs) / groupTicks,
    nsPerHeartbeat: heartbeats > 0 ? Number(heartbeatNs) / heartbeats : 0,
  };
}

/** Leader 1's heartbeat reaches member 2, which answers (into the void). */
function heartbeat(node: RawNode, storage: MemoryStorage): void {
  const err = node.step(
    message({ type: 'heartbeat', group: node.raft.cfg.group, from: 1, to: 2, term: leaderTerm, commit: leaderIndex }),
  );
  assert(err === undefined, 'idle: follower refused a heartbeat');
  drain(node, storage);
}

// One simulation run: a seed picks the cluster's shape and options, then drives it through a
// fault phase (crashes, restarts, partitions, lossy/duplicating/reordering links, slow disks,
// membership changes, leader transfers, with proposals and reads throughout) and a liveness
// phase (faults healed: a leader must be elected and a proposal must reach every member within
// a bound). Invariants are checked after every event.

import type { ConfChange, NodeId, ReadOnlyOption } from '../../src/raft/index.js';
import { InvariantViolation } from './invariants.js';
import { RaftCluster, type ClusterOptions } from './raft_cluster.js';
import { World } from './world.js';

export interface RunOptions {
  /** Ticks of the fault phase. */
  faultTicks: number;
  /** Most ticks the healed cluster may take to elect a leader and replicate a proposal. */
  livenessTicks: number;
}

export const defaultRunOptions: RunOptions = { faultTicks: 250, livenessTicks: 300 };

export interface RunResult {
  seed: number;
  ok: boolean;
  violation?: string;
  steps: number;
  ticks: number;
  traceHash: string;
  settings: string;
  proposed: number;
  applied: number;
  readsServed: number;
  faults: Record<string, number>;
  checks: number;
}

export function replayCommand(seed: number, opts: RunOptions): string {
  let cmd = `npm run sim -- --seed ${seed}`;
  if (opts.faultTicks !== defaultRunOptions.faultTicks) cmd += ` --fault-ticks ${opts.faultTicks}`;
  if (opts.livenessTicks !== defaultRunOptions.livenessTicks) cmd += ` --liveness-ticks ${opts.livenessTicks}`;
  return cmd;
}

function pick<T>(w: World, xs: readonly T[]): T {
  return xs[w.rand.int(xs.length)]!;
}

function chooseOptions(w: World): ClusterOptions {
  const size = pick(w, [1, 3, 3, 3, 5, 5]);
  const voters = Array.from({ length: size }, (_, i) => i + 1);
  const learners = w.rand.chance(0.3) ? [size + 1] : [];
  const spares = [size + 2, size + 3, size + 4];
  const checkQuorum = w.rand.chance(0.5);
  const readOnlyOption: ReadOnlyOption = checkQuorum && w.rand.chance(0.5) ? 'lease-based' : 'safe';
  return {
    voters,
    learners,
    spares,
    preVote: w.rand.chance(0.5),
    checkQuorum,
    readOnlyOption,
    electionTicks: 10,
    heartbeatTicks: 1 + w.rand.int(3),
    // 16 bytes fits one small entry per message: replication then takes many messages.
    msgBytesMax: pick(w, [16, 64, 1 << 20]),
    inflightMsgsMax: pick(w, [1, 4, 256]),
    snapshotEntries: 5 + w.rand.int(30),
    compactKeepEntries: w.rand.int(5),
    tickUnits: 10,
    latency: [1, 8],
  };
}

function describe(o: ClusterOptions): string {
  return (
    `voters=${o.voters.length} learners=${o.learners.length} preVote=${o.preVote} checkQuorum=${o.checkQuorum} ` +
    `reads=${o.readOnlyOption} heartbeat=${o.heartbeatTicks} msgBytesMax=${o.msgBytesMax} ` +
    `inflight=${o.inflightMsgsMax} snapshotEvery=${o.snapshotEntries}`
  );
}

export function runSeed(seed: number, ro: RunOptions = defaultRunOptions): RunResult {
  const w = new World(seed);
  const o = chooseOptions(w);
  const faults: Record<string, number> = {};
  const count = (k: string): void => {
    faults[k] = (faults[k] ?? 0) + 1;
  };
  let c: RaftCluster | undefined;
  let ticks = 0;
  const everMember = new Set<NodeId>([...o.voters, ...o.learners]);
  const result = (violation?: string): RunResult => {
    const r: RunResult = {
      seed,
      ok: violation === undefined,
      steps: w.steps,
      ticks,
      traceHash: w.trace.hex(),
      settings: describe(o),
      proposed: c?.proposed ?? 0,
      applied: c?.proposalsApplied.size ?? 0,
      readsServed: c?.readsServed ?? 0,
      faults,
      checks: c?.inv.checks ?? 0,
    };
    if (violation !== undefined) r.violation = violation;
    return r;
  };

  try {
    c = new RaftCluster(w, o);
    const cluster = c;
    const tick = (): void => {
      w.runUntil(w.now + o.tickUnits);
      cluster.tickAll();
      ticks++;
    };
    const randomUp = (): NodeId | undefined => {
      const up = cluster.upNodes();
      return up.length === 0 ? undefined : up[w.rand.int(up.length)]!.id;
    };

    // Fault phase.
    for (let i = 0; i < ro.faultTicks; i++) {
      tick();
      const proposals = w.rand.int(3);
      for (let p = 0; p < proposals; p++) {
        const id = randomUp();
        if (id !== undefined) cluster.propose(id);
      }
      if (w.rand.chance(0.3)) {
        const id = randomUp();
        if (id !== undefined) cluster.read(id);
      }
      if (w.rand.chance(0.015)) {
        const id = randomUp();
        if (id !== undefined) {
          cluster.crash(id);
          count('crash');
        }
      }
      for (const n of cluster.nodes.values()) {
        if (!n.up && everMember.has(n.id) && w.rand.chance(0.08)) {
          cluster.start(n.id);
          count('restart');
        }
      }
      if (w.rand.chance(0.015)) {
        const ids = [...cluster.nodes.keys()];
        const side = ids.filter(() => w.rand.chance(0.5));
        cluster.net.partition(side, ids.filter((x) => !side.includes(x)));
        count('partition');
      }
      if (w.rand.chance(0.008)) {
        const ids = [...cluster.nodes.keys()];
        cluster.net.cutOneWay(pick(w, ids), pick(w, ids));
        count('one-way cut');
      }
      if (w.rand.chance(0.03) && cluster.net.cutLinks > 0) {
        cluster.net.heal();
        count('heal');
      }
      if (w.rand.chance(0.02)) {
        cluster.net.faults = {
          dropRate: pick(w, [0, 0, 0.05, 0.2]),
          dupRate: pick(w, [0, 0, 0.05, 0.2]),
          delayRate: pick(w, [0, 0, 0.05, 0.2]),
        };
        count('link faults');
      }
      if (w.rand.chance(0.01)) {
        const n = cluster.node(pick(w, [...cluster.nodes.keys()]));
        n.slowDisk = !n.slowDisk;
        count('slow disk');
      }
      if (w.rand.chance(0.02) && changeMembership(w, cluster, everMember)) count('membership');
      if (w.rand.chance(0.01)) {
        cluster.transferLeader(pick(w, [...cluster.nodes.keys()]));
        count('transfer');
      }
    }

    // Liveness phase: heal everything; non-members are shut down, members started. Membership
    // may still change (a committed change being applied), so members are looked up each tick.
    cluster.net.heal();
    cluster.net.faults = { dropRate: 0, dupRate: 0, delayRate: 0 };
    for (const n of cluster.nodes.values()) n.slowDisk = false;
    const settle = (): Set<NodeId> => {
      // Members of the newest configuration must apply the proposal. Nodes that a member's
      // (possibly older, e.g. joint) configuration still names keep running: Raft needs them
      // until every member has applied the change that removed them. Everyone else is shut down.
      const members = cluster.members();
      const keep = new Set(members);
      for (const id of members) for (const x of cluster.configOf(id)) keep.add(x);
      for (const n of cluster.nodes.values()) {
        if (!keep.has(n.id)) cluster.crash(n.id);
        else if (!n.up) cluster.start(n.id);
      }
      return members;
    };
    let members = settle();
    // A proposal may be lost when leadership changes (clients retry): try a new one every
    // few election timeouts, and succeed when any of them reaches every member.
    const markers: string[] = [];
    let lastTry = -Infinity;
    let done = false;
    for (let i = 0; i < ro.livenessTicks && !done; i++) {
      tick();
      members = settle();
      const l = cluster.leader();
      if (l && i - lastTry >= 3 * o.electionTicks) {
        const m = cluster.propose(l.id);
        if (m !== undefined) {
          markers.push(m);
          lastTry = i;
        }
      }
      done = markers.some((m) => {
        const by = cluster.appliedBy.get(m);
        return by !== undefined && [...members].every((id) => by.has(id));
      });
    }
    if (!done) {
      const l = cluster.leader();
      throw new InvariantViolation(
        'liveness',
        markers.length === 0
          ? `no leader within ${ro.livenessTicks} ticks after healing`
          : `none of proposals ${markers.join(',')} was applied by every member within ${ro.livenessTicks} ticks (leader ${l?.id}; ` +
            [...members].map((id) => cluster.describeNode(id)).join('; ') + ')',
      );
    }
    return result();
  } catch (err) {
    if (err instanceof InvariantViolation) return result(err.message);
    const e = err as Error;
    return result(`exception: ${e.stack ?? e.message}`);
  }
}

/** Proposes a random membership change at the leader. Returns whether one was proposed. */
function changeMembership(w: World, c: RaftCluster, everMember: Set<NodeId>): boolean {
  const l = c.leader();
  if (!l) return false;
  const cs = l.raw!.status().config;
  const joint = cs.votersOutgoing.length > 0;
  let cc: ConfChange;
  if (joint) {
    cc = { transition: 'auto', changes: [] };
  } else {
    const fresh = [...c.nodes.keys()].filter((id) => !everMember.has(id));
    const options: ConfChange[] = [];
    if (fresh.length > 0) options.push({ transition: 'auto', changes: [{ type: 'add-learner', nodeId: fresh[0]! }] });
    for (const id of cs.learners) options.push({ transition: 'auto', changes: [{ type: 'add-node', nodeId: id }] });
    if (cs.voters.length > 2) {
      const v = pick(w, cs.voters);
      options.push({ transition: 'auto', changes: [{ type: 'remove-node', nodeId: v }] });
      options.push({ transition: 'auto', changes: [{ type: 'add-learner', nodeId: v }] });
    }
    if (cs.learners.length > 0 && cs.voters.length > 1) {
      // Swap a learner in for a voter through a joint configuration.
      options.push({
        transition: pick(w, ['auto', 'joint-implicit', 'joint-explicit'] as const),
        changes: [
          { type: 'add-node', nodeId: pick(w, cs.learners) },
          { type: 'remove-node', nodeId: pick(w, cs.voters) },
        ],
      });
    }
    if (options.length === 0) return false;
    cc = pick(w, options);
  }
  for (const ch of cc.changes) {
    if (ch.type === 'add-learner' && !everMember.has(ch.nodeId)) {
      everMember.add(ch.nodeId);
      const n = c.node(ch.nodeId);
      if (!n.up) c.start(ch.nodeId);
    }
  }
  return c.proposeConfChange(l.id, cc);
}

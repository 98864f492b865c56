// One multi-raft simulation run. A seed picks the cluster's shape (3-5 stores) and Raft options,
// then drives it through:
//   - a fault phase: clients put and read random keys through a router; the driver (PD) splits,
//     merges, moves replicas and transfers leaders; stores crash and restart; the network drops,
//     delays, reorders and partitions; disks slow down;
//   - a liveness phase: faults healed, every store up, no new operators: every operator must
//     finish, stale peers go, and every region converge (a leader, every listed peer initialized
//     and applied to the leader's commit with the same region state and data) within a bound;
//   - the final check: every acknowledged put is readable where its key now lives.
// Invariants are checked after every event (directory.ts, cluster.ts, store metas, client reads).

import { keyInRange, type RegionId, type StoreId } from '../../../src/cluster/region.js';
import { toJson } from '../../../regions/peer/admin/index.js';
import { InvariantViolation } from '../invariants.js';
import { World } from '../world.js';
import { Clients, type ClientStats } from './client.js';
import { MultiRaft } from './cluster.js';
import { Driver, describeRegion, type DriverStats } from './driver.js';
import { keyBytes, type Bug, type SimOptions } from './store.js';

export interface RunOptions {
  /** Ticks of the fault phase. */
  faultTicks: number;
  /** Most ticks the healed cluster may take to converge. */
  livenessTicks: number;
  /** Deliberate bugs (tests prove the invariants catch them). */
  bugs?: ReadonlySet<Bug>;
}

export const defaultRunOptions: RunOptions = { faultTicks: 300, livenessTicks: 600 };

export interface RunResult {
  seed: number;
  ok: boolean;
  violation?: string;
  steps: number;
  ticks: number;
  traceHash: string;
  settings: string;
  regions: number;
  faults: Record<string, number>;
  /** Events worth knowing a run exercised (snapshots refused, merges, stale commands ...). */
  events: Record<string, number>;
  client: ClientStats | undefined;
  driver: DriverStats | undefined;
  checks: number;
}

export function replayCommand(seed: number, opts: RunOptions): string {
  let cmd = `npm run sim:multiraft -- --seed ${seed}`;
  if (opts.faultTicks !== defaultRunOptions.faultTicks) cmd += ` --fault-ticks ${opts.faultTicks}`;
  if (opts.livenessTicks !== defaultRunOptions.livenessTicks) cmd += ` --liveness-ticks ${opts.livenessTicks}`;
  return cmd;
}

function pick<T>(w: World, xs: readonly T[]): T {
  return xs[w.rand.int(xs.length)]!;
}

const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);

function chooseOptions(w: World, bugs: ReadonlySet<Bug>): { stores: number; opts: SimOptions } {
  return {
    stores: pick(w, [3, 4, 4, 5, 5]),
    opts: {
      electionTicks: 10,
      heartbeatTicks: 1 + w.rand.int(2),
      preVote: w.rand.chance(0.5),
      checkQuorum: w.rand.chance(0.5),
      // 256 bytes holds about one entry: replication then takes many messages.
      msgBytesMax: pick(w, [256, 1 << 20]),
      compactEntries: 10 + w.rand.int(30),
      compactKeep: w.rand.int(5),
      tickUnits: 10,
      latency: [1, 8],
      bugs,
    },
  };
}

function describe(stores: number, o: SimOptions): string {
  return (
    `stores=${stores} preVote=${o.preVote} checkQuorum=${o.checkQuorum} heartbeat=${o.heartbeatTicks} ` +
    `msgBytesMax=${o.msgBytesMax} compactEvery=${o.compactEntries}`
  );
}

export function runSeed(seed: number, ro: RunOptions = defaultRunOptions): RunResult {
  const w = new World(seed);
  const { stores, opts } = chooseOptions(w, ro.bugs ?? new Set());
  const faults: Record<string, number> = {};
  const count = (k: string): void => {
    faults[k] = (faults[k] ?? 0) + 1;
  };
  let c: MultiRaft | undefined;
  let clients: Clients | undefined;
  let driver: Driver | undefined;
  let ticks = 0;
  const result = (violation?: string): RunResult => {
    const r: RunResult = {
      seed,
      ok: violation === undefined,
      steps: w.steps,
      ticks,
      traceHash: w.trace.hex(),
      settings: describe(stores, opts),
      regions: c?.pd.regions.size ?? 0,
      faults,
      events: { ...(c?.counters ?? {}) },
      client: clients?.stats,
      driver: driver?.stats,
      checks: c?.checks ?? 0,
    };
    if (violation !== undefined) r.violation = violation;
    return r;
  };

  try {
    c = new MultiRaft(w, opts, stores);
    const cluster = c;
    const cl = (clients = new Clients(cluster, w, keys));
    const d = (driver = new Driver(cluster, w, keys));
    const storeIds = [...cluster.stores.keys()];
    const tick = (): void => {
      w.runUntil(w.now + opts.tickUnits);
      cluster.tickAll();
      cluster.checkStores();
      ticks++;
    };

    // Fault phase.
    for (let i = 0; i < ro.faultTicks; i++) {
      tick();
      cl.tick(ticks, { puts: w.rand.int(3), readChance: 0.4 });
      d.tick(ticks, true);
      const down = storeIds.filter((id) => !cluster.store(id).up);
      if (w.rand.chance(0.012) && down.length < 2) {
        cluster.store(pick(w, storeIds)).crash();
        count('crash');
      }
      for (const id of down) {
        if (w.rand.chance(0.1)) {
          cluster.store(id).restart();
          count('restart');
        }
      }
      if (w.rand.chance(0.01)) {
        const side = storeIds.filter(() => w.rand.chance(0.5));
        cluster.net.partition(side, storeIds.filter((x) => !side.includes(x)));
        count('partition');
      }
      if (w.rand.chance(0.005)) {
        cluster.net.cutOneWay(pick(w, storeIds), pick(w, storeIds));
        count('one-way cut');
      }
      if (w.rand.chance(0.04) && cluster.net.cutLinks > 0) {
        cluster.net.heal();
        count('heal');
      }
      if (w.rand.chance(0.02)) {
        cluster.net.faults = {
          dropRate: pick(w, [0, 0, 0.05, 0.15]),
          dupRate: pick(w, [0, 0, 0.05]),
          delayRate: pick(w, [0, 0, 0.05, 0.15]),
        };
        count('link faults');
      }
      if (w.rand.chance(0.01)) {
        const s = cluster.store(pick(w, storeIds));
        s.slowDisk = !s.slowDisk;
        count('slow disk');
      }
    }

    // Liveness phase.
    cluster.net.heal();
    cluster.net.faults = { dropRate: 0, dupRate: 0, delayRate: 0 };
    for (const id of storeIds) {
      const s = cluster.store(id);
      s.slowDisk = false;
      s.restart();
    }
    let why: string | undefined = 'not checked';
    for (let i = 0; i < ro.livenessTicks; i++) {
      tick();
      cl.tick(ticks, { puts: 0, readChance: 0 });
      d.tick(ticks, false);
      why = unconverged(cluster, d);
      if (why === undefined && cl.pending === 0) break;
    }
    if (why !== undefined) {
      throw new InvariantViolation('liveness', `not converged ${ro.livenessTicks} ticks after healing: ${why}; regions ${d.regionsText()}`);
    }
    // Each region holds only keys of its range, and every acknowledged put is readable from the
    // region that now holds its key.
    for (const st of cluster.pd.regions.values()) {
      const r = st.region;
      for (const key of cluster.leaderOf(r.id)!.disk.apply.data.keys()) {
        if (!keyInRange(keyBytes(key), r.start, r.end)) throw new InvariantViolation('data stays in its region', `region ${describeRegion(r)} holds key ${key}`);
      }
    }
    for (const key of keys) {
      const st = cluster.pd.locate(keyBytes(key));
      const l = cluster.leaderOf(st.region.id)!;
      cl.checkFinal(key, l.disk.apply.data.get(key));
    }
    return result();
  } catch (err) {
    if (err instanceof InvariantViolation) return result(err.message);
    const e = err as Error;
    return result(`exception: ${e.stack ?? e.message}`);
  }
}

/** Why the cluster has not converged yet (undefined once it has). */
function unconverged(c: MultiRaft, d: Driver): string | undefined {
  if (!d.idle) return `operators running: ${d.describe()} (${d.held().map((id) => c.describePeers(id)).join(' | ')})`;
  const pd = c.pd;
  for (const st of pd.regions.values()) {
    const r = st.region;
    if (st.merging) return `region ${r.id} is merging`;
    const l = c.leaderOf(r.id);
    if (!l) return `region ${r.id} has no leader (${c.describePeers(r.id)})`;
    const log = l.raw!.raft.raftLog;
    const commit = log.committed;
    if (log.termOrUndefined(commit) !== l.raw!.raft.term) return `region ${r.id}'s leader has not committed in its term`;
    const want = toJson(st);
    const data = toJson([...l.disk.apply.data].sort());
    for (const rp of r.peers) {
      const p = c.store(rp.storeId).peers.get(r.id);
      if (!p || p.peerId !== rp.id) return `region ${r.id} has no peer ${rp.id} on store ${rp.storeId}`;
      if (!p.initialized) return `peer ${rp.id} of region ${r.id} is not initialized`;
      if (p.disk.apply.index !== commit) return `peer ${rp.id} of region ${r.id} applied ${p.disk.apply.index} of ${commit} (${c.describePeers(r.id)})`;
      if (toJson(p.state) !== want) return `peer ${rp.id} of region ${r.id} has state ${describeRegion(p.state!.region)}`;
      if (toJson([...p.disk.apply.data].sort()) !== data) return `peer ${rp.id} of region ${r.id} holds other data than its leader`;
    }
  }
  for (const s of c.stores.values()) {
    for (const p of s.peers.values()) {
      const st = pd.get(p.regionId as RegionId);
      if (!st || !st.region.peers.some((x) => x.id === p.peerId)) return `store ${s.id as StoreId} still holds stale peer ${p.peerId} of region ${p.regionId}`;
    }
  }
  return undefined;
}

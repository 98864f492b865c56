// The servers a benchmark runs against: either endpoints someone else started (`--endpoints`),
// or local clusters this harness starts, on loopback, with fresh data dirs, in one durability
// mode, with the same flags wherever the servers share them:
//
//   etcd            real etcd, N members (test/support/servers.ts)
//   flotilla        Flotilla unsharded: N etcd-style members, the same member flags as etcd
//   flotilla-range  Flotilla range mode: one PD member + N stores, regions of R replicas (sharded.ts)
//   flotilla-hash   Flotilla hash mode: one PD member + N stores, G slot groups of R replicas (sharded.ts)

import { startCluster, type Cluster } from '../../test/support/servers.js';
import { diskUsage } from './disk.js';
import { startShardedCluster, type RegionLayout, type ShardedCluster } from './sharded.js';

export const localKinds = ['etcd', 'flotilla', 'flotilla-range', 'flotilla-hash'] as const;
export type LocalKind = (typeof localKinds)[number];
export type TargetKind = LocalKind | 'endpoints';

/**
 * Targets that are known but cannot be started yet, with the reason the command line prints
 * (none today: hash mode is driven since its preloads group their transactions by slot group).
 */
export const unservedTargets: Partial<Record<LocalKind, string>> = {};

/** Whether the target shards its key space over PD and stores. */
export function isSharded(kind: TargetKind): kind is 'flotilla-range' | 'flotilla-hash' {
  return kind === 'flotilla-range' || kind === 'flotilla-hash';
}

/**
 *   fsync    the default: every commit is flushed to disk before it is acknowledged
 *   nofsync  --unsafe-no-fsync on both servers (etcd 3.4.23 accepts it though --help omits it)
 *   delay    Flotilla's --experimental-flush-delay-ms N: an emulated slower disk; etcd has no
 *            such flag (and is a static Go binary, so no LD_PRELOAD shim), so Flotilla runs alone
 */
export type Durability = { readonly mode: 'fsync' } | { readonly mode: 'nofsync' } | { readonly mode: 'delay'; readonly ms: number };

export function durabilityName(d: Durability): string {
  return d.mode === 'delay' ? `delay:${d.ms}` : d.mode;
}

export function parseDurability(text: string): Durability {
  if (text === 'fsync') return { mode: 'fsync' };
  if (text === 'nofsync') return { mode: 'nofsync' };
  const m = /^delay:(\d+)$/.exec(text);
  if (m) return { mode: 'delay', ms: Number(m[1]) };
  throw new Error(`--durability: expected fsync, nofsync or delay:MS, not ${JSON.stringify(text)}`);
}

/** The flags that set a durability mode, or undefined if `kind` cannot run in it. */
export function durabilityFlags(kind: LocalKind, d: Durability): string[] | undefined {
  switch (d.mode) {
    case 'fsync':
      return [];
    case 'nofsync':
      return ['--unsafe-no-fsync'];
    case 'delay':
      return kind === 'etcd' ? undefined : ['--experimental-flush-delay-ms', String(d.ms)];
  }
}

/** What a workload keeps per target between runs (the preload is done once per cluster). */
export interface TargetState {
  preloadedKeys: number;
  /** The compare-and-put keys' mod_revisions as this client last saw them. */
  casRevisions: Map<number, number>;
  /** Runs of sequential puts so far: each starts a fresh key sequence. */
  seqRuns: number;
  /** Whether the prefix-scan keys are loaded. */
  scanLoaded: boolean;
  /** Range mode: the region boundaries made by the pre-split, which preload batches must not straddle. */
  splitKeys: Buffer[];
  /** Hash mode: the group of every slot (PD's directory after start); a preload batch holds keys of one group. */
  slotGroups?: Int32Array;
}

export interface Target {
  readonly kind: TargetKind;
  /** `etcd`, `Flotilla`, `Flotilla range` or `endpoints`: the column heading. */
  readonly label: string;
  /** Client URLs: the members', or the stores' in the sharded modes (clients spread over them). */
  readonly endpoints: readonly string[];
  /** Members, or stores in the sharded modes. */
  readonly members: number;
  /** Flags added to etcd's member flags (durability), or to every store's flags; empty for `--endpoints`. */
  readonly flags: readonly string[];
  readonly state: TargetState;
  /** The sharded modes: PD's region directory, and splits and leader moves through PD's API. */
  readonly sharded?: ShardedCluster;
  /** PIDs of the server processes, PD's included (none for `--endpoints`: no CPU or memory figures then). */
  pids(): number[];
  /** Why the target can no longer serve (a server process exited), or undefined while all run. */
  exited(): string | undefined;
  /** Bytes on disk of all members' data dirs; undefined for `--endpoints`. */
  diskBytes(): number | undefined;
  stop(): Promise<void>;
}

export const targetLabels: Record<TargetKind, string> = {
  etcd: 'etcd',
  flotilla: 'Flotilla',
  'flotilla-range': 'Flotilla range',
  'flotilla-hash': 'Flotilla hash',
  endpoints: 'endpoints',
};

/** One letter per target for the ratio columns: R/e is Flotilla range's figure over etcd's. */
export const targetLetters: Record<TargetKind, string> = { etcd: 'e', flotilla: 'F', 'flotilla-range': 'R', 'flotilla-hash': 'H', endpoints: 'x' };

export interface LocalTargetOptions {
  /** etcd and Flotilla unsharded: members. */
  members: 1 | 3;
  durability: Durability;
  /** Sharded modes: stores, voters per region, and lanes per store (undefined: the store's default). */
  stores: number;
  replicas: number;
  lanes: number | undefined;
  /** Hash mode: slot groups (PD's --hash-groups); undefined: max(3, stores), as `flotilla cluster`. */
  hashGroups?: number | undefined;
}

export type { RegionLayout };

function freshState(): TargetState {
  return { preloadedKeys: 0, casRevisions: new Map(), seqRuns: 0, scanLoaded: false, splitKeys: [] };
}

export async function startLocalTarget(kind: LocalKind, o: LocalTargetOptions): Promise<Target> {
  const unserved = unservedTargets[kind];
  if (unserved !== undefined) throw new Error(`${kind}: ${unserved}`);
  const flags = durabilityFlags(kind, o.durability);
  if (flags === undefined) throw new Error(`${kind} cannot run with --durability ${durabilityName(o.durability)}`);
  if (isSharded(kind)) {
    const storeFlags = [...flags, ...(o.lanes !== undefined ? ['--lanes', String(o.lanes)] : [])];
    const mode = kind === 'flotilla-hash' ? 'hash' : 'range';
    const cluster = await startShardedCluster({ mode, stores: o.stores, replicas: o.replicas, storeFlags, startTimeoutMs: 60_000, ...(o.hashGroups !== undefined ? { hashGroups: o.hashGroups } : {}) });
    return {
      kind,
      label: targetLabels[kind],
      endpoints: cluster.clientUrls,
      members: o.stores,
      flags: storeFlags,
      state: freshState(),
      sharded: cluster,
      pids: () => cluster.pids(),
      exited: () => cluster.exited(),
      diskBytes: () => cluster.dataDirs.reduce((sum, d) => sum + diskUsage(d), 0),
      stop: () => cluster.stop(),
    };
  }
  const cluster: Cluster = await startCluster(kind, { members: o.members, extraFlags: flags, startTimeoutMs: 60_000 });
  const indexes = cluster.members.map((_, i) => i);
  return {
    kind,
    label: targetLabels[kind],
    endpoints: cluster.clientUrls,
    members: o.members,
    flags,
    state: freshState(),
    pids: () => indexes.map((i) => cluster.pid(i)).filter((p): p is number => p !== undefined),
    exited: () => {
      const gone = indexes.filter((i) => !cluster.running(i));
      return gone.length === 0 ? undefined : `member ${gone.map((i) => cluster.members[i]!.name).join(', ')} exited:\n${gone.map((i) => cluster.logs(i)).join('\n')}`;
    },
    diskBytes: () => cluster.dataDirs.reduce((sum, d) => sum + diskUsage(d), 0),
    stop: () => cluster.stop(),
  };
}

export function endpointsTarget(endpoints: readonly string[]): Target {
  return {
    kind: 'endpoints',
    label: targetLabels.endpoints,
    endpoints,
    members: endpoints.length,
    flags: [],
    state: freshState(),
    pids: () => [],
    exited: () => undefined,
    diskBytes: () => undefined,
    stop: async () => {},
  };
}

// The servers a benchmark runs against: either endpoints someone else started (`--endpoints`),
// or local clusters this harness starts with test/support/servers.ts: real etcd and Flotilla
// with the same member flags, on loopback, with fresh data dirs, in one durability mode.

import { startCluster, type Cluster } from '../../test/support/servers.js';
import { diskUsage } from './disk.js';

export type TargetKind = 'etcd' | 'flotilla' | 'endpoints';

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
export function durabilityFlags(kind: 'etcd' | 'flotilla', d: Durability): string[] | undefined {
  switch (d.mode) {
    case 'fsync':
      return [];
    case 'nofsync':
      return ['--unsafe-no-fsync'];
    case 'delay':
      return kind === 'flotilla' ? ['--experimental-flush-delay-ms', String(d.ms)] : undefined;
  }
}

/** What a workload keeps per target between runs (the preload is done once per cluster). */
export interface TargetState {
  preloadedKeys: number;
  /** The compare-and-put keys' mod_revisions as this client last saw them. */
  casRevisions: Map<number, number>;
  /** Runs of sequential puts so far: each starts a fresh key sequence. */
  seqRuns: number;
}

export interface Target {
  readonly kind: TargetKind;
  /** `etcd`, `Flotilla` or `endpoints`: the column heading. */
  readonly label: string;
  readonly endpoints: readonly string[];
  readonly members: number;
  /** Flags added to etcd's member flags (durability); empty for `--endpoints`. */
  readonly flags: readonly string[];
  readonly state: TargetState;
  /** PIDs of the member processes (none for `--endpoints`: no CPU or memory figures then). */
  pids(): number[];
  /** Bytes on disk of all members' data dirs; undefined for `--endpoints`. */
  diskBytes(): number | undefined;
  stop(): Promise<void>;
}

export const targetLabels: Record<TargetKind, string> = { etcd: 'etcd', flotilla: 'Flotilla', endpoints: 'endpoints' };

function freshState(): TargetState {
  return { preloadedKeys: 0, casRevisions: new Map(), seqRuns: 0 };
}

export async function startLocalTarget(kind: 'etcd' | 'flotilla', members: 1 | 3, durability: Durability): Promise<Target> {
  const flags = durabilityFlags(kind, durability);
  if (flags === undefined) throw new Error(`${kind} cannot run with --durability ${durabilityName(durability)}`);
  const cluster: Cluster = await startCluster(kind, { members, extraFlags: flags, startTimeoutMs: 60_000 });
  const indexes = cluster.members.map((_, i) => i);
  return {
    kind,
    label: targetLabels[kind],
    endpoints: cluster.clientUrls,
    members,
    flags,
    state: freshState(),
    pids: () => indexes.map((i) => cluster.pid(i)).filter((p): p is number => p !== undefined),
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
    diskBytes: () => undefined,
    stop: async () => {},
  };
}

// The command line of `npm run bench`: options, presets and the help text.

import { parseArgs } from 'node:util';
import type { ClientKind } from './load.js';
import { durabilityName, isSharded, localKinds, parseDurability, unservedTargets, type Durability, type LocalKind } from './targets.js';
import { kvWorkloadNames, type KvWorkloadName } from './workloads.js';

export const allWorkloads = [...kvWorkloadNames, 'watch', 'dataset'] as const;
export type WorkloadName = (typeof allWorkloads)[number];

export type Mode = { kind: 'compare'; targets: LocalKind[] } | { kind: 'single'; target: LocalKind } | { kind: 'endpoints'; endpoints: string[] };

/** The targets --compare starts when --targets does not say. */
export const defaultCompareTargets: LocalKind[] = ['etcd', 'flotilla'];

/** The local targets a run starts (none with --endpoints). */
export function localTargets(m: Mode): LocalKind[] {
  return m.kind === 'compare' ? m.targets : m.kind === 'single' ? [m.target] : [];
}

export interface Settings {
  mode: Mode;
  preset: 'full' | 'quick';
  workloads: WorkloadName[];
  clients: ClientKind[];
  /** Concurrency of the headline table (every kv workload but prefix-scan). */
  concurrency: number[];
  /** Concurrency of prefix-scan, whose requests each read 10,000 keys. */
  scanConcurrency: number[];
  /** Workloads also run at every `sweepConcurrency` (empty: no sweep). */
  sweepWorkloads: KvWorkloadName[];
  sweepConcurrency: number[];
  /** gRPC connections per run; 0: min(concurrency, 16). */
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** Stop each timed run after this many requests (smoke tests); 0: no limit. */
  requests: number;
  members: (1 | 3)[];
  durability: Durability[];
  /** Range mode: regions to pre-split into before the workloads (1: no pre-split). */
  regions: number;
  /** Hash mode: slot groups, --regions when given (undefined: max(3, stores), as `flotilla cluster`). */
  hashGroups: number | undefined;
  /** Range mode: stores (undefined: as many as the group's members) and voters per region (undefined: min(3, stores)). */
  stores: number | undefined;
  replicas: number | undefined;
  /** Range mode: lanes per store (undefined: the store's default, one per core). */
  lanes: number | undefined;
  /** Range mode: move region leaders so that every store leads its share before the workloads. */
  spreadLeaders: boolean;
  keys: number;
  watchers: number[];
  watchPutsPerS: number;
  datasetKeys: number;
  hotRevisions: number;
  seed: number;
  out: string | undefined;
  charts: boolean;
}

interface Preset {
  durationS: number;
  warmupS: number;
  rounds: number;
  sweepWorkloads: KvWorkloadName[];
  sweepConcurrency: number[];
  datasetKeys: number;
  hotRevisions: number;
}

const presets: Record<'full' | 'quick', Preset> = {
  full: {
    durationS: 10,
    warmupS: 2,
    rounds: 3,
    sweepWorkloads: ['put-random', 'get-lin'],
    sweepConcurrency: [1, 10, 100, 1000],
    datasetKeys: 1_000_000,
    hotRevisions: 100_000,
  },
  quick: {
    durationS: 3,
    warmupS: 1,
    rounds: 2,
    sweepWorkloads: [],
    sweepConcurrency: [],
    datasetKeys: 100_000,
    hotRevisions: 10_000,
  },
};

function presetText(name: 'full' | 'quick'): string {
  const p = presets[name];
  const sweep = p.sweepWorkloads.length > 0 ? `, ${p.sweepWorkloads.join(' and ')} also at c=${p.sweepConcurrency.join(',')}` : '';
  return `${p.rounds} rounds of ${p.durationS} s after ${p.warmupS} s of warm-up, c=64${sweep}, dataset ${p.datasetKeys.toLocaleString('en-US')} keys`;
}

export const usage = `usage: npm run bench -- [options]

Side-by-side benchmarks of Flotilla and real etcd: autocannon over etcd's JSON gateway and a gRPC
load generator over etcd's native protocol. Prints a table (with a live progress bar on a
terminal) and writes a Markdown report, a JSON file and SVG charts to bench/results/<date>-<mode>/.

What to run against (default --compare):
  --compare              start etcd and Flotilla with the same flags (fresh data dirs on loopback)
                         and run every workload on each in alternation, A B C A B C ..., --rounds times
  --targets LIST         what --compare starts (implies it), default etcd,flotilla; any of
                           etcd            real etcd
                           flotilla        Flotilla unsharded (etcd-style members)
                           flotilla-range  Flotilla range mode: PD (one member, always fsync) + stores
                           flotilla-hash   Flotilla hash mode: PD (one member, always fsync) + stores,
                                           slots in G groups
  --target NAME          start one of them alone
  --endpoints URLS       comma-separated client URLs of servers already running (no CPU/memory figures)

Presets:
  (default)              the full suite: ${presetText('full')}
  --quick                a few seconds per workload: ${presetText('quick')}

Workloads and clients:
  --workloads LIST       comma-separated, default all: ${allWorkloads.join(', ')}
  --clients LIST         http (autocannon, JSON gateway), grpc (our load generator); default both
  --concurrency LIST     requests in flight, e.g. 1,10,100,1000 (default 64; replaces the sweep)
  --scan-concurrency LIST  requests in flight for prefix-scan (default 4): a scan reads 10,000
                         keys, so 64 in flight would measure mostly queueing (and time out)
  --connections N        gRPC connections per run (default min(concurrency, 16))
  --duration S           seconds per timed run
  --warmup S             seconds of unrecorded warm-up per workload and target
  --rounds N             timed runs per workload and target; medians are reported
  --requests N           stop each timed run after N requests (for smoke tests)
  --keys N               size of the preloaded key space (default 100000)
  --watchers LIST        watch fan-out sizes (default 1,100,1000,10000)
  --watch-rate N         puts per second during watch fan-out (default 20)
  --dataset N            keys the dataset workload loads (default 1000000; --quick 100000)
  --hot-revisions N      revisions of one hot key written after the dataset (default 100000)

Servers (with --compare or --target):
  --members LIST         1, 3 or 1,3 (default 1,3)
  --durability LIST      fsync (default), nofsync (--unsafe-no-fsync on both), delay:MS
                         (Flotilla's --experimental-flush-delay-ms; etcd has no such flag, so
                         Flotilla runs alone in that mode); e.g. fsync,nofsync,delay:1

Sharded modes (flotilla-range, flotilla-hash):
  --regions K            range mode: pre-split into K regions before the workloads (via PD's split
                         API; the split keys are spread evenly over the key spaces the run reads),
                         default 1. Hash mode: K slot groups (PD's --hash-groups K, each an equal
                         run of the 16,384 slots), default max(3, stores) as \`flotilla cluster\`
  --stores N             stores (default: the group's --members, so every target keeps as many
                         copies of a key); with flotilla-range, --members defaults to 3
  --replicas R           voters per region, default min(3, stores)
  --lanes N              worker threads per store (default: the store's, one per core)
  --no-spread-leaders    leave region leaders where the splits (or PD's bootstrap) put them
                         (default: move them so that every store leads its share, as PD's
                         balance-leader would)
  Workloads a sharded mode does not serve yet run on the other targets only; the report says
  which were skipped and why.

Output:
  --out DIR              where to write the report (default bench/results/<date>-<mode>)
  --no-charts            no SVG charts
  --seed N               seed of every random choice (default 1)
  --help                 this text`;

export class UsageError extends Error {
  readonly code = 'BENCH_USAGE';
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function positiveInts(name: string, text: string): number[] {
  const xs = list(text).map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isSafeInteger(x) || x <= 0)) throw new UsageError(`--${name}: expected positive integers, not ${JSON.stringify(text)}`);
  return xs;
}

function positiveInt(name: string, text: string, zeroOk = false): number {
  const x = Number(text);
  if (!Number.isSafeInteger(x) || x < (zeroOk ? 0 : 1)) throw new UsageError(`--${name}: expected a ${zeroOk ? 'non-negative' : 'positive'} integer, not ${JSON.stringify(text)}`);
  return x;
}

function seconds(name: string, text: string): number {
  const x = Number(text);
  if (!Number.isFinite(x) || x < 0) throw new UsageError(`--${name}: expected seconds, not ${JSON.stringify(text)}`);
  return x;
}

/** Parses the arguments after `npm run bench --`; undefined after printing --help. */
export function parseSettings(argv: string[]): Settings | undefined {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      compare: { type: 'boolean' },
      targets: { type: 'string' },
      target: { type: 'string' },
      endpoints: { type: 'string' },
      quick: { type: 'boolean' },
      workloads: { type: 'string' },
      clients: { type: 'string' },
      concurrency: { type: 'string' },
      'scan-concurrency': { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      keys: { type: 'string' },
      watchers: { type: 'string' },
      'watch-rate': { type: 'string' },
      dataset: { type: 'string' },
      'hot-revisions': { type: 'string' },
      members: { type: 'string' },
      durability: { type: 'string' },
      regions: { type: 'string' },
      stores: { type: 'string' },
      replicas: { type: 'string' },
      lanes: { type: 'string' },
      'no-spread-leaders': { type: 'boolean' },
      out: { type: 'string' },
      'no-charts': { type: 'boolean' },
      seed: { type: 'string' },
    },
  });
  if (v.help) {
    console.log(usage);
    return undefined;
  }
  const chosen = [v.compare || v.targets !== undefined, v.target !== undefined, v.endpoints !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --compare (or --targets), --target and --endpoints');
  let mode: Mode = { kind: 'compare', targets: v.targets === undefined ? defaultCompareTargets : parseTargets('targets', list(v.targets)) };
  if (v.target !== undefined) {
    mode = { kind: 'single', target: parseTargets('target', [v.target])[0]! };
  } else if (v.endpoints !== undefined) {
    const endpoints = list(v.endpoints).map((e) => (/^[a-z]+:\/\//.test(e) ? e : `http://${e}`));
    if (endpoints.length === 0) throw new UsageError('--endpoints: expected comma-separated URLs');
    mode = { kind: 'endpoints', endpoints };
  }

  const preset = v.quick ? 'quick' : 'full';
  const p = presets[preset];
  const workloads = v.workloads === undefined ? [...allWorkloads] : list(v.workloads);
  for (const w of workloads) {
    if (!(allWorkloads as readonly string[]).includes(w)) throw new UsageError(`--workloads: unknown workload ${JSON.stringify(w)} (known: ${allWorkloads.join(', ')})`);
  }
  const clients = v.clients === undefined ? (['http', 'grpc'] as ClientKind[]) : list(v.clients);
  for (const c of clients) if (c !== 'http' && c !== 'grpc') throw new UsageError(`--clients: expected http and/or grpc, not ${JSON.stringify(c)}`);
  const sharded = localTargets(mode).some(isSharded);
  for (const flag of ['regions', 'stores', 'replicas', 'lanes', 'no-spread-leaders'] as const) {
    if (v[flag] !== undefined && !sharded) throw new UsageError(`--${flag} applies to flotilla-range and flotilla-hash only; add one with --targets`);
  }
  const stores = v.stores === undefined ? undefined : positiveInt('stores', v.stores);
  const replicas = v.replicas === undefined ? undefined : positiveInt('replicas', v.replicas);
  if (stores !== undefined && stores > 20) throw new UsageError('--stores: at most 20 on one machine');
  const members = v.members === undefined ? (sharded ? [3] : [1, 3]) : positiveInts('members', v.members);
  if (replicas !== undefined && replicas > (stores ?? Math.min(...members))) {
    throw new UsageError(`--replicas ${replicas}: at most the stores (${stores !== undefined ? `--stores ${stores}` : `--members ${Math.min(...members)}`})`);
  }
  for (const m of members) if (m !== 1 && m !== 3) throw new UsageError('--members: 1 and/or 3');
  let durability: Durability[];
  try {
    durability = v.durability === undefined ? [{ mode: 'fsync' }] : list(v.durability).map(parseDurability);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (mode.kind === 'endpoints' && v.durability !== undefined) throw new UsageError('--durability applies to servers the harness starts, not to --endpoints');
  if (mode.kind === 'single' && mode.target === 'etcd' && durability.some((d) => d.mode === 'delay')) {
    throw new UsageError(`etcd cannot run with --durability ${durabilityName(durability.find((d) => d.mode === 'delay')!)}`);
  }
  const explicitConcurrency = v.concurrency !== undefined;

  return {
    mode,
    preset,
    workloads: workloads as WorkloadName[],
    clients: clients as ClientKind[],
    concurrency: explicitConcurrency ? positiveInts('concurrency', v.concurrency!) : [64],
    scanConcurrency: v['scan-concurrency'] === undefined ? [4] : positiveInts('scan-concurrency', v['scan-concurrency']),
    sweepWorkloads: explicitConcurrency ? [] : p.sweepWorkloads,
    sweepConcurrency: explicitConcurrency ? [] : p.sweepConcurrency,
    connections: v.connections === undefined ? 0 : positiveInt('connections', v.connections),
    durationS: v.duration === undefined ? p.durationS : seconds('duration', v.duration),
    warmupS: v.warmup === undefined ? p.warmupS : seconds('warmup', v.warmup),
    rounds: v.rounds === undefined ? p.rounds : positiveInt('rounds', v.rounds),
    requests: v.requests === undefined ? 0 : positiveInt('requests', v.requests),
    members: members as (1 | 3)[],
    durability,
    regions: v.regions === undefined ? 1 : positiveInt('regions', v.regions),
    hashGroups: v.regions === undefined ? undefined : positiveInt('regions', v.regions),
    stores,
    replicas,
    lanes: v.lanes === undefined ? undefined : positiveInt('lanes', v.lanes),
    spreadLeaders: !v['no-spread-leaders'],
    keys: v.keys === undefined ? 100_000 : positiveInt('keys', v.keys),
    watchers: v.watchers === undefined ? [1, 100, 1000, 10000] : positiveInts('watchers', v.watchers),
    watchPutsPerS: v['watch-rate'] === undefined ? 20 : positiveInt('watch-rate', v['watch-rate']),
    datasetKeys: v.dataset === undefined ? p.datasetKeys : positiveInt('dataset', v.dataset),
    hotRevisions: v['hot-revisions'] === undefined ? p.hotRevisions : positiveInt('hot-revisions', v['hot-revisions'], true),
    seed: v.seed === undefined ? 1 : positiveInt('seed', v.seed, true),
    out: v.out,
    charts: !v['no-charts'],
  };
}

function parseTargets(flag: string, names: string[]): LocalKind[] {
  if (names.length === 0) throw new UsageError(`--${flag}: expected a comma-separated list of ${localKinds.join(', ')}`);
  for (const n of names) {
    if (!(localKinds as readonly string[]).includes(n)) throw new UsageError(`--${flag}: unknown target ${JSON.stringify(n)} (known: ${localKinds.join(', ')})`);
    const unserved = unservedTargets[n as LocalKind];
    if (unserved !== undefined) throw new UsageError(`--${flag}: ${n}: ${unserved}`);
  }
  if (new Set(names).size !== names.length) throw new UsageError(`--${flag}: a target named twice`);
  return names as LocalKind[];
}

/** The command line that repeats these settings (printed in every report). */
export function commandLine(s: Settings): string {
  const parts = ['npm run bench --'];
  if (s.mode.kind === 'compare') parts.push('--compare', '--targets', s.mode.targets.join(','));
  else if (s.mode.kind === 'single') parts.push('--target', s.mode.target);
  else parts.push('--endpoints', s.mode.endpoints.join(','));
  if (s.preset === 'quick') parts.push('--quick');
  parts.push('--workloads', s.workloads.join(','), '--clients', s.clients.join(','));
  if (s.sweepWorkloads.length === 0) parts.push('--concurrency', s.concurrency.join(','));
  if (s.workloads.includes('prefix-scan')) parts.push('--scan-concurrency', s.scanConcurrency.join(','));
  parts.push('--duration', String(s.durationS), '--warmup', String(s.warmupS), '--rounds', String(s.rounds));
  if (s.requests > 0) parts.push('--requests', String(s.requests));
  if (s.connections > 0) parts.push('--connections', String(s.connections));
  if (s.mode.kind !== 'endpoints') parts.push('--members', s.members.join(','), '--durability', s.durability.map(durabilityName).join(','));
  if (localTargets(s.mode).some(isSharded)) {
    // Hash mode without --regions gets max(3, stores) groups; --regions 1 would ask for one.
    if (s.hashGroups !== undefined || !localTargets(s.mode).includes('flotilla-hash')) parts.push('--regions', String(s.regions));
    if (s.stores !== undefined) parts.push('--stores', String(s.stores));
    if (s.replicas !== undefined) parts.push('--replicas', String(s.replicas));
    if (s.lanes !== undefined) parts.push('--lanes', String(s.lanes));
    if (!s.spreadLeaders) parts.push('--no-spread-leaders');
  }
  parts.push('--keys', String(s.keys));
  if (s.workloads.includes('watch')) parts.push('--watchers', s.watchers.join(','), '--watch-rate', String(s.watchPutsPerS));
  if (s.workloads.includes('dataset')) parts.push('--dataset', String(s.datasetKeys), '--hot-revisions', String(s.hotRevisions));
  parts.push('--seed', String(s.seed));
  return parts.join(' ');
}

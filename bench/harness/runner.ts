// Runs the suite: for each group (members x durability) it starts the targets once (fresh data
// dirs), pre-splits the range-mode targets into --regions regions, preloads the key spaces, then
// runs every case on the targets in alternation (warm-up A, warm-up B, then A B A B ... for
// --rounds), sampling the servers' CPU and memory during each timed run. A target that cannot
// serve a workload yet (support.ts) sits that case out, and the report says why. The dataset
// workload gets fresh servers of its own, one at a time.

import { runGatewayLoad } from './autocannon.js';
import { runDataset } from './dataset.js';
import type { ClientKind, LoadOptions, LoadResult } from './load.js';
import { runGrpcLoad } from './loadgen.js';
import { localTargets, type Settings, type WorkloadName } from './options.js';
import { loadKeys } from './preload.js';
import { prepareRegions, regionLine, type KeySpace } from './presplit.js';
import { skipReason } from './support.js';
import { Sampler } from './procstat.js';
import { Progress } from './progress.js';
import type { CaseResult, DatasetCase, Figures, GroupInfo, Ratios, Sample } from './results.js';
import { median, ratio } from './stats.js';
import {
  durabilityFlags,
  durabilityName,
  endpointsTarget,
  isSharded,
  startLocalTarget,
  targetLabels,
  type Durability,
  type LocalKind,
  type Target,
  type TargetKind,
} from './targets.js';
import { runWatchFanout } from './watch.js';
import { casKey, casKeyCount, makeSource, needsKeySpace, needsScanSpace, kvWorkloadNames, type CasSource, type KvWorkloadName } from './workloads.js';
import { keySpacePrefix, scanKey, scanKeyCount, scanPrefix, scanValueBytes, spaceKey, valueBytes } from './keys.js';
import { datasetKey, datasetPrefix } from './dataset.js';

export interface SuiteOutput {
  groups: GroupInfo[];
  cases: CaseResult[];
  datasets: DatasetCase[];
  failures: string[];
}

export interface SuiteHooks {
  /** A case finished (to print its row at once). */
  onCase?(c: CaseResult, group: GroupInfo): void;
  onDataset?(d: DatasetCase, group: GroupInfo): void;
  onGroupStart?(group: GroupInfo): void;
}

interface KvCase {
  workload: KvWorkloadName;
  client: ClientKind;
  concurrency: number;
  sweep: boolean;
}

interface GroupPlan {
  info: GroupInfo;
  members: 1 | 3;
  durability: Durability | undefined;
  kinds: TargetKind[];
  /** Range mode: stores and voters per region. */
  stores: number;
  replicas: number;
}

export function planKvCases(s: Settings): KvCase[] {
  const kv = kvWorkloadNames.filter((w) => s.workloads.includes(w));
  const cases: KvCase[] = [];
  for (const workload of kv) {
    for (const client of s.clients) {
      for (const concurrency of workload === 'prefix-scan' ? s.scanConcurrency : s.concurrency) cases.push({ workload, client, concurrency, sweep: false });
    }
  }
  for (const workload of kv.filter((w) => s.sweepWorkloads.includes(w))) {
    for (const client of s.clients) {
      for (const concurrency of s.sweepConcurrency) {
        if (!s.concurrency.includes(concurrency)) cases.push({ workload, client, concurrency, sweep: true });
      }
    }
  }
  return cases;
}

function planGroups(s: Settings): GroupPlan[] {
  if (s.mode.kind === 'endpoints') {
    const n = s.mode.endpoints.length;
    return [
      {
        info: { name: `${n} endpoint${n === 1 ? '' : 's'}`, members: n, durability: 'as the servers were started', targets: ['endpoints'], flags: {}, notes: [] },
        members: 1,
        durability: undefined,
        kinds: ['endpoints'],
        stores: n,
        replicas: n,
      },
    ];
  }
  const groups: GroupPlan[] = [];
  for (const members of s.members) {
    for (const durability of s.durability) {
      const wanted: LocalKind[] = localTargets(s.mode);
      const kinds = wanted.filter((k) => durabilityFlags(k, durability) !== undefined);
      const notes: string[] = [];
      if (kinds.length < wanted.length) {
        notes.push(
          `No etcd: --durability ${durabilityName(durability)} is Flotilla's --experimental-flush-delay-ms ${durability.mode === 'delay' ? durability.ms : ''}, ` +
            'which etcd does not have (and etcd is a static Go binary, so no LD_PRELOAD shim can slow its fsync); no etcd figures and no ratios against etcd in this mode.',
        );
      }
      const stores = s.stores ?? members;
      const replicas = s.replicas ?? Math.min(3, stores);
      const flags: Partial<Record<TargetKind, string[]>> = {};
      for (const k of kinds) flags[k] = [...durabilityFlags(k, durability)!, ...(isSharded(k) && s.lanes !== undefined ? ['--lanes', String(s.lanes)] : [])];
      if (kinds.some(isSharded) && replicas !== members && kinds.some((k) => !isSharded(k))) {
        notes.push(`${kinds.filter(isSharded).map((k) => targetLabels[k]).join(' and ')} keep${kinds.filter(isSharded).length === 1 ? 's' : ''} ${replicas} cop${replicas === 1 ? 'y' : 'ies'} of each key (${stores} stores), the other targets ${members} (members): mind it when comparing.`);
      }
      groups.push({
        info: { name: `${members} member${members === 1 ? '' : 's'}, ${durabilityName(durability)}`, members, durability: durabilityName(durability), targets: kinds, flags, notes, skipped: [] },
        members,
        durability,
        kinds,
        stores,
        replicas,
      });
    }
  }
  return groups;
}

/** Timed runs the suite will make, for the progress bar. */
function countSteps(s: Settings, groups: GroupPlan[]): number {
  const kv = planKvCases(s);
  const watch = s.workloads.includes('watch') ? s.watchers.length : 0;
  let steps = 0;
  for (const g of groups) {
    const runs = (w: WorkloadName) => g.kinds.filter((k) => skipReason(k, w) === undefined).length;
    for (const c of kv) steps += s.rounds * runs(c.workload);
    steps += watch * s.rounds * runs('watch');
    if (s.workloads.includes('dataset')) steps += runs('dataset');
  }
  return steps;
}

/** The key spaces the cases read, in key order: what --regions splits (presplit.ts). */
function keySpaces(s: Settings, cases: KvCase[]): KeySpace[] {
  const spaces: KeySpace[] = [];
  if (cases.some((c) => needsKeySpace(c.workload)) || !cases.some((c) => needsScanSpace(c.workload))) {
    spaces.push({ name: 'key space', prefix: keySpacePrefix, count: s.keys, keyAt: spaceKey });
  }
  if (cases.some((c) => needsScanSpace(c.workload))) spaces.push({ name: 'prefix-scan keys', prefix: scanPrefix, count: scanKeyCount, keyAt: scanKey });
  return spaces;
}

/** Targets of `all` that can run `workload`; the others, with the reason, go to `skipped`. */
function runnable(all: Target[], workload: WorkloadName, group: GroupInfo): { run: Target[]; skipped: Partial<Record<TargetKind, string>> } {
  const run: Target[] = [];
  const skipped: Partial<Record<TargetKind, string>> = {};
  for (const t of all) {
    const why = skipReason(t.kind, workload);
    if (why === undefined) run.push(t);
    else {
      skipped[t.kind] = why;
      const line = `${workload} on ${t.label}: ${why}`;
      if (!group.skipped!.includes(line)) group.skipped!.push(line);
    }
  }
  return { run, skipped };
}

/** Targets whose servers are gone are reported once and dropped from the group's later cases. */
function dropExited(targets: Target[], after: string, group: string, failures: string[]): void {
  for (let i = targets.length - 1; i >= 0; i--) {
    const why = targets[i]!.exited();
    if (why !== undefined) {
      failures.push(`${group}: ${targets[i]!.label} stopped serving during ${after}; later cases ran without it: ${why}`);
      targets.splice(i, 1);
    }
  }
}

export async function runSuite(s: Settings, hooks: SuiteHooks = {}, progress = new Progress(0)): Promise<SuiteOutput> {
  const groups = planGroups(s);
  progress.grow(countSteps(s, groups));
  const out: SuiteOutput = { groups: groups.map((g) => g.info), cases: [], datasets: [], failures: [] };
  const kvCases = planKvCases(s);
  for (const g of groups) {
    hooks.onGroupStart?.(g.info);
    const watchers = s.workloads.includes('watch') ? s.watchers : [];
    if (kvCases.length > 0 || watchers.length > 0) {
      const targets: Target[] = [];
      try {
        for (const kind of g.kinds) {
          const t = await startTarget(kind, g, s);
          targets.push(t);
          if (t.sharded) {
            progress.print(
              t.sharded.mode === 'hash'
                ? `${g.info.name} · ${t.label}: PD + ${g.stores} stores serving ${t.sharded.hashGroups} slot groups`
                : `${g.info.name} · ${t.label}: PD + ${g.stores} stores serving; splitting into ${s.regions} region${s.regions === 1 ? '' : 's'}`,
            );
            const setup = await prepareRegions(t, keySpaces(s, kvCases), s.regions, s.spreadLeaders);
            t.state.splitKeys = setup.splitKeys.map((k) => Buffer.from(k, 'latin1'));
            (g.info.regions ??= {})[kind] = setup;
            progress.print(`${g.info.name} · ${t.label}: ${regionLine(setup)}`);
          }
        }
        await preload(s, targets, kvCases, progress, g.info.name);
        for (const kc of kvCases) {
          const { run, skipped } = runnable(targets, kc.workload, g.info);
          if (run.length === 0) continue;
          try {
            const c = await runKvCase(s, g.info.name, run, kc, progress);
            if (Object.keys(skipped).length > 0) c.skipped = skipped;
            out.cases.push(c);
            hooks.onCase?.(c, g.info);
          } catch (err) {
            out.failures.push(`${g.info.name}, ${kc.workload} ${kc.client} c=${kc.concurrency}: ${(err as Error).message}`);
          }
          dropExited(targets, `${kc.workload} ${kc.client} c=${kc.concurrency}`, g.info.name, out.failures);
        }
        for (const n of watchers) {
          const { run, skipped } = runnable(targets, 'watch', g.info);
          if (run.length === 0) continue;
          try {
            const c = await runWatchCase(s, g.info.name, run, n, progress);
            if (Object.keys(skipped).length > 0) c.skipped = skipped;
            out.cases.push(c);
            hooks.onCase?.(c, g.info);
          } catch (err) {
            out.failures.push(`${g.info.name}, watch ${n} watchers: ${(err as Error).message}`);
          }
          dropExited(targets, `watch ${n} watchers`, g.info.name, out.failures);
        }
        for (const t of targets) {
          const setup = g.info.regions?.[t.kind];
          if (t.sharded && setup) setup.after = await t.sharded.layout().catch(() => undefined);
        }
      } catch (err) {
        out.failures.push(`${g.info.name}: ${(err as Error).message}`);
      } finally {
        for (const t of targets) await t.stop();
      }
    }
    if (s.workloads.includes('dataset')) {
      const d: DatasetCase = { group: g.info.name, results: {} };
      for (const kind of g.kinds) {
        const why = skipReason(kind, 'dataset');
        if (why !== undefined) {
          g.info.skipped!.push(`dataset on ${targetLabels[kind]}: ${why}`);
          continue;
        }
        progress.step(`${g.info.name} · dataset ${s.datasetKeys.toLocaleString('en-US')} keys · ${targetLabels[kind]}`);
        let t: Target | undefined;
        try {
          t = await startTarget(kind, g, s);
          let splitKeys: Buffer[] | undefined;
          if (t.sharded) {
            const setup = await prepareRegions(t, [{ name: 'data set', prefix: datasetPrefix, count: s.datasetKeys, keyAt: datasetKey }], s.regions, s.spreadLeaders);
            (d.regions ??= {})[kind] = setup;
            splitKeys = setup.splitKeys.map((k) => Buffer.from(k, 'latin1'));
          }
          const slotGroups = t.state.slotGroups;
          d.results[kind] = await runDataset(t, {
            keys: s.datasetKeys,
            hotRevisions: s.hotRevisions,
            readDurationMs: s.durationS * 1000,
            seed: s.seed,
            ...(splitKeys ? { splitKeys } : {}),
            ...(slotGroups ? { slotGroups } : {}),
            onProgress: (phase, n, total) => progress.update(total > 0 ? `${phase} ${Math.round((100 * n) / total)}%` : `${phase} ${n.toLocaleString('en-US')}`),
          });
          const setup = d.regions?.[kind];
          if (t.sharded && setup) setup.after = await t.sharded.layout().catch(() => undefined);
        } catch (err) {
          const gone = t?.exited();
          out.failures.push(`${g.info.name}, dataset on ${targetLabels[kind]}: ${(err as Error).message}${gone ? `\n${gone}` : ''}`);
        } finally {
          await t?.stop();
        }
        progress.finish();
      }
      out.datasets.push(d);
      hooks.onDataset?.(d, g.info);
    }
  }
  return out;
}

async function startTarget(kind: TargetKind, g: GroupPlan, s: Settings): Promise<Target> {
  if (kind === 'endpoints') {
    if (s.mode.kind !== 'endpoints') throw new Error('endpoints target without --endpoints');
    return endpointsTarget(s.mode.endpoints);
  }
  return startLocalTarget(kind, { members: g.members, durability: g.durability!, stores: g.stores, replicas: g.replicas, lanes: s.lanes, hashGroups: s.hashGroups });
}

/** Loads the key space (and the compare-and-put keys) into every target, once per group. */
async function preload(s: Settings, targets: Target[], cases: KvCase[], progress: Progress, group: string): Promise<void> {
  const runsOn = (t: Target, want: (w: KvWorkloadName) => boolean) => cases.some((c) => want(c.workload) && skipReason(t.kind, c.workload) === undefined);
  for (const t of targets) {
    const splitKeys = t.state.splitKeys;
    const slotGroups = t.state.slotGroups;
    const groups = slotGroups ? { slotGroups } : {};
    if (runsOn(t, needsKeySpace) && t.state.preloadedKeys < s.keys) {
      progress.step(`${group} · preload ${s.keys.toLocaleString('en-US')} keys · ${t.label}`);
      await loadKeys({ endpoints: t.endpoints, count: s.keys, keyAt: spaceKey, valueBytes, seed: s.seed, splitKeys, ...groups, onProgress: (n) => progress.update(`${Math.round((100 * n) / s.keys)}%`) });
      t.state.preloadedKeys = s.keys;
    }
    if (runsOn(t, needsScanSpace) && !t.state.scanLoaded) {
      progress.step(`${group} · preload ${scanKeyCount.toLocaleString('en-US')} prefix-scan keys · ${t.label}`);
      await loadKeys({ endpoints: t.endpoints, count: scanKeyCount, keyAt: scanKey, valueBytes: scanValueBytes, seed: s.seed + 2, splitKeys, ...groups });
      t.state.scanLoaded = true;
    }
    if (runsOn(t, (w) => w === 'txn-cas') && t.state.casRevisions.size === 0) {
      const n = casKeyCount(s.keys);
      const loaded = await loadKeys({ endpoints: t.endpoints, count: n, keyAt: casKey, valueBytes, seed: s.seed + 1, splitKeys, ...groups });
      for (let i = 0; i < n; i++) t.state.casRevisions.set(i, loaded.revisionOf(i));
    }
  }
}

function runLoad(client: ClientKind, o: LoadOptions): Promise<LoadResult> {
  return client === 'http' ? runGatewayLoad(o) : runGrpcLoad(o);
}

async function runKvCase(s: Settings, group: string, targets: Target[], kc: KvCase, progress: Progress): Promise<CaseResult> {
  const c: CaseResult = { group, workload: kc.workload, client: kc.client, concurrency: kc.concurrency, unit: 'req/s', sweep: kc.sweep, samples: [], figures: {}, disk: {} };
  for (const t of targets) c.disk[t.kind] = { before: t.diskBytes() };
  const options = (t: Target, round: number, durationMs: number, requestsMax: number | undefined, onProgress?: (n: number) => void): LoadOptions => {
    const o: LoadOptions = {
      endpoints: t.endpoints,
      concurrency: kc.concurrency,
      connections: s.connections > 0 ? s.connections : Math.min(kc.concurrency, 16),
      durationMs,
      source: makeSource(kc.workload, { seed: s.seed, round, keys: s.keys, state: t.state }),
      ...(requestsMax !== undefined ? { requestsMax } : {}),
      ...(onProgress ? { onProgress } : {}),
    };
    return o;
  };
  const label = `${group} · ${kc.workload} ${kc.client} c=${kc.concurrency}`;
  if (s.warmupS > 0) {
    for (const t of targets) {
      progress.step(`${label} · ${t.label} warm-up`);
      await runLoad(kc.client, options(t, 0, s.warmupS * 1000, undefined));
    }
  }
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of targets) {
      progress.step(`${label} · ${t.label} ${round}/${s.rounds}`);
      const started = performance.now();
      const o = options(t, round, s.durationS * 1000, s.requests > 0 ? s.requests : undefined, (n) =>
        progress.update(`${Math.round(n / Math.max(1e-3, (performance.now() - started) / 1000)).toLocaleString('en-US')} req/s`),
      );
      const sampler = new Sampler(t.pids());
      const load = await runLoad(kc.client, o);
      const usage = sampler.stop();
      const sample: Sample = { target: t.kind, round, load };
      if (usage) sample.usage = usage;
      if (kc.workload === 'txn-cas') {
        const cas = o.source as CasSource;
        sample.cas = { succeeded: cas.succeeded, failed: cas.failed };
      }
      c.samples.push(sample);
      progress.finish();
    }
  }
  for (const t of targets) c.disk[t.kind]!.after = t.diskBytes();
  summarize(c);
  return c;
}

async function runWatchCase(s: Settings, group: string, targets: Target[], watchers: number, progress: Progress): Promise<CaseResult> {
  const c: CaseResult = { group, workload: 'watch', client: 'grpc', concurrency: watchers, unit: 'events/s', sweep: true, samples: [], figures: {}, disk: {} };
  for (const t of targets) c.disk[t.kind] = { before: t.diskBytes() };
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of targets) {
      progress.step(`${group} · watch ${watchers.toLocaleString('en-US')} watchers · ${t.label} ${round}/${s.rounds}`);
      const sampler = new Sampler(t.pids());
      const w = await runWatchFanout({
        endpoints: t.endpoints,
        watchers,
        putsPerS: s.watchPutsPerS,
        durationMs: s.durationS * 1000,
        runId: `${Date.now().toString(36)}-${t.kind}-${watchers}-${round}`,
        seed: s.seed + round,
        onProgress: (n) => progress.update(`${n.toLocaleString('en-US')} events`),
      });
      const usage = sampler.stop();
      const load: LoadResult = { requests: w.delivered, errors: w.errors, elapsedS: w.puts / s.watchPutsPerS, rps: w.eventsPerS, latencyMs: w.latencyMs };
      if (w.firstError !== undefined) load.firstError = w.firstError;
      const sample: Sample = { target: t.kind, round, load, watch: w };
      if (usage) sample.usage = usage;
      c.samples.push(sample);
      progress.finish();
    }
  }
  for (const t of targets) c.disk[t.kind]!.after = t.diskBytes();
  summarize(c);
  return c;
}

/** Medians over rounds per target, and each target's ratios to etcd and to Flotilla unsharded when they ran. */
export function summarize(c: CaseResult): void {
  const kinds = [...new Set(c.samples.map((x) => x.target))];
  for (const kind of kinds) {
    const xs = c.samples.filter((x) => x.target === kind);
    const med = (f: (x: Sample) => number | undefined): number | undefined => {
      const vs = xs.map(f).filter((v): v is number => v !== undefined);
      return vs.length > 0 ? median(vs) : undefined;
    };
    const f: Figures = {
      rounds: xs.length,
      requests: xs.reduce((a, x) => a + x.load.requests, 0),
      errors: xs.reduce((a, x) => a + x.load.errors, 0),
      throughput: med((x) => x.load.rps)!,
      p50Ms: med((x) => x.load.latencyMs.p50)!,
      p99Ms: med((x) => x.load.latencyMs.p99)!,
      p999Ms: med((x) => x.load.latencyMs.p999)!,
    };
    const cpu = med((x) => x.usage?.cpuCores);
    if (cpu !== undefined) f.cpuCores = cpu;
    const rss = xs.map((x) => x.usage?.peakRssAnonBytes).filter((v): v is number => v !== undefined);
    if (rss.length > 0) f.peakRssAnonBytes = Math.max(...rss);
    const hwm = xs.map((x) => x.usage?.vmHwmBytes).filter((v): v is number => v !== undefined);
    if (hwm.length > 0) f.vmHwmBytes = Math.max(...hwm);
    if (xs.some((x) => x.watch)) {
      f.lostEvents = xs.reduce((a, x) => a + (x.watch?.lost ?? 0), 0);
      f.duplicatedEvents = xs.reduce((a, x) => a + (x.watch?.duplicated ?? 0), 0);
    }
    const firstError = xs.find((x) => x.load.firstError !== undefined)?.load.firstError;
    if (firstError !== undefined) f.firstError = firstError;
    c.figures[kind] = f;
  }
  const ratios: NonNullable<CaseResult['ratios']> = {};
  for (const kind of kinds) {
    for (const base of ['etcd', 'flotilla'] as const) {
      const b = c.figures[base];
      if (kind === base || kind === 'etcd' || b === undefined) continue;
      (ratios[kind] ??= {})[base] = ratiosOf(c.figures[kind]!, b);
    }
  }
  if (Object.keys(ratios).length > 0) c.ratios = ratios;
}

function ratiosOf(x: Figures, base: Figures): Ratios {
  const r: Ratios = {};
  const put = (k: keyof Ratios, v: number | undefined) => {
    if (v !== undefined) r[k] = v;
  };
  put('throughput', ratio(x.throughput, base.throughput));
  put('p50', ratio(x.p50Ms, base.p50Ms));
  put('p99', ratio(x.p99Ms, base.p99Ms));
  put('p999', ratio(x.p999Ms, base.p999Ms));
  put('cpu', ratio(x.cpuCores, base.cpuCores));
  return r;
}

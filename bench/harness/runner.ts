// Runs the suite: for each group (members x durability) it starts the targets once (fresh data
// dirs), preloads the key space, then runs every case on the targets in alternation
// (warm-up A, warm-up B, then A B A B ... for --rounds), sampling the servers' CPU and memory
// during each timed run. The dataset workload gets fresh servers of its own, one at a time.

import { runGatewayLoad } from './autocannon.js';
import { runDataset } from './dataset.js';
import type { ClientKind, LoadOptions, LoadResult } from './load.js';
import { runGrpcLoad } from './loadgen.js';
import type { Settings } from './options.js';
import { loadKeys } from './preload.js';
import { Sampler } from './procstat.js';
import { Progress } from './progress.js';
import type { CaseResult, DatasetCase, Figures, GroupInfo, Ratios, Sample } from './results.js';
import { median, ratio } from './stats.js';
import {
  durabilityFlags,
  durabilityName,
  endpointsTarget,
  startLocalTarget,
  targetLabels,
  type Durability,
  type Target,
  type TargetKind,
} from './targets.js';
import { runWatchFanout } from './watch.js';
import { casKey, casKeyCount, makeSource, needsKeySpace, kvWorkloadNames, type CasSource, type KvWorkloadName } from './workloads.js';
import { spaceKey, valueBytes } from './keys.js';

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
}

export function planKvCases(s: Settings): KvCase[] {
  const kv = kvWorkloadNames.filter((w) => s.workloads.includes(w));
  const cases: KvCase[] = [];
  for (const workload of kv) {
    for (const client of s.clients) {
      for (const concurrency of s.concurrency) cases.push({ workload, client, concurrency, sweep: false });
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
      },
    ];
  }
  const groups: GroupPlan[] = [];
  for (const members of s.members) {
    for (const durability of s.durability) {
      const wanted: ('etcd' | 'flotilla')[] = s.mode.kind === 'compare' ? ['etcd', 'flotilla'] : [s.mode.target];
      const kinds = wanted.filter((k) => durabilityFlags(k, durability) !== undefined);
      const notes: string[] = [];
      if (kinds.length < wanted.length) {
        notes.push(
          `Flotilla alone: --durability ${durabilityName(durability)} is Flotilla's --experimental-flush-delay-ms ${durability.mode === 'delay' ? durability.ms : ''}, ` +
            'which etcd does not have (and etcd is a static Go binary, so no LD_PRELOAD shim can slow its fsync); no etcd figures and no ratios in this mode.',
        );
      }
      const flags: Partial<Record<TargetKind, string[]>> = {};
      for (const k of kinds) flags[k] = durabilityFlags(k, durability)!;
      groups.push({
        info: { name: `${members} member${members === 1 ? '' : 's'}, ${durabilityName(durability)}`, members, durability: durabilityName(durability), targets: kinds, flags, notes },
        members,
        durability,
        kinds,
      });
    }
  }
  return groups;
}

/** Timed runs the suite will make, for the progress bar. */
function countSteps(s: Settings, groups: GroupPlan[]): number {
  const kv = planKvCases(s).length;
  const watch = s.workloads.includes('watch') ? s.watchers.length : 0;
  let steps = 0;
  for (const g of groups) {
    steps += (kv + watch) * s.rounds * g.kinds.length;
    if (s.workloads.includes('dataset')) steps += g.kinds.length;
  }
  return steps;
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
        for (const kind of g.kinds) targets.push(await startTarget(kind, g, s));
        await preload(s, targets, kvCases, progress, g.info.name);
        for (const kc of kvCases) {
          try {
            const c = await runKvCase(s, g.info.name, targets, kc, progress);
            out.cases.push(c);
            hooks.onCase?.(c, g.info);
          } catch (err) {
            out.failures.push(`${g.info.name}, ${kc.workload} ${kc.client} c=${kc.concurrency}: ${(err as Error).message}`);
          }
        }
        for (const n of watchers) {
          try {
            const c = await runWatchCase(s, g.info.name, targets, n, progress);
            out.cases.push(c);
            hooks.onCase?.(c, g.info);
          } catch (err) {
            out.failures.push(`${g.info.name}, watch ${n} watchers: ${(err as Error).message}`);
          }
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
        progress.step(`${g.info.name} · dataset ${s.datasetKeys.toLocaleString('en-US')} keys · ${targetLabels[kind]}`);
        let t: Target | undefined;
        try {
          t = await startTarget(kind, g, s);
          d.results[kind] = await runDataset(t, {
            keys: s.datasetKeys,
            hotRevisions: s.hotRevisions,
            readDurationMs: s.durationS * 1000,
            seed: s.seed,
            onProgress: (phase, n, total) => progress.update(total > 0 ? `${phase} ${Math.round((100 * n) / total)}%` : `${phase} ${n.toLocaleString('en-US')}`),
          });
        } catch (err) {
          out.failures.push(`${g.info.name}, dataset on ${targetLabels[kind]}: ${(err as Error).message}`);
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
  return startLocalTarget(kind, g.members, g.durability!);
}

/** Loads the key space (and the compare-and-put keys) into every target, once per group. */
async function preload(s: Settings, targets: Target[], cases: KvCase[], progress: Progress, group: string): Promise<void> {
  const space = cases.some((c) => needsKeySpace(c.workload));
  const cas = cases.some((c) => c.workload === 'txn-cas');
  for (const t of targets) {
    if (space && t.state.preloadedKeys < s.keys) {
      progress.step(`${group} · preload ${s.keys.toLocaleString('en-US')} keys · ${t.label}`);
      await loadKeys({ endpoints: t.endpoints, count: s.keys, keyAt: spaceKey, valueBytes, seed: s.seed, onProgress: (n) => progress.update(`${Math.round((100 * n) / s.keys)}%`) });
      t.state.preloadedKeys = s.keys;
    }
    if (cas && t.state.casRevisions.size === 0) {
      const n = casKeyCount(s.keys);
      const loaded = await loadKeys({ endpoints: t.endpoints, count: n, keyAt: casKey, valueBytes, seed: s.seed + 1 });
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

/** Medians over rounds per target, and Flotilla/etcd ratios when both ran. */
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
  const e = c.figures.etcd;
  const fl = c.figures.flotilla;
  if (e && fl) {
    const r: Ratios = {};
    const put = (k: keyof Ratios, v: number | undefined) => {
      if (v !== undefined) r[k] = v;
    };
    put('throughput', ratio(fl.throughput, e.throughput));
    put('p50', ratio(fl.p50Ms, e.p50Ms));
    put('p99', ratio(fl.p99Ms, e.p99Ms));
    put('p999', ratio(fl.p999Ms, e.p999Ms));
    put('cpu', ratio(fl.cpuCores, e.cpuCores));
    c.ratios = r;
  }
}

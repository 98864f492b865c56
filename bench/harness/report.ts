// Turns a suite's results into what people read: the terminal table, the Markdown report, the
// SVG charts, and the JSON document they are all made from.

import { fmtBytes, fmtCores, fmtInt, fmtMs, fmtRatio, markdownTable, textTable, type Align } from './format.js';
import type { BenchReport, CaseResult, DatasetCase, Figures, GroupInfo, Ratios } from './results.js';
import { barChart, lineChart, type Series } from './svg.js';
import { isSharded, targetLabels, targetLetters, type TargetKind } from './targets.js';
import { workloadTitles } from './workloads.js';
import { regionLine, type RegionSetup } from './presplit.js';

export function caseLabel(c: CaseResult): string {
  return c.workload === 'watch' ? `watch ${c.concurrency.toLocaleString('en-US')} watchers` : `${c.workload} ${c.client} c=${c.concurrency}`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** A target's figure over a base target's: R/e is Flotilla range over etcd. */
interface RatioPair {
  kind: TargetKind;
  base: 'etcd' | 'flotilla';
  name: string;
}

/** The ratios a group shows: every target over etcd, and every other target over Flotilla unsharded. */
function ratioPairs(g: GroupInfo): RatioPair[] {
  const pairs: RatioPair[] = [];
  for (const base of ['etcd', 'flotilla'] as const) {
    if (!g.targets.includes(base)) continue;
    for (const kind of g.targets) {
      if (kind === base || kind === 'etcd') continue;
      pairs.push({ kind, base, name: `${targetLetters[kind]}/${targetLetters[base]}` });
    }
  }
  return pairs;
}

function ratioOf(c: CaseResult, p: RatioPair): Ratios | undefined {
  return c.ratios?.[p.kind]?.[p.base];
}

const errorsOf = (c: CaseResult, t: TargetKind): number => c.figures[t]?.errors ?? 0;

/** Errors per target, in target order: "0" with one target, "0 / 0 / 12" with three. */
function errorsCell(g: GroupInfo, c: CaseResult): string {
  return g.targets.map((t) => (c.figures[t] ? fmtInt(errorsOf(c, t)) : '-')).join(' / ');
}

function errorsHead(g: GroupInfo): string {
  return g.targets.length === 1 ? 'errors' : `errors (${g.targets.map((t) => targetLetters[t]).join(' / ')})`;
}

/** The columns of the main table: throughput and latency per target, errors per target. */
function mainTable(g: GroupInfo, cases: CaseResult[], wide: boolean): { head: string[]; rows: string[][]; align: Align[] } {
  const head = ['case'];
  const align: Align[] = ['l'];
  for (const t of g.targets) {
    const l = targetLabels[t];
    head.push(`${l} ops/s`, `${l} p50 ms`, `${l} p99 ms`);
    if (wide) head.push(`${l} p99.9 ms`);
  }
  head.push(errorsHead(g));
  while (align.length < head.length) align.push('r');
  const rows = cases.map((c) => {
    const r = [caseLabel(c)];
    for (const t of g.targets) {
      const f = c.figures[t];
      r.push(f ? fmtInt(f.throughput) : c.skipped?.[t] !== undefined ? 'skipped' : '-', fmtMs(f?.p50Ms), fmtMs(f?.p99Ms));
      if (wide) r.push(fmtMs(f?.p999Ms));
    }
    r.push(errorsCell(g, c));
    return r;
  });
  return { head, rows, align };
}

/** Throughput, p50 and p99 of every target over etcd's and over Flotilla unsharded's. */
function ratioTable(g: GroupInfo, cases: CaseResult[]): { head: string[]; rows: string[][]; align: Align[] } | undefined {
  const pairs = ratioPairs(g);
  if (pairs.length === 0) return undefined;
  const head = ['case'];
  for (const p of pairs) head.push(`ops/s ${p.name}`, `p50 ${p.name}`, `p99 ${p.name}`);
  const rows = cases.map((c) => {
    const r = [caseLabel(c)];
    for (const p of pairs) {
      const x = ratioOf(c, p);
      r.push(fmtRatio(x?.throughput), fmtRatio(x?.p50), fmtRatio(x?.p99));
    }
    return r;
  });
  return { head, rows, align: ['l', ...head.slice(1).map((): Align => 'r')] };
}

/** Terminal lines for one finished case (printed as it finishes). */
export function terminalGroupHeader(g: GroupInfo): string[] {
  return ['', `== ${g.name}: ${g.targets.map((t) => targetLabels[t]).join(' vs ')}`, ...g.notes.map((n) => `   NB: ${n}`)];
}

export function terminalCaseLine(g: GroupInfo, c: CaseResult): string {
  const parts = [caseLabel(c).padEnd(28)];
  for (const t of g.targets) {
    const f = c.figures[t];
    if (!f && c.skipped?.[t] !== undefined) parts.push(`${targetLabels[t]} skipped`);
    else parts.push(`${targetLabels[t]} ${fmtInt(f?.throughput).padStart(8)} ${c.unit}, p50 ${fmtMs(f?.p50Ms).padStart(5)} p99 ${fmtMs(f?.p99Ms).padStart(5)} ms`);
  }
  const ratios = ratioPairs(g)
    .map((p) => [p.name, ratioOf(c, p)] as const)
    .filter(([, r]) => r?.throughput !== undefined)
    .map(([name, r]) => `${name} ${fmtRatio(r!.throughput)}`);
  if (ratios.length > 0) parts.push(ratios.join(' '));
  for (const t of g.targets) {
    const f = c.figures[t];
    if (f && f.errors > 0) parts.push(`${targetLabels[t]}: ${fmtInt(f.errors)} errors (${f.firstError ?? 'no message'})`);
    if ((f?.lostEvents ?? 0) + (f?.duplicatedEvents ?? 0) > 0) parts.push(`${targetLabels[t]}: ${fmtInt(f!.lostEvents)} events lost, ${fmtInt(f!.duplicatedEvents)} duplicated`);
  }
  return parts.join(' | ');
}

/** The final summary table printed on the terminal. */
export function terminalSummary(r: BenchReport): string[] {
  const out: string[] = [];
  for (const g of r.groups) {
    const cases = r.cases.filter((c) => c.group === g.name);
    out.push('', `${g.name} (${g.targets.map((t) => targetLabels[t]).join(' vs ')}; medians of ${roundsOf(r)} rounds)`);
    for (const n of g.notes) out.push(`NB: ${n}`);
    for (const [kind, setup] of Object.entries(g.regions ?? {})) out.push(`${targetLabels[kind as TargetKind]}: ${regionLine(setup)}`);
    for (const x of g.skipped ?? []) out.push(`not run: ${x}`);
    if (cases.length > 0) {
      const t = mainTable(g, cases, false);
      out.push(...textTable(t.head, t.rows, t.align));
      const rt = ratioTable(g, cases);
      if (rt) out.push('', `ratios (${ratioLegend(g)})`, ...textTable(rt.head, rt.rows, rt.align));
    }
    for (const d of r.datasets.filter((x) => x.group === g.name)) out.push('', ...textTable(...datasetTable(g, d)));
  }
  if (r.failures.length > 0) out.push('', 'FAILED:', ...r.failures.map((f) => `  ${f}`));
  return out;
}

function ratioLegend(g: GroupInfo): string {
  return ratioPairs(g).map((p) => `${p.name} = ${targetLabels[p.kind]} / ${targetLabels[p.base]}`).join(', ');
}

function roundsOf(r: BenchReport): number {
  return (r.settings as { rounds?: number }).rounds ?? 1;
}

function datasetTable(g: GroupInfo, d: DatasetCase): [string[], string[][], Align[]] {
  const pairs = ratioPairs(g);
  const head = ['data set', ...g.targets.map((t) => targetLabels[t]), ...pairs.map((p) => p.name)];
  const rows: string[][] = [];
  const add = (label: string, f: (t: TargetKind) => number | undefined, fmt: (x: number | undefined) => string) => {
    const vs = g.targets.map(f);
    const row = [label, ...vs.map(fmt)];
    for (const p of pairs) {
      const b = f(p.base);
      const x = f(p.kind);
      row.push(b && x ? fmtRatio(x / b) : '-');
    }
    rows.push(row);
  };
  const res = (t: TargetKind) => d.results[t];
  const keys = g.targets.map((t) => res(t)?.keys).find((k) => k !== undefined) ?? 0;
  const hot = g.targets.map((t) => res(t)?.hotRevisions).find((k) => k !== undefined) ?? 0;
  add(`load ${fmtInt(keys)} keys, keys/s`, (t) => res(t)?.keysPerS, fmtInt);
  add('RssAnon before load', (t) => res(t)?.before.rssAnonBytes, fmtBytes);
  add('RssAnon after load', (t) => res(t)?.afterLoad.rssAnonBytes, fmtBytes);
  add('VmHWM after load', (t) => res(t)?.afterLoad.vmHwmBytes, fmtBytes);
  add('db size before load', (t) => res(t)?.before.diskBytes, fmtBytes);
  add('db size after load', (t) => res(t)?.afterLoad.diskBytes, fmtBytes);
  add(`${fmtInt(hot)} puts to one key, puts/s`, (t) => res(t)?.hotPutsPerS, fmtInt);
  add('RssAnon after hot key', (t) => res(t)?.afterHot.rssAnonBytes, fmtBytes);
  add('db size after hot key', (t) => res(t)?.afterHot.diskBytes, fmtBytes);
  const readNames = [...new Set(g.targets.flatMap((t) => res(t)?.reads.map((x) => x.name) ?? []))];
  for (const name of readNames) {
    const read = (t: TargetKind) => res(t)?.reads.find((x) => x.name === name)?.result;
    add(`${name}, c=1, p50 ms`, (t) => read(t)?.latencyMs.p50, fmtMs);
    add(`${name}, c=1, p99 ms`, (t) => read(t)?.latencyMs.p99, fmtMs);
  }
  return [head, rows, ['l', ...head.slice(1).map((): Align => 'r')]];
}

export interface Chart {
  file: string;
  title: string;
  svg: string;
}

function seriesFor(g: GroupInfo, cases: CaseResult[], pick: (f: Figures | undefined) => number | undefined): Series[] {
  return g.targets.map((t) => ({ name: targetLabels[t], values: cases.map((c) => pick(c.figures[t])) }));
}

export function makeCharts(r: BenchReport): Chart[] {
  const charts: Chart[] = [];
  for (const g of r.groups) {
    const gs = slug(g.name);
    const kv = r.cases.filter((c) => c.group === g.name && c.workload !== 'watch');
    const headline = kv.filter((c) => !c.sweep);
    if (headline.length > 0) {
      const categories = headline.map(caseLabel);
      charts.push({ file: `${gs}-throughput.svg`, title: `${g.name}: throughput`, svg: barChart({ title: `Throughput, ${g.name}`, unit: 'req/s', categories, series: seriesFor(g, headline, (f) => f?.throughput) }) });
      charts.push({ file: `${gs}-latency-p99.svg`, title: `${g.name}: p99 latency`, svg: barChart({ title: `p99 latency, ${g.name}`, unit: 'ms', categories, series: seriesFor(g, headline, (f) => f?.p99Ms) }) });
    }
    // Line charts for every workload and client measured at more than one concurrency.
    const pairs = [...new Set(kv.map((c) => `${c.workload} ${c.client}`))];
    for (const pair of pairs) {
      const cs = kv.filter((c) => `${c.workload} ${c.client}` === pair).sort((a, b) => a.concurrency - b.concurrency);
      if (cs.length < 2) continue;
      const categories = cs.map((c) => String(c.concurrency));
      const ps = slug(pair);
      charts.push({ file: `${gs}-${ps}-throughput.svg`, title: `${g.name}: ${pair} throughput by concurrency`, svg: lineChart({ title: `${pair}: throughput by concurrency, ${g.name}`, unit: 'req/s', xLabel: 'requests in flight', categories, series: seriesFor(g, cs, (f) => f?.throughput) }) });
      charts.push({ file: `${gs}-${ps}-latency.svg`, title: `${g.name}: ${pair} p99 latency by concurrency`, svg: lineChart({ title: `${pair}: p99 latency by concurrency, ${g.name}`, unit: 'ms', xLabel: 'requests in flight', categories, series: seriesFor(g, cs, (f) => f?.p99Ms) }) });
    }
    const watch = r.cases.filter((c) => c.group === g.name && c.workload === 'watch').sort((a, b) => a.concurrency - b.concurrency);
    if (watch.length > 0) {
      const categories = watch.map((c) => c.concurrency.toLocaleString('en-US'));
      const chart = watch.length > 1 ? lineChart : barChart;
      charts.push({ file: `${gs}-watch-events.svg`, title: `${g.name}: watch events delivered per second`, svg: chart({ title: `Watch fan-out: delivered events/s, ${g.name}`, unit: 'events/s', xLabel: 'watchers', categories, series: seriesFor(g, watch, (f) => f?.throughput) }) });
      charts.push({ file: `${gs}-watch-latency.svg`, title: `${g.name}: put-to-event p99 latency`, svg: chart({ title: `Watch fan-out: put-to-event p99 latency, ${g.name}`, unit: 'ms', xLabel: 'watchers', categories, series: seriesFor(g, watch, (f) => f?.p99Ms) }) });
    }
  }
  return charts;
}

export function markdownReport(r: BenchReport, charts: Chart[]): string {
  const s = r.settings as { rounds: number; durationS: number; warmupS: number; keys: number; watchPutsPerS: number; requests: number };
  const m = r.machine;
  const out: string[] = [];
  const everyTarget = [...new Set(r.groups.flatMap((g) => g.targets))];
  const sharded = everyTarget.some(isSharded);
  out.push(`# Flotilla and etcd, side by side`, '');
  out.push(`${r.date}. Reproduce with:`, '', '```sh', r.command, '```', '');
  out.push('## Machine and versions', '');
  out.push(
    ...markdownTable(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} logical cores`],
        ['memory', fmtBytes(m.memoryBytes)],
        ...(r.loadAverage ? [['load average (1, 5, 15 min)', `${r.loadAverage.start.map((x) => x.toFixed(2)).join(', ')} at the start${r.loadAverage.end ? `; ${r.loadAverage.end.map((x) => x.toFixed(2)).join(', ')} at the end` : ''} (the run itself adds to it)`]] : []),
        ['kernel', m.kernel],
        ['OS', m.os],
        ['Node', r.versions.node],
        ['etcd', r.versions.etcd],
        ['Flotilla', `commit ${r.versions.flotilla}`],
        ['clients', `autocannon ${r.versions.autocannon} (JSON gateway), @grpc/grpc-js ${r.versions.grpcJs} (gRPC load generator)`],
      ],
      ['l', 'l'],
    ),
    '',
  );
  out.push('## Method', '');
  out.push(
    `- Each case ran ${s.rounds} timed round${s.rounds === 1 ? '' : 's'} of ${s.durationS} s on each target, in alternation (A B A B ...), after ${s.warmupS} s of unrecorded warm-up on each; figures are medians over the rounds${s.requests > 0 ? ` (each run capped at ${s.requests} requests)` : ''}.`,
    '- `http`: autocannon against the JSON gateway (`POST /v3/kv/put`, `/v3/kv/range`, `/v3/kv/txn`), one connection per request in flight. `grpc`: our load generator on @grpc/grpc-js (etcd\'s `etcdserverpb.KV` service), concurrent calls over up to 16 HTTP/2 connections. With several members (or stores), connections are spread over every member (or store).',
    `- Values are 256 bytes; the key space holds ${s.keys.toLocaleString('en-US')} preloaded keys; zipfian keys use YCSB's theta 0.99. Latency is measured by the client, from request sent to reply received.`,
    `- Watch fan-out: the watchers watch one prefix (100 per stream, one connection per stream); one writer puts ${s.watchPutsPerS} keys/s under it; latency is put sent to event received; every watcher must receive every put once, in order (an event still missing once delivery has been quiet for 10 s counts as lost).`,
    '- CPU is the servers\' CPU seconds per second of the run, summed over members (/proc/PID/stat); memory is private resident memory (RssAnon, /proc/PID/status), summed over members, peak of 5 samples/s; db size is `du` of the data dirs. The client runs on the same machine and shares its cores.',
  );
  if (sharded) {
    out.push(
      '- **Flotilla** is Flotilla unsharded (one region, etcd-style members, etcd\'s flags). **Flotilla range** is range mode: one PD member and N stores, each its own process; regions of R voters. PD always runs with fsync (it is off the data path: the timestamp oracle saves a window ahead and IDs come in batches); the durability flags go to the stores. Clients spread over the stores\' endpoints; a store that does not lead a request\'s region forwards it to the leader\'s store (one more hop), a range over several regions is cut at the boundaries, sent to every region at once and merged in key order. CPU, memory and db size of range mode include PD.',
      '- Before the workloads, range mode is split into `--regions` regions through PD\'s API (`POST /pd/api/v1/split`), at keys spread evenly over the key spaces the run reads (shared equally between `bench/k/` and, with prefix-scan, `bench/scan/`), and, unless `--no-spread-leaders`, region leaders are moved (`POST /pd/api/v1/transfer-leader`) so that every store leads its share, as PD\'s balance-leader scheduler would; the regions after the run are listed too, since PD\'s own schedulers may split or move them meanwhile. Preloads use transactions of up to 128 puts cut at the region boundaries (range mode serves transactions within one region).',
      '- Workloads a target does not serve yet are not run on it; each group lists them with the reason.',
    );
    if (everyTarget.includes('flotilla-hash')) {
      out.push(
        '- **Flotilla hash** is hash mode: the same PD + N stores, the 16,384 slots (CRC16 of the key, Redis Cluster\'s `{tag}` rule) divided among G slot groups, each its own Raft group of R voters with its own tablet; G is `--regions` when given (PD\'s `--hash-groups`), else max(3, stores) as `flotilla cluster`. PD creates the groups at bootstrap, each an equal run of slots, so nothing is split; leaders are spread as for range mode. A single key goes to its slot\'s group, a range asks every group and merges. Preloads bucket the keys by their slot\'s group (PD\'s slot table, `GET /pd/api/v1/regions`) and cut each bucket into transactions of up to 128 puts (hash mode serves transactions within one group).',
      );
    }
  }
  out.push(`- Ratios: X/e is target X\'s figure divided by etcd\'s, X/F divided by Flotilla unsharded\'s (${everyTarget.filter((t) => t !== 'endpoints').map((t) => `${targetLetters[t]} = ${targetLabels[t]}`).join(', ')}); above 1 means more throughput, or more latency, than the base.`, '');
  for (const g of r.groups) {
    out.push(`## ${g.name}`, '');
    out.push(`Durability: **${g.durability}**. Targets: ${g.targets.map((t) => `${targetLabels[t]}${g.flags[t] && g.flags[t]!.length > 0 ? ` (\`${g.flags[t]!.join(' ')}\`)` : ''}`).join(', ')}.`, '');
    for (const [kind, setup] of Object.entries(g.regions ?? {})) out.push(...regionSection(targetLabels[kind as TargetKind], setup), '');
    for (const n of g.notes) out.push(`> **${n}**`, '');
    if ((g.skipped ?? []).length > 0) out.push('Not run:', '', ...g.skipped!.map((x) => `- ${x}`), '');
    const cases = r.cases.filter((c) => c.group === g.name);
    const kv = cases.filter((c) => c.workload !== 'watch');
    if (kv.length > 0) {
      out.push('### Throughput and latency', '');
      const t = mainTable(g, kv, true);
      out.push(...markdownTable(t.head, t.rows, t.align), '');
      const rt = ratioTable(g, kv);
      if (rt) out.push(`Ratios (${ratioLegend(g)}):`, '', ...markdownTable(rt.head, rt.rows, rt.align), '');
      for (const c of kv.filter((x) => x.workload === 'txn-cas')) {
        const parts = g.targets.filter((t) => c.figures[t]).map((t) => {
          const xs = c.samples.filter((x) => x.target === t && x.cas);
          const ok = xs.reduce((a, x) => a + x.cas!.succeeded, 0);
          const all = ok + xs.reduce((a, x) => a + x.cas!.failed, 0);
          return `${targetLabels[t]} ${all > 0 ? ((100 * ok) / all).toFixed(1) : '-'}%`;
        });
        out.push(`Compares that held in ${caseLabel(c)}: ${parts.join(', ')}.`, '');
      }
      const scans = kv.filter((c) => c.workload === 'prefix-scan');
      if (scans.length > 0) out.push(...prefixScanSection(g, scans), '');
    }
    const failed = cases.flatMap((c) => g.targets.filter((t) => errorsOf(c, t) > 0).map((t) => ({ c, t, f: c.figures[t]! })));
    if (failed.length > 0) {
      out.push('### Errors', '');
      for (const { c, t, f } of failed) out.push(`- ${caseLabel(c)} on ${targetLabels[t]}: ${fmtInt(f.errors)} failed, ${fmtInt(f.requests)} succeeded over ${f.rounds} rounds; first error: \`${(f.firstError ?? 'no message').replace(/`/g, "'")}\``);
      out.push('');
    }
    const watch = cases.filter((c) => c.workload === 'watch');
    if (watch.length > 0) {
      out.push('### Watch fan-out', '');
      const pairs = ratioPairs(g);
      const head = ['watchers'];
      for (const t of g.targets) head.push(`${targetLabels[t]} events/s`, `${targetLabels[t]} p50 ms`, `${targetLabels[t]} p99 ms`, `${targetLabels[t]} lost / duplicated`);
      for (const p of pairs) head.push(`events/s ${p.name}`, `p99 ${p.name}`);
      const rows = watch.map((c) => {
        const row = [c.concurrency.toLocaleString('en-US')];
        for (const t of g.targets) {
          const f = c.figures[t];
          row.push(f ? fmtInt(f.throughput) : c.skipped?.[t] !== undefined ? 'skipped' : '-', fmtMs(f?.p50Ms), fmtMs(f?.p99Ms), f ? `${f.lostEvents ?? 0} / ${f.duplicatedEvents ?? 0}` : '-');
        }
        for (const p of pairs) row.push(fmtRatio(ratioOf(c, p)?.throughput), fmtRatio(ratioOf(c, p)?.p99));
        return row;
      });
      out.push(...markdownTable(head, rows, ['l', ...head.slice(1).map((): Align => 'r')]), '');
    }
    if (cases.length > 0) {
      out.push('### Server resources', '');
      const head = ['case'];
      for (const t of g.targets) head.push(`${targetLabels[t]} CPU cores`, `${targetLabels[t]} peak RssAnon`, `${targetLabels[t]} db before → after`);
      const rows = cases.map((c) => {
        const row = [caseLabel(c)];
        for (const t of g.targets) {
          const f = c.figures[t];
          const d = c.disk[t];
          row.push(fmtCores(f?.cpuCores), fmtBytes(f?.peakRssAnonBytes), d ? `${fmtBytes(d.before)} → ${fmtBytes(d.after)}` : '-');
        }
        return row;
      });
      out.push(...markdownTable(head, rows, ['l', ...head.slice(1).map((): Align => 'r')]), '');
    }
    for (const d of r.datasets.filter((x) => x.group === g.name)) {
      out.push('### Data set growth', '');
      for (const [kind, setup] of Object.entries(d.regions ?? {})) out.push(`${targetLabels[kind as TargetKind]} (its own servers): ${regionLine(setup)}.`, '');
      out.push(...markdownTable(...datasetTable(g, d)), '');
    }
    const mine = charts.filter((c) => c.file.startsWith(`${slug(g.name)}-`));
    if (mine.length > 0) {
      out.push('### Charts', '');
      for (const c of mine) out.push(`![${c.title}](${c.file})`, '');
    }
  }
  if (r.failures.length > 0) {
    out.push('## Failures', '', ...r.failures.map((f) => `- ${f.replace(/\n/g, '\n  ')}`), '');
  }
  out.push('## Workloads', '', ...Object.entries(workloadTitles).map(([k, v]) => `- \`${k}\`: ${v}`), '');
  return out.join('\n');
}

/** A range-mode target's stores, replicas and regions, before the workloads and after them. */
function regionSection(label: string, r: RegionSetup): string[] {
  const leaders = (l: RegionSetup['before']) => Object.entries(l.leadersPerStore).map(([id, n]) => `store ${id}: ${n}`).join(', ');
  const lines = [
    `**${label}**: PD (one member, fsync) + ${r.stores} store${r.stores === 1 ? '' : 's'}, ${r.replicas} voter${r.replicas === 1 ? '' : 's'} per region. ` +
      (r.mode === 'hash'
        ? `**Slot groups: ${r.before.regions}** (PD's \`--hash-groups ${r.regionsAsked}\`, made at bootstrap; no splits), `
        : `**Regions: ${r.before.regions}** (asked for ${r.regionsAsked}${r.splitKeys.length > 0 ? `; split at ${r.splitKeys.map((k) => `\`${k}\``).join(', ')}` : '; no pre-split'}), `) +
      `set up in ${r.setupS.toFixed(1)} s. ${r.spans.map((x) => `\`${x.space}\` spans ${x.regions} ${r.mode === 'hash' ? 'group' : 'region'}${x.regions === 1 ? '' : 's'}`).join('; ')}.`,
    '',
    `Region leaders before the workloads: ${leaders(r.before)}${r.before.regionsWithoutLeader > 0 ? `, ${r.before.regionsWithoutLeader} without a leader` : ''}${r.leadersNotMoved > 0 ? ` (${r.leadersNotMoved} leader moves had not finished after 30 s)` : ''}.` +
      (r.after ? ` After them: ${r.after.regions} regions; leaders ${leaders(r.after)}${r.after.regionsWithoutLeader > 0 ? `, ${r.after.regionsWithoutLeader} without a leader` : ''}.` : ' After them: PD did not answer.'),
  ];
  return lines;
}

/** The prefix scan's figures per target, and what a scan over several regions costs. */
function prefixScanSection(g: GroupInfo, scans: CaseResult[]): string[] {
  const out = ['### Prefix scan of 10,000 keys', ''];
  const rows: string[][] = [];
  for (const c of scans) {
    for (const t of g.targets) {
      const f = c.figures[t];
      if (!f) continue;
      const spans = g.regions?.[t]?.spans.find((x) => x.space === 'bench/scan/')?.regions;
      rows.push([caseLabel(c), targetLabels[t], spans === undefined ? '-' : String(spans), fmtInt(f.throughput), fmtInt(f.throughput * 10_000), fmtMs(f.p50Ms), fmtMs(f.p99Ms), fmtCores(f.cpuCores)]);
    }
  }
  out.push(...markdownTable(['case', 'target', 'regions read', 'scans/s', 'keys/s', 'p50 ms', 'p99 ms', 'CPU cores'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  out.push(
    'Each scan reads the whole prefix `bench/scan/` (10,000 keys, 64 B values, no limit, linearizable). ' +
      'In range mode the store that takes the scan cuts it at the region boundaries, sends every piece at once to its region\'s leader ' +
      '(in its own lanes, or forwarded to the leader\'s store: msgpack over HTTP), each leader confirms its leadership (ReadIndex) and reads its part, ' +
      'and the store merges the parts in key order before encoding one reply. So the fan-out costs one request and one ReadIndex per region beyond the first, a forward hop for each region another store leads, ' +
      'plus a merge of every key, while the keys and bytes read stay the same. ' +
      'Range mode keeps neighbouring keys together, so a prefix spans only the regions its keys fill (the pre-split here spreads this prefix over several regions on purpose, to measure the fan-out). ' +
      'Hash mode scatters the keys of any prefix over every slot, so every scan asks every slot group and merges their answers, however small the prefix (for hash mode, "regions read" is the slot groups holding the prefix\'s keys).',
  );
  return out;
}

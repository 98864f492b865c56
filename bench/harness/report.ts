// Turns a suite's results into what people read: the terminal table, the Markdown report, the
// SVG charts, and the JSON document they are all made from.

import { fmtBytes, fmtCores, fmtInt, fmtMs, fmtRatio, markdownTable, textTable, type Align } from './format.js';
import type { BenchReport, CaseResult, DatasetCase, Figures, GroupInfo } from './results.js';
import { barChart, lineChart, type Series } from './svg.js';
import { targetLabels, type TargetKind } from './targets.js';
import { workloadTitles } from './workloads.js';

export function caseLabel(c: CaseResult): string {
  return c.workload === 'watch' ? `watch ${c.concurrency.toLocaleString('en-US')} watchers` : `${c.workload} ${c.client} c=${c.concurrency}`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

const compared = (g: GroupInfo) => g.targets.includes('etcd') && g.targets.includes('flotilla');

/** The columns of the main table: throughput and latency per target, ratios when both ran. */
function mainTable(g: GroupInfo, cases: CaseResult[], wide: boolean): { head: string[]; rows: string[][]; align: Align[] } {
  const head = ['case'];
  const align: Align[] = ['l'];
  for (const t of g.targets) {
    const l = targetLabels[t];
    head.push(`${l} ops/s`, `${l} p50 ms`, `${l} p99 ms`);
    if (wide) head.push(`${l} p99.9 ms`);
  }
  if (compared(g)) head.push('ops/s F/e', 'p50 F/e', 'p99 F/e');
  head.push('errors');
  while (align.length < head.length) align.push('r');
  const rows = cases.map((c) => {
    const r = [caseLabel(c)];
    for (const t of g.targets) {
      const f = c.figures[t];
      r.push(fmtInt(f?.throughput), fmtMs(f?.p50Ms), fmtMs(f?.p99Ms));
      if (wide) r.push(fmtMs(f?.p999Ms));
    }
    if (compared(g)) r.push(fmtRatio(c.ratios?.throughput), fmtRatio(c.ratios?.p50), fmtRatio(c.ratios?.p99));
    r.push(String(g.targets.reduce((a, t) => a + (c.figures[t]?.errors ?? 0), 0)));
    return r;
  });
  return { head, rows, align };
}

/** Terminal lines for one finished case (printed as it finishes). */
export function terminalGroupHeader(g: GroupInfo): string[] {
  return ['', `== ${g.name}: ${g.targets.map((t) => targetLabels[t]).join(' vs ')}`, ...g.notes.map((n) => `   NB: ${n}`)];
}

export function terminalCaseLine(g: GroupInfo, c: CaseResult): string {
  const parts = [caseLabel(c).padEnd(28)];
  for (const t of g.targets) {
    const f = c.figures[t];
    parts.push(`${targetLabels[t]} ${fmtInt(f?.throughput).padStart(8)} ${c.unit}, p50 ${fmtMs(f?.p50Ms).padStart(5)} p99 ${fmtMs(f?.p99Ms).padStart(5)} ms`);
  }
  if (c.ratios) parts.push(`F/e ${fmtRatio(c.ratios.throughput)} (p99 ${fmtRatio(c.ratios.p99)})`);
  const errors = g.targets.reduce((a, t) => a + (c.figures[t]?.errors ?? 0), 0);
  if (errors > 0) parts.push(`${errors} errors`);
  for (const t of g.targets) {
    const f = c.figures[t];
    if ((f?.lostEvents ?? 0) + (f?.duplicatedEvents ?? 0) > 0) parts.push(`${targetLabels[t]}: ${fmtInt(f!.lostEvents)} events lost, ${fmtInt(f!.duplicatedEvents)} duplicated`);
  }
  return parts.join(' | ');
}

/** The final summary table printed on the terminal. */
export function terminalSummary(r: BenchReport): string[] {
  const out: string[] = [];
  for (const g of r.groups) {
    const cases = r.cases.filter((c) => c.group === g.name);
    out.push('', `${g.name} (${g.targets.map((t) => targetLabels[t]).join(' vs ')}; medians of ${roundsOf(r)} rounds; F/e = Flotilla / etcd)`);
    for (const n of g.notes) out.push(`NB: ${n}`);
    if (cases.length > 0) {
      const t = mainTable(g, cases, false);
      out.push(...textTable(t.head, t.rows, t.align));
    }
    for (const d of r.datasets.filter((x) => x.group === g.name)) out.push('', ...textTable(...datasetTable(g, d)));
  }
  if (r.failures.length > 0) out.push('', 'FAILED:', ...r.failures.map((f) => `  ${f}`));
  return out;
}

function roundsOf(r: BenchReport): number {
  return (r.settings as { rounds?: number }).rounds ?? 1;
}

function datasetTable(g: GroupInfo, d: DatasetCase): [string[], string[][], Align[]] {
  const head = ['data set', ...g.targets.map((t) => targetLabels[t])];
  if (compared(g)) head.push('F/e');
  const rows: string[][] = [];
  const add = (label: string, f: (t: TargetKind) => number | undefined, fmt: (x: number | undefined) => string) => {
    const vs = g.targets.map(f);
    const row = [label, ...vs.map(fmt)];
    if (compared(g)) {
      const e = f('etcd');
      const fl = f('flotilla');
      row.push(e && fl ? fmtRatio(fl / e) : '-');
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
  out.push(`# Flotilla and etcd, side by side`, '');
  out.push(`${r.date}. Reproduce with:`, '', '```sh', r.command, '```', '');
  out.push('## Machine and versions', '');
  out.push(
    ...markdownTable(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} logical cores`],
        ['memory', fmtBytes(m.memoryBytes)],
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
    '- `http`: autocannon against the JSON gateway (`POST /v3/kv/put`, `/v3/kv/range`, `/v3/kv/txn`), one connection per request in flight. `grpc`: our load generator on @grpc/grpc-js (etcd\'s `etcdserverpb.KV` service), concurrent calls over up to 16 HTTP/2 connections. With several members, connections are spread over every member.',
    `- Values are 256 bytes; the key space holds ${s.keys.toLocaleString('en-US')} preloaded keys; zipfian keys use YCSB's theta 0.99. Latency is measured by the client, from request sent to reply received.`,
    `- Watch fan-out: the watchers watch one prefix (100 per stream, one connection per stream); one writer puts ${s.watchPutsPerS} keys/s under it; latency is put sent to event received; every watcher must receive every put once, in order (an event still missing once delivery has been quiet for 10 s counts as lost).`,
    '- CPU is the servers\' CPU seconds per second of the run, summed over members (/proc/PID/stat); memory is private resident memory (RssAnon, /proc/PID/status), summed over members, peak of 5 samples/s; db size is `du` of the data dirs. The client runs on the same machine and shares its cores.',
    '- F/e is Flotilla\'s figure divided by etcd\'s: above 1 means more throughput or more latency for Flotilla.',
    '',
  );
  for (const g of r.groups) {
    out.push(`## ${g.name}`, '');
    out.push(`Durability: **${g.durability}**. Targets: ${g.targets.map((t) => `${targetLabels[t]}${g.flags[t] && g.flags[t]!.length > 0 ? ` (\`${g.flags[t]!.join(' ')}\`)` : ''}`).join(', ')}.`, '');
    for (const n of g.notes) out.push(`> **${n}**`, '');
    const cases = r.cases.filter((c) => c.group === g.name);
    const kv = cases.filter((c) => c.workload !== 'watch');
    if (kv.length > 0) {
      out.push('### Throughput and latency', '');
      const t = mainTable(g, kv, true);
      out.push(...markdownTable(t.head, t.rows, t.align), '');
      for (const c of kv.filter((x) => x.workload === 'txn-cas')) {
        const parts = g.targets.map((t) => {
          const xs = c.samples.filter((x) => x.target === t && x.cas);
          const ok = xs.reduce((a, x) => a + x.cas!.succeeded, 0);
          const all = ok + xs.reduce((a, x) => a + x.cas!.failed, 0);
          return `${targetLabels[t]} ${all > 0 ? ((100 * ok) / all).toFixed(1) : '-'}%`;
        });
        out.push(`Compares that held in ${caseLabel(c)}: ${parts.join(', ')}.`, '');
      }
    }
    const watch = cases.filter((c) => c.workload === 'watch');
    if (watch.length > 0) {
      out.push('### Watch fan-out', '');
      const head = ['watchers'];
      for (const t of g.targets) head.push(`${targetLabels[t]} events/s`, `${targetLabels[t]} p50 ms`, `${targetLabels[t]} p99 ms`, `${targetLabels[t]} lost / duplicated`);
      if (compared(g)) head.push('events/s F/e', 'p99 F/e');
      const rows = watch.map((c) => {
        const row = [c.concurrency.toLocaleString('en-US')];
        for (const t of g.targets) {
          const f = c.figures[t];
          row.push(fmtInt(f?.throughput), fmtMs(f?.p50Ms), fmtMs(f?.p99Ms), f ? `${f.lostEvents ?? 0} / ${f.duplicatedEvents ?? 0}` : '-');
        }
        if (compared(g)) row.push(fmtRatio(c.ratios?.throughput), fmtRatio(c.ratios?.p99));
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
          row.push(fmtCores(f?.cpuCores), fmtBytes(f?.peakRssAnonBytes), `${fmtBytes(d?.before)} → ${fmtBytes(d?.after)}`);
        }
        return row;
      });
      out.push(...markdownTable(head, rows, ['l', ...head.slice(1).map((): Align => 'r')]), '');
    }
    for (const d of r.datasets.filter((x) => x.group === g.name)) {
      out.push('### Data set growth', '');
      out.push(...markdownTable(...datasetTable(g, d)), '');
    }
    const mine = charts.filter((c) => c.file.startsWith(`${slug(g.name)}-`));
    if (mine.length > 0) {
      out.push('### Charts', '');
      for (const c of mine) out.push(`![${c.title}](${c.file})`, '');
    }
  }
  if (r.failures.length > 0) {
    out.push('## Failures', '', ...r.failures.map((f) => `- ${f}`), '');
  }
  out.push('## Workloads', '', ...Object.entries(workloadTitles).map(([k, v]) => `- \`${k}\`: ${v}`), '');
  return out.join('\n');
}

// npm run bench -- [--compare [--targets etcd,flotilla,flotilla-range,flotilla-hash] | --target NAME | --endpoints URLS] [--quick] [...]
//
// Benchmarks Flotilla side by side with real etcd, unsharded and in range and hash mode: autocannon over
// etcd's JSON gateway and a gRPC load generator, over put, get, range, prefix scan, txn, YCSB,
// watch fan-out and data-set workloads.
// Prints the machine, the settings and a table (with a live progress bar on a terminal), and
// writes report.md, results.json and SVG charts to bench/results/<date>-<mode>/ (or --out).
// `npm run bench -- --help` lists the options.

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine, localTargets, parseSettings, UsageError, usage, type Settings } from './harness/options.js';
import { Progress } from './harness/progress.js';
import { makeCharts, markdownReport, terminalCaseLine, terminalGroupHeader, terminalSummary } from './harness/report.js';
import type { BenchReport } from './harness/results.js';
import { runSuite } from './harness/runner.js';
import { durabilityName } from './harness/targets.js';
import { endpointVersion, etcdVersion, machine, versions } from './harness/versions.js';
import { fmtBytes } from './harness/format.js';
import { ensureEtcd } from './harness/install.js';

const repoDir = fileURLToPath(new URL('../../', import.meta.url));

function defaultOut(s: Settings, date: Date): string {
  const stamp = date.toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const mode = s.mode.kind === 'single' ? s.mode.target : s.mode.kind === 'compare' && s.mode.targets.some((t) => t !== 'etcd' && t !== 'flotilla') ? `compare-${s.mode.targets.join('-')}` : s.mode.kind;
  return join(repoDir, 'bench', 'results', `${stamp}-${mode}${s.preset === 'quick' ? '-quick' : ''}`);
}

/** Runs the benchmark; resolves with the exit code. Exported for the smoke test. */
export async function main(argv: string[]): Promise<number> {
  let s: Settings | undefined;
  try {
    s = parseSettings(argv);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bench: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    throw err;
  }
  if (s === undefined) return 0;

  const usesEtcd = localTargets(s.mode).includes('etcd');
  if (usesEtcd) {
    try {
      ensureEtcd((line) => console.log(line));
    } catch (err) {
      process.stderr.write(`bench: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const date = new Date();
  const { machine: m, commit } = machine(repoDir);
  const etcd = s.mode.kind === 'endpoints' ? `endpoint /version: ${await endpointVersion(s.mode.endpoints[0]!)}` : usesEtcd ? etcdVersion() : 'not used';
  const report: BenchReport = {
    date: date.toISOString(),
    command: commandLine(s),
    machine: m,
    loadAverage: { start: loadavg() },
    versions: versions(commit, etcd),
    settings: { ...s, durability: s.durability.map(durabilityName) },
    groups: [],
    cases: [],
    datasets: [],
    failures: [],
    charts: [],
  };
  const out = resolve(s.out ?? defaultOut(s, date));

  console.log('Flotilla and etcd, side by side');
  console.log(`machine   ${m.cpu}, ${m.cores} logical cores, ${fmtBytes(m.memoryBytes)}, Linux ${m.kernel}`);
  console.log(`versions  Node ${report.versions.node}, etcd ${report.versions.etcd}, Flotilla ${commit}, autocannon ${report.versions.autocannon}, grpc-js ${report.versions.grpcJs}`);
  console.log(`command   ${report.command}`);
  console.log(`load      ${loadavg().map((x) => x.toFixed(2)).join(' ')} (1, 5, 15 min)`);
  console.log(`output    ${out}`);

  const progress = new Progress(0);
  try {
    const result = await runSuite(
      s,
      {
        onGroupStart: (g) => {
          for (const l of terminalGroupHeader(g)) progress.print(l);
        },
        onCase: (c, g) => progress.print(terminalCaseLine(g, c)),
        onDataset: (d) => {
          for (const [t, r] of Object.entries(d.results)) {
            progress.print(`dataset ${r.keys.toLocaleString('en-US')} keys on ${t}: ${Math.round(r.keysPerS).toLocaleString('en-US')} keys/s, RssAnon ${fmtBytes(r.afterLoad.rssAnonBytes)}, db ${fmtBytes(r.afterLoad.diskBytes)}`);
          }
        },
      },
      progress,
    );
    Object.assign(report, result);
  } finally {
    progress.close();
  }

  report.loadAverage!.end = loadavg();
  mkdirSync(out, { recursive: true });
  const charts = s.charts ? makeCharts(report) : [];
  report.charts = charts.map((c) => c.file);
  for (const c of charts) writeFileSync(join(out, c.file), c.svg);
  writeFileSync(join(out, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(out, 'report.md'), markdownReport(report, charts));
  for (const l of terminalSummary(report)) console.log(l);
  console.log('');
  console.log(`wrote     ${join(out, 'report.md')}, results.json and ${charts.length} charts`);
  return report.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Sockets of grpc-js and autocannon may linger; the report is written, so leave now.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

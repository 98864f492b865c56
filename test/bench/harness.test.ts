// Smoke tests of the side-by-side benchmark harness (`npm run bench`): tiny runs against
// Flotilla alone and against etcd and Flotilla together, checking that every output is produced
// and well formed, that requests were made and none failed. Never timings: those belong in
// reports, not in tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayRequest } from '../../bench/harness/autocannon.js';
import { prefixEnd, zipfianChooser } from '../../bench/harness/keys.js';
import type { BenchReport } from '../../bench/harness/results.js';
import { LatencyRecorder, percentile } from '../../bench/harness/stats.js';
import { lineChart } from '../../bench/harness/svg.js';
import { Prng } from '../../src/util/prng.js';
import { repoRoot } from '../support/servers.js';

const mainJs = join(repoRoot, 'dist', 'bench', 'main.js');

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mainJs, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Tags open and close in order: enough to tell a truncated or garbled SVG. */
function assertWellFormedSvg(svg: string, file: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, file);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) assert.equal(stack.pop(), name, `${file}: </${name}> closes the wrong tag`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], `${file}: unclosed tags`);
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/, file);
}

/** Checks the files of one run and returns its JSON document. */
function checkOutput(dir: string): BenchReport {
  const files = readdirSync(dir);
  assert.ok(files.includes('results.json'), 'results.json written');
  assert.ok(files.includes('report.md'), 'report.md written');
  const report = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchReport;
  assert.deepEqual(report.failures, []);
  assert.ok(report.machine.cores > 0);
  assert.ok(report.versions.node.startsWith('v'));
  assert.ok(report.charts.length > 0, 'charts drawn');
  for (const chart of report.charts) {
    assert.ok(files.includes(chart), `${chart} written`);
    assertWellFormedSvg(readFileSync(join(dir, chart), 'utf8'), chart);
  }
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /^# Flotilla and etcd, side by side/);
  assert.match(md, /npm run bench -- /, 'the report quotes the command');
  for (const g of report.groups) assert.ok(md.includes(`## ${g.name}`), `report has a section for ${g.name}`);
  for (const chart of report.charts) assert.ok(md.includes(`](${chart})`), `report shows ${chart}`);
  for (const c of report.cases) {
    for (const t of report.groups.find((g) => g.name === c.group)!.targets) {
      const f = c.figures[t];
      assert.ok(f, `${c.workload} ${c.client} has figures for ${t}`);
      assert.ok(f.requests > 0, `${c.workload} ${c.client} on ${t}: requests made`);
      assert.equal(f.errors, 0, `${c.workload} ${c.client} on ${t}: ${f.firstError}`);
      assert.ok(f.throughput > 0 && f.p50Ms > 0 && f.p99Ms >= f.p50Ms);
      if (c.workload === 'watch') {
        assert.equal(f.lostEvents, 0, `watch on ${t}: lost events`);
        assert.equal(f.duplicatedEvents, 0, `watch on ${t}: duplicated events`);
      }
    }
  }
  return report;
}

test('a tiny run against Flotilla alone writes a report, JSON and charts with requests and no errors', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    const r = await runBench([
      '--target', 'flotilla', '--members', '1',
      '--workloads', 'put-random,get-ser,txn-cas,ycsb-a,watch',
      '--clients', 'http,grpc', '--concurrency', '4', '--requests', '150',
      '--duration', '1', '--warmup', '0', '--rounds', '1', '--keys', '500',
      '--watchers', '3', '--watch-rate', '20', '--out', out,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = checkOutput(out);
    assert.deepEqual(report.groups.map((g) => g.targets), [['flotilla']]);
    assert.equal(report.cases.length, 4 * 2 + 1);
    const cas = report.cases.find((c) => c.workload === 'txn-cas' && c.client === 'grpc')!;
    assert.ok(cas.samples[0]!.cas!.succeeded > 0, 'some compares held');
    assert.match(r.stdout, /put-random http c=4/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a tiny --compare runs etcd and Flotilla in alternation and reports Flotilla/etcd ratios and the data set', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    const r = await runBench([
      '--compare', '--members', '1', '--workloads', 'get-lin,put-hot,dataset',
      '--clients', 'http,grpc', '--concurrency', '4', '--requests', '100',
      '--duration', '0.3', '--warmup', '0', '--rounds', '2', '--keys', '300',
      '--dataset', '1000', '--hot-revisions', '100', '--out', out,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = checkOutput(out);
    assert.deepEqual(report.groups.map((g) => g.targets), [['etcd', 'flotilla']]);
    for (const c of report.cases) {
      assert.deepEqual(c.samples.map((s) => `${s.target}${s.round}`), ['etcd1', 'flotilla1', 'etcd2', 'flotilla2'], 'A B A B');
      assert.ok(c.ratios?.throughput !== undefined && c.ratios.throughput > 0);
      assert.ok(c.figures.flotilla!.cpuCores !== undefined && c.figures.flotilla!.peakRssAnonBytes! > 0);
      assert.ok(c.disk.etcd!.after! > 0 && c.disk.flotilla!.after! > 0);
    }
    const d = report.datasets[0]!;
    for (const t of ['etcd', 'flotilla'] as const) {
      const res = d.results[t]!;
      assert.equal(res.keys, 1000);
      assert.ok(res.afterLoad.rssAnonBytes > 0 && res.afterLoad.diskBytes! > 0);
      assert.deepEqual(res.reads.map((x) => x.name), ['get hot key', 'get random key', 'range 100 keys']);
      for (const x of res.reads) assert.ok(x.result.requests > 0 && x.result.errors === 0, `${t} ${x.name}`);
    }
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /ops\/s F\/e/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('--help lists the options, and a bad option is a usage error', async () => {
  const help = await runBench(['--help']);
  assert.equal(help.code, 0);
  for (const opt of ['--compare', '--endpoints', '--quick', '--workloads', '--concurrency', '--duration', '--rounds', '--members', '--durability', '--out']) {
    assert.ok(help.stdout.includes(opt), opt);
  }
  const bad = await runBench(['--durability', 'sometimes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--durability/);
});

test('gateway requests are etcd JSON with base64 keys and int64s as strings', () => {
  const key = Buffer.from('bench/k/00000001');
  const cas = JSON.parse(gatewayRequest({ kind: 'cas', key, value: Buffer.from('v'), modRevision: 42 }).body);
  assert.deepEqual(cas.compare, [{ result: 'EQUAL', target: 'MOD', key: key.toString('base64'), mod_revision: '42' }]);
  const range = gatewayRequest({ kind: 'range', key, rangeEnd: prefixEnd(key), limit: 100, serializable: true });
  assert.equal(range.path, '/v3/kv/range');
  assert.deepEqual(JSON.parse(range.body), { key: key.toString('base64'), range_end: Buffer.from('bench/k/00000002').toString('base64'), limit: '100', serializable: true });
});

test('percentiles are nearest-rank: p99 of 1..1000 is 990', () => {
  const rec = new LatencyRecorder();
  for (let i = 1000; i >= 1; i--) rec.record(i);
  const s = rec.summary();
  assert.equal(s.p50, 500);
  assert.equal(s.p99, 990);
  assert.equal(s.p999, 999);
  assert.equal(percentile([7], 0.99), 7);
});

test('zipfian keys stay in range and favour a few keys', () => {
  const z = zipfianChooser(1000, new Prng(3));
  const counts = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    const k = z.next();
    assert.ok(k >= 0 && k < 1000);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top = Math.max(...counts.values());
  assert.ok(top > 20_000 / 1000 * 20, `the hottest key is drawn far more often than 1 in 1000 (${top})`);
});

test('a line chart with a missing point still draws well-formed SVG', () => {
  const svg = lineChart({ title: 'x <&> y', unit: 'ms', xLabel: 'c', categories: ['1', '10'], series: [{ name: 'a', values: [1, undefined] }] });
  assertWellFormedSvg(svg, 'line');
  assert.ok(svg.includes('x &lt;&amp;&gt; y'));
});

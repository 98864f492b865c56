// Smoke tests of the side-by-side benchmark harness (`npm run bench`): tiny runs against
// Flotilla alone, against etcd and Flotilla together, against etcd, Flotilla and Flotilla's
// range mode (PD + stores, pre-split), and against hash mode (slot groups), checking that every output is produced and well formed,
// that requests were made and none failed. Never timings: those belong in reports, not in tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayRequest } from '../../bench/harness/autocannon.js';
import { prefixEnd, scanKey, scanKeyCount, scanPrefix, spaceKey, zipfianChooser } from '../../bench/harness/keys.js';
import { planSplitKeys } from '../../bench/harness/presplit.js';
import { commandLine, parseSettings } from '../../bench/harness/options.js';
import { groupsSpanned, slotGroupTable } from '../../bench/harness/sharded.js';
import { slotCount, slotOf } from '../../src/router/slots.js';
import type { BenchReport } from '../../bench/harness/results.js';
import { markdownReport } from '../../bench/harness/report.js';
import { LatencyRecorder, percentile } from '../../bench/harness/stats.js';
import { lineChart } from '../../bench/harness/svg.js';
import { Prng } from '../../src/util/prng.js';
import { repoRoot } from '../support/servers.js';

const mainJs = join(repoRoot, 'dist', 'bench', 'main.js');

function runBench(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mainJs, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
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
      if (c.skipped?.[t] !== undefined) {
        assert.equal(c.figures[t], undefined, `${c.workload} skipped on ${t} has no figures`);
        continue;
      }
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
      const r = c.ratios?.flotilla?.etcd;
      assert.ok(r?.throughput !== undefined && r.throughput > 0);
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

test('a tiny --targets etcd,flotilla,flotilla-range run pre-splits range mode into 2 regions and reports ratios to etcd and to Flotilla', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    const r = await runBench([
      '--targets', 'etcd,flotilla,flotilla-range', '--members', '1', '--regions', '2',
      '--workloads', 'put-random,range-prefix,prefix-scan,watch',
      '--clients', 'http,grpc', '--concurrency', '4', '--requests', '12',
      '--duration', '1', '--warmup', '0', '--rounds', '1', '--keys', '300',
      '--watchers', '2', '--watch-rate', '20', '--out', out,
    ], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = checkOutput(out);
    const g = report.groups[0]!;
    assert.deepEqual(g.targets, ['etcd', 'flotilla', 'flotilla-range']);
    const setup = g.regions?.['flotilla-range'];
    assert.ok(setup, 'the range target reports its regions');
    assert.equal(setup.before.regions, 2);
    assert.equal(setup.before.regionsWithoutLeader, 0);
    assert.equal(setup.splitKeys.length, 1);
    assert.equal(setup.after?.regions, 2, 'no region split or merged during the run');
    assert.deepEqual(report.cases.map((c) => `${c.workload} ${c.client}`), ['put-random http', 'put-random grpc', 'range-prefix http', 'range-prefix grpc', 'prefix-scan http', 'prefix-scan grpc', 'watch grpc']);
    for (const c of report.cases.filter((x) => x.workload !== 'watch')) {
      assert.deepEqual(c.samples.map((x) => x.target), ['etcd', 'flotilla', 'flotilla-range'], 'A B C');
      for (const base of ['etcd', 'flotilla'] as const) assert.ok(c.ratios?.['flotilla-range']?.[base]?.throughput! > 0, `${c.workload}: range over ${base}`);
      assert.ok(c.figures['flotilla-range']!.cpuCores !== undefined && c.disk['flotilla-range']!.after! > 0);
    }
    const watch = report.cases.find((c) => c.workload === 'watch')!;
    assert.deepEqual(Object.keys(watch.figures).sort(), ['etcd', 'flotilla', 'flotilla-range']);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /\*\*Regions: 2\*\*/);
    for (const col of ['ops/s F/e', 'ops/s R/e', 'ops/s R/F']) assert.ok(md.includes(col), col);
    assert.match(md, /### Prefix scan of 10,000 keys/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a case a target did not run shows as skipped, with the reason, not as a hole', () => {
  const figures = { rounds: 1, requests: 10, errors: 0, throughput: 5, p50Ms: 1, p99Ms: 2, p999Ms: 2 };
  const report: BenchReport = {
    date: '2026-01-01T00:00:00.000Z',
    command: 'npm run bench -- --targets etcd,flotilla-range',
    machine: { cpu: 'x', cores: 2, memoryBytes: 1, kernel: 'k', os: 'o' },
    versions: { node: 'v20', etcd: '3.4.23', flotilla: 'abc', autocannon: '9', grpcJs: '1' },
    settings: { rounds: 1, durationS: 1, warmupS: 0, keys: 10, watchPutsPerS: 20, requests: 0 },
    groups: [{ name: '3 members, fsync', members: 3, durability: 'fsync', targets: ['etcd', 'flotilla-range'], flags: {}, notes: [], skipped: ['watch on Flotilla range: leases are not served'] }],
    cases: [{ group: '3 members, fsync', workload: 'watch', client: 'grpc', concurrency: 1, unit: 'events/s', sweep: true, samples: [], figures: { etcd: figures }, skipped: { 'flotilla-range': 'leases are not served' }, disk: {} }],
    datasets: [],
    failures: [],
    charts: [],
  };
  const md = markdownReport(report, []);
  assert.match(md, /Not run:\n\n- watch on Flotilla range: leases are not served/);
  assert.match(md, /\| 1 \| 5 \| 1\.0 \| 2\.0 \| 0 \/ 0 \| skipped \| - \| - \| - \|/);
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

test('a tiny flotilla-hash run makes --regions slot groups, preloads in single-group transactions, and serves with no errors', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    // 300 keys + the compare-and-put keys over 2 groups: a preload batch over both would be a 501.
    const r = await runBench([
      '--target', 'flotilla-hash', '--members', '1', '--regions', '2',
      '--workloads', 'put-random,range-prefix,txn-cas',
      '--clients', 'grpc', '--concurrency', '4', '--requests', '12',
      '--duration', '1', '--warmup', '0', '--rounds', '1', '--keys', '300', '--out', out,
    ], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = checkOutput(out);
    const g = report.groups[0]!;
    assert.deepEqual(g.targets, ['flotilla-hash']);
    const setup = g.regions?.['flotilla-hash'];
    assert.ok(setup, 'the hash target reports its groups');
    assert.equal(setup.mode, 'hash');
    assert.equal(setup.regionsAsked, 2);
    assert.equal(setup.before.regions, 2);
    assert.equal(setup.before.regionsWithoutLeader, 0);
    assert.deepEqual(setup.splitKeys, [], 'hash mode does not split');
    assert.deepEqual(setup.spans, [{ space: 'bench/k/', regions: 2 }], 'the key space lies in both groups');
    assert.deepEqual(report.cases.map((c) => c.workload), ['put-random', 'range-prefix', 'txn-cas']);
    assert.ok(report.cases.find((c) => c.workload === 'txn-cas')!.samples[0]!.cas!.succeeded > 0, 'compares on preloaded revisions held');
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\*\*Flotilla hash\*\* is hash mode/);
    assert.match(report.command, /--regions 2/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('slot groups come from PD\'s slot runs, and a key space spans the groups its keys hash to', () => {
  const regions = [
    { id: 4, start: Buffer.alloc(0), end: Buffer.alloc(0), leaderStore: 1, voterStores: [1], slots: [[0, 8191]] as [number, number][] },
    { id: 8, start: Buffer.alloc(0), end: Buffer.alloc(0), leaderStore: 1, voterStores: [1], slots: [[8192, 16383]] as [number, number][] },
  ];
  const table = slotGroupTable(regions);
  assert.equal(table.length, slotCount);
  for (const key of ['a', 'bench/k/00000001', 'x{tag}y']) assert.equal(table[slotOf(Buffer.from(key))], slotOf(Buffer.from(key)) < 8192 ? 4 : 8);
  assert.equal(groupsSpanned(table, [Buffer.from('{t}1'), Buffer.from('{t}2')]), 1, 'keys sharing a {tag} share a group');
  assert.equal(groupsSpanned(table, Array.from({ length: 50 }, (_, i) => spaceKey(i))), 2);
  assert.throws(() => slotGroupTable(regions.slice(0, 1)), /slot 8192 no group/);
});

test('sharded-mode flags need a sharded target, and hash mode without --regions does not repeat as --regions 1', async () => {
  const regions = await runBench(['--targets', 'etcd,flotilla', '--regions', '4']);
  assert.equal(regions.code, 2);
  assert.match(regions.stderr, /--regions applies to flotilla-range and flotilla-hash/);
  const plain = parseSettings(['--targets', 'etcd,flotilla-hash'])!;
  assert.equal(plain.hashGroups, undefined);
  assert.doesNotMatch(commandLine(plain), /--regions/);
  const eight = parseSettings(['--targets', 'flotilla-range,flotilla-hash', '--regions', '8'])!;
  assert.equal(eight.hashGroups, 8);
  assert.match(commandLine(eight), /--regions 8/);
});

test('split keys share the regions between the key spaces, each split evenly', () => {
  const space = { name: 'key space', prefix: Buffer.from('bench/k/'), count: 100_000, keyAt: spaceKey };
  const scan = { name: 'prefix-scan keys', prefix: scanPrefix, count: scanKeyCount, keyAt: scanKey };
  const show = (ks: Buffer[]) => ks.map((k) => k.toString());
  assert.deepEqual(show(planSplitKeys([space, scan], 8)), [
    'bench/k/00020000', 'bench/k/00040000', 'bench/k/00060000', 'bench/k/00080000',
    'bench/scan/00002500', 'bench/scan/00005000', 'bench/scan/00007500',
  ]);
  assert.deepEqual(show(planSplitKeys([space], 4)), ['bench/k/00025000', 'bench/k/00050000', 'bench/k/00075000']);
  assert.deepEqual(planSplitKeys([space, scan], 1), []);
  assert.equal(planSplitKeys([{ ...space, count: 3 }], 10).length, 2, 'no more splits than keys');
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

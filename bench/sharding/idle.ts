// node dist/bench/sharding/idle.js [--regions K] [--lanes N] [--hibernate-ticks T] [--settle-s S] [--sample-s S]
//
// Target: "10,000 idle regions on one store: < 5% of one core, < 500 MB resident".
//
// One PD member (--replicas 1) and ONE store (--lanes 2). PD batch-splits the first region at
// K - 1 keys (idle/00001 .. idle/09999: one Raft command makes K regions), the benchmark waits
// until PD shows all K with a leader, lets them hibernate (--hibernate-ticks), then samples the
// store process for --sample-s: CPU from /proc/PID/stat (utime + stime deltas), resident memory
// from /proc/PID/status (VmRSS). The same with 1 region first, for reference. Fresh cluster each.

import { parseArgs } from 'node:util';
import { startShardedCluster } from '../harness/sharded.js';
import { commandLine, machineLines, machineNow, mib, pdJson, pdRegions, Report, resultsDir, round1, sampleUsage, sleep, writeResults, type Usage } from './common.js';

const targetCpuPercent = 5;
const targetRssBytes = 500e6;
const targetRegions = 10_000;

interface Settings {
  regions: number;
  lanes: number;
  hibernateTicks: number;
  settleS: number;
  sampleS: number;
  splitTimeoutS: number;
}

interface RunResult {
  regions: number;
  /** Seconds from the split request until PD showed every region with a leader. */
  splitShownS: number | null;
  regionsWithLeaderAfter: number;
  store: Usage;
  pd: Usage;
}

function parse(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      regions: { type: 'string', default: String(targetRegions) },
      lanes: { type: 'string', default: '2' },
      'hibernate-ticks': { type: 'string', default: '20' },
      'settle-s': { type: 'string', default: '10' },
      'sample-s': { type: 'string', default: '30' },
      'split-timeout-s': { type: 'string', default: '600' },
    },
  });
  const n = (name: keyof typeof values, min: number) => {
    const v = Number(values[name]);
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return v;
  };
  return {
    regions: n('regions', 1),
    lanes: n('lanes', 1),
    hibernateTicks: n('hibernate-ticks', 1),
    settleS: n('settle-s', 0),
    sampleS: n('sample-s', 1),
    splitTimeoutS: n('split-timeout-s', 1),
  };
}

/** The K - 1 split keys: idle/00001 .. idle/09999 for K = 10,000. */
function splitKeys(regions: number): string[] {
  const width = String(regions - 1).length;
  return Array.from({ length: regions - 1 }, (_, i) => `idle/${String(i + 1).padStart(width, '0')}`);
}

async function runOnce(s: Settings, regions: number, say: (line: string) => void): Promise<RunResult> {
  const c = await startShardedCluster({
    mode: 'range',
    stores: 1,
    replicas: 1,
    storeFlags: ['--lanes', String(s.lanes), '--hibernate-ticks', String(s.hibernateTicks)],
  });
  try {
    // startShardedCluster starts PD first, then the store.
    const [pdPid, storePid] = c.pids();
    let splitShownS: number | null = null;
    if (regions > 1) {
      const keys = splitKeys(regions);
      const t0 = performance.now();
      let askedAt = 0;
      for (;;) {
        const rs = await pdRegions(c.pdUrl);
        const led = rs.filter((r) => r.leader !== null).length;
        if (rs.length === regions && led === regions) break;
        const waitedS = (performance.now() - t0) / 1000;
        if (waitedS > s.splitTimeoutS) throw new Error(`PD shows ${rs.length} regions (${led} with a leader) of ${regions} after ${s.splitTimeoutS} s`);
        // PD hands the split to the region's next heartbeat; asked again if nothing came of it.
        if (rs.length === 1 && performance.now() - askedAt > 30_000) {
          await pdJson(c.pdUrl, 'POST', '/pd/api/v1/split', { keys });
          askedAt = performance.now();
        }
        await sleep(rs.length === 1 ? 200 : 1000);
      }
      splitShownS = round1((performance.now() - t0) / 1000);
      say(`  ${regions} regions with a leader in PD ${splitShownS} s after the split request`);
    }
    say(`  settling ${s.settleS} s (regions hibernate after ${s.hibernateTicks} idle ticks), then sampling ${s.sampleS} s`);
    await sleep(s.settleS * 1000);
    const [store, pd] = await Promise.all([sampleUsage(storePid!, s.sampleS), sampleUsage(pdPid!, s.sampleS)]);
    const after = await pdRegions(c.pdUrl);
    return { regions, splitShownS, regionsWithLeaderAfter: after.filter((r) => r.leader !== null).length, store, pd };
  } finally {
    await c.stop();
  }
}

async function main(): Promise<number> {
  const s = parse(process.argv.slice(2));
  const date = new Date();
  const m = machineNow();
  const r = new Report();
  r.print(`sharding/idle: ${targetRegions.toLocaleString('en-US')} idle regions on one store: < ${targetCpuPercent}% of one core, < ${targetRssBytes / 1e6} MB resident`);
  r.print(`command:  ${commandLine()}`);
  for (const l of machineLines(m)) r.print(l);
  r.print(`settings: 1 PD member (--replicas 1), 1 store (--lanes ${s.lanes}, --hibernate-ticks ${s.hibernateTicks}, fsync on); ${s.regions.toLocaleString('en-US')} regions by one batch split; settle ${s.settleS} s; sample ${s.sampleS} s`);
  if (s.regions < targetRegions) r.print(`scaled:   ${s.regions} regions instead of ${targetRegions} (--regions)`);
  else r.print('scaled:   nothing (the target\'s 10,000 regions, sampled 30 s)');
  r.print();
  const runs: RunResult[] = [];
  for (const k of s.regions > 1 ? [1, s.regions] : [1]) {
    r.print(`run: ${k} region${k === 1 ? '' : 's'}`);
    runs.push(await runOnce(s, k, (line) => r.print(line)));
  }
  r.print();
  r.print('regions   store CPU (% of one core)   store VmRSS             PD CPU   split shown in PD');
  for (const x of runs) {
    r.print(
      `${x.regions.toLocaleString('en-US').padEnd(9)} ${`${x.store.cpuPercentOfOneCore.toFixed(2)} %`.padEnd(27)} ${`${(x.store.rssBytesEnd / 1e6).toFixed(0)} MB (${mib(x.store.rssBytesEnd)})`.padEnd(23)} ${`${x.pd.cpuPercentOfOneCore.toFixed(2)} %`.padEnd(8)} ${x.splitShownS === null ? '-' : `${x.splitShownS} s`}`,
    );
  }
  r.print(`(CPU per 1 s window, store: ${runs.map((x) => `${x.regions} regions [${x.store.cpuPercentSamples.map((v) => v.toFixed(0)).join(' ')}]`).join('; ')})`);
  for (const x of runs) {
    const top = x.store.threads.slice(0, 4).map((t) => `${t.main ? 'main' : `thread ${t.tid}`} ${t.cpuPercentOfOneCore.toFixed(1)} %`);
    r.print(`(store threads, ${x.regions} regions: ${top.join(', ')}; the lanes are worker threads, and a split's regions stay on their parent's lane)`);
  }
  const big = runs[runs.length - 1]!;
  const cpuOk = big.store.cpuPercentOfOneCore < targetCpuPercent;
  const rssOk = big.store.rssBytesMax < targetRssBytes;
  r.print();
  r.print(`target with ${big.regions.toLocaleString('en-US')} regions: CPU ${big.store.cpuPercentOfOneCore.toFixed(2)} % < ${targetCpuPercent} %: ${cpuOk ? 'met' : 'NOT met'}; peak VmRSS ${(big.store.rssBytesMax / 1e6).toFixed(0)} MB < ${targetRssBytes / 1e6} MB: ${rssOk ? 'met' : 'NOT met'}`);
  if (big.regionsWithLeaderAfter !== big.regions) r.print(`NB: after sampling PD showed ${big.regionsWithLeaderAfter} of ${big.regions} regions with a leader`);
  const dir = writeResults(resultsDir('idle', date), { benchmark: 'sharding/idle', date: date.toISOString(), command: commandLine(), machine: m, settings: s, runs, targets: { cpuPercentOfOneCore: targetCpuPercent, rssBytes: targetRssBytes }, met: { cpu: cpuOk, rss: rssOk } }, r.lines);
  r.print(`results:  ${dir}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`sharding/idle: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);

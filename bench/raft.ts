// npm run bench:raft [-- --seconds N --reps N --warmup N --groups N --payload N --seed N --only throughput|idle --save]
//
// Benchmarks of the Raft core alone (no disk, no network): throughput of a 3-voter group in one
// process, with and without batching, and the cost of ticking many idle groups. Prints the
// machine, the settings and a table; with --save also writes bench/results/raft-<date>.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createIdleGroups, idleKindDescriptions, measureIdle, type IdleKind, type IdleResult } from './raft/idle.js';
import { describeMachine } from './raft/machine.js';
import { collect, gcExposed, median, retainedHeap } from './raft/measure.js';
import { formatHeader, formatIdle, formatThroughput, type IdleRow, type Settings, type ThroughputRow } from './raft/report.js';
import { runThroughput, type ProposeStyle, type ThroughputResult } from './raft/throughput.js';

const usage = `usage: npm run bench:raft [-- options]
  --seconds N   length of one repetition (default 1)
  --reps N      repetitions per figure; the median is printed (default 5)
  --warmup N    seconds of warm-up before each figure (default 0.5)
  --groups N    idle groups per population (default 10000)
  --payload N   bytes per proposed entry (default 128)
  --seed N      seed of every Prng (default 1)
  --only WHAT   throughput | idle (default: both)
  --save        also write bench/results/raft-<date>.json`;

const throughputModes: { label: string; perTurn: number; style: ProposeStyle }[] = [
  { label: '1 x propose()', perTurn: 1, style: 'propose' },
  { label: '64 x propose()', perTurn: 64, style: 'propose' },
  { label: 'proposeBatch(64)', perTurn: 64, style: 'proposeBatch' },
  { label: '1024 x propose()', perTurn: 1024, style: 'propose' },
  { label: 'proposeBatch(1024)', perTurn: 1024, style: 'proposeBatch' },
];

const idleKinds: IdleKind[] = ['leader-1', 'follower-3'];

function main(): void {
  const settings = parseSettings(process.argv.slice(2));
  if (settings === undefined) return;
  const repoDir = fileURLToPath(new URL('../../', import.meta.url));
  const machine = describeMachine(repoDir);
  const print = (lines: string[]): void => {
    for (const l of lines) console.log(l);
  };
  print(formatHeader(machine, settings, gcExposed()));
  if (!gcExposed()) print(['note      run with node --expose-gc for exact heap figures (npm run bench:raft does)']);

  let throughput: ThroughputRow[] = [];
  if (settings.only !== 'idle') {
    throughput = throughputModes.map((mode) => benchThroughput(mode, settings));
    print(formatThroughput(throughput, settings));
  }
  let idle: IdleRow[] = [];
  if (settings.only !== 'throughput') {
    idle = idleKinds.map((kind) => benchIdle(kind, settings));
    print(formatIdle(idle, settings));
  }

  if (settings.save) {
    const dir = new URL('bench/results/', new URL('../../', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const date = new Date().toISOString().slice(0, 10);
    const file = new URL(`raft-${date}.json`, dir);
    const doc = { date: new Date().toISOString(), machine, settings, gcExposed: gcExposed(), throughput, idle };
    writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    print(['', `saved     ${fileURLToPath(file)}`]);
  }
}

function benchThroughput(mode: (typeof throughputModes)[number], s: Settings): ThroughputRow {
  const run = (seconds: number): ThroughputResult =>
    runThroughput({
      voters: 3,
      perTurn: mode.perTurn,
      style: mode.style,
      payloadBytes: s.payload,
      seed: s.seed,
      durationNs: secondsToNs(seconds),
    });
  run(s.warmup);
  const reps: ThroughputResult[] = [];
  for (let i = 0; i < s.reps; i++) {
    collect(); // Start each repetition with a clean heap, not the last one's garbage.
    reps.push(run(s.seconds));
  }
  return {
    label: mode.label,
    perTurn: mode.perTurn,
    style: mode.style,
    entriesPerSec: spread(reps.map((r) => r.entriesPerSec)),
    messagesPerEntry: median(reps.map((r) => r.messagesPerEntry)),
    roundsPerTurn: median(reps.map((r) => r.roundsPerTurn)),
    entries: median(reps.map((r) => r.entries)),
  };
}

function benchIdle(kind: IdleKind, s: Settings): IdleRow {
  const { value: groups, bytes } = retainedHeap(() => createIdleGroups(kind, s.groups, s.seed));
  measureIdle(groups, { durationNs: secondsToNs(s.warmup) });
  const reps: IdleResult[] = [];
  for (let i = 0; i < s.reps; i++) {
    collect();
    reps.push(measureIdle(groups, { durationNs: secondsToNs(s.seconds) }));
  }
  return {
    kind,
    description: idleKindDescriptions[kind],
    groups: s.groups,
    nsPerTick: spread(reps.map((r) => r.nsPerTick)),
    nsPerTickHasReady: spread(reps.map((r) => r.nsPerTickHasReady)),
    nsPerHeartbeat: median(reps.map((r) => r.nsPerHeartbeat)),
    heapBytesPerGroup: bytes / s.groups,
    heapExact: gcExposed(),
  };
}

function spread(xs: number[]): { median: number; min: number; max: number } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

function secondsToNs(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}

function parseSettings(args: string[]): (Settings & { save: boolean }) | undefined {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string' },
      reps: { type: 'string' },
      warmup: { type: 'string' },
      groups: { type: 'string' },
      payload: { type: 'string' },
      seed: { type: 'string' },
      only: { type: 'string' },
      save: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const num = (name: string, v: string | undefined, dflt: number, ok: (x: number) => boolean): number => {
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isFinite(x) || !ok(x)) fail(`bench:raft: bad --${name} ${JSON.stringify(v)}`);
    return x;
  };
  const only = values.only ?? 'all';
  if (only !== 'all' && only !== 'throughput' && only !== 'idle') fail(`bench:raft: bad --only ${JSON.stringify(only)}`);
  return {
    seconds: num('seconds', values.seconds, 1, (x) => x > 0),
    reps: num('reps', values.reps, 5, (x) => Number.isInteger(x) && x >= 1),
    warmup: num('warmup', values.warmup, 0.5, (x) => x >= 0),
    groups: num('groups', values.groups, 10_000, (x) => Number.isInteger(x) && x >= 1),
    payload: num('payload', values.payload, 128, (x) => Number.isInteger(x) && x >= 1),
    seed: num('seed', values.seed, 1, (x) => Number.isInteger(x)),
    only,
    save: values.save ?? false,
  };
}

function fail(message: string): never {
  console.error(message);
  console.error(usage);
  process.exit(2);
}

main();

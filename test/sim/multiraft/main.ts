// `npm run sim:multiraft -- [--seeds N] [--start S] [--seed S] [--fault-ticks N] [--liveness-ticks N] [--verbose]`
// Runs multi-raft simulation seeds; a failing seed prints the command that replays it.

import os from 'node:os';
import { defaultRunOptions, replayCommand, runSeed, type RunOptions } from './run.js';

interface Args {
  seeds: number;
  start: number;
  single?: number;
  opts: RunOptions;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { seeds: 100, start: 1, opts: { ...defaultRunOptions }, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    switch (a) {
      case '--seeds':
        out.seeds = num();
        break;
      case '--start':
        out.start = num();
        break;
      case '--seed':
        out.single = num();
        break;
      case '--fault-ticks':
        out.opts.faultTicks = num();
        break;
      case '--liveness-ticks':
        out.opts.livenessTicks = num();
        break;
      case '--verbose':
        out.verbose = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'usage: npm run sim:multiraft -- [--seeds N] [--start S] [--seed S] [--fault-ticks N] [--liveness-ticks N] [--verbose]\n',
        );
        process.exit(0);
      // falls through (process.exit does not return)
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return out;
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`sim:multiraft: ${(err as Error).message}\n`);
    return 2;
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(`machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}\n`);
  process.stdout.write(`settings: fault ticks ${args.opts.faultTicks}, liveness bound ${args.opts.livenessTicks} ticks\n`);
  if (args.single !== undefined) {
    const r = runSeed(args.single, args.opts);
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    if (!r.ok) process.stdout.write(`FAIL seed ${r.seed}: ${r.violation}\n  replay: ${replayCommand(r.seed, args.opts)}\n`);
    return r.ok ? 0 : 1;
  }
  const t0 = process.hrtime.bigint();
  let steps = 0;
  let failures = 0;
  let acked = 0;
  let reads = 0;
  const events: Record<string, number> = {};
  const end = args.start + args.seeds;
  for (let s = args.start; s < end; s++) {
    const r = runSeed(s, args.opts);
    steps += r.steps;
    acked += r.client?.acked ?? 0;
    reads += r.client?.readsChecked ?? 0;
    for (const [k, v] of Object.entries({ ...r.events, ...prefixed('driver ', r.driver), ...prefixed('fault ', r.faults) })) {
      events[k] = (events[k] ?? 0) + v;
    }
    if (!r.ok) {
      failures++;
      process.stdout.write(`FAIL seed ${s} (${r.settings}): ${r.violation}\n  replay: ${replayCommand(s, args.opts)}\n`);
    } else if (args.verbose) {
      process.stdout.write(`ok seed ${s} regions=${r.regions} steps=${r.steps} trace=${r.traceHash} ${JSON.stringify(r.driver)}\n`);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (args.verbose) {
    for (const k of Object.keys(events).sort()) process.stdout.write(`  ${k}: ${events[k]}\n`);
  }
  process.stdout.write(
    `${args.seeds} seeds (${args.start}..${end - 1}): ${failures} failed; ${steps} steps, ${acked} puts acked, ` +
      `${reads} reads checked in ${secs.toFixed(1)} s: ${(args.seeds / secs).toFixed(2)} seeds/s\n`,
  );
  return failures === 0 ? 0 : 1;
}

function prefixed(prefix: string, o: object | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o ?? {})) out[prefix + k] = v as number;
  return out;
}

process.exitCode = main();

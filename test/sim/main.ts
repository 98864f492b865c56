// `npm run sim -- [--seeds N] [--start S] [--seed S] [--fault-ticks N] [--liveness-ticks N]`
// Runs simulation seeds and reports seeds/s; a failing seed prints the command that replays it.

import os from 'node:os';
import { defaultRunOptions, replayCommand, runSeed, type RunOptions } from './run.js';

function parseArgs(argv: string[]): { seeds: number; start: number; single?: number; opts: RunOptions; verbose: boolean } {
  const out = { seeds: 1000, start: 1, single: undefined as number | undefined, opts: { ...defaultRunOptions }, verbose: false };
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
          'usage: npm run sim -- [--seeds N] [--start S] [--seed S] [--fault-ticks N] [--liveness-ticks N] [--verbose]\n',
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
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`sim: ${(err as Error).message}\n`);
    return 2;
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(`machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}\n`);
  process.stdout.write(`settings: fault ticks ${args.opts.faultTicks}, liveness bound ${args.opts.livenessTicks} ticks\n`);
  if (args.single !== undefined) {
    const r = runSeed(args.single, args.opts);
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    if (!r.ok) process.stdout.write(`FAIL seed ${r.seed}: ${r.violation}\n`);
    return r.ok ? 0 : 1;
  }
  const t0 = process.hrtime.bigint();
  let steps = 0;
  let ticks = 0;
  let checks = 0;
  let failures = 0;
  const end = args.start + args.seeds;
  for (let s = args.start; s < end; s++) {
    const r = runSeed(s, args.opts);
    steps += r.steps;
    ticks += r.ticks;
    checks += r.checks;
    if (!r.ok) {
      failures++;
      process.stdout.write(`FAIL seed ${s} (${r.settings}): ${r.violation}\n  replay: ${replayCommand(s, args.opts)}\n`);
    } else if (args.verbose) {
      process.stdout.write(`ok seed ${s} steps=${r.steps} trace=${r.traceHash}\n`);
    }
    const done = s - args.start + 1;
    if (done % 500 === 0) {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      process.stdout.write(`  ${done}/${args.seeds} seeds, ${(done / secs).toFixed(1)} seeds/s\n`);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(
    `${args.seeds} seeds (${args.start}..${end - 1}): ${failures} failed; ${steps} steps, ${ticks} ticks, ` +
      `${checks} invariant checks in ${secs.toFixed(1)} s: ${(args.seeds / secs).toFixed(1)} seeds/s, ` +
      `${Math.round(steps / secs)} steps/s\n`,
  );
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();

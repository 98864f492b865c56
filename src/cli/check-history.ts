// `flotilla check-history --model NAME [--timeout SECONDS] FILE`: checks a recorded client history
// for linearizability. Exit codes are the verdict (0 linearizable, 1 not linearizable, 2 unknown);
// 3 means the check did not run (bad usage, unreadable or malformed file).

import { readFile } from 'node:fs/promises';
import type { Subcommand } from './main.js';
import { defaultTimeoutMs, HistoryParseError, historyCheckers, type Verdict } from '../lincheck/index.js';

const exitCodes: Record<Verdict, number> = { linearizable: 0, 'not linearizable': 1, unknown: 2 };
const usageExitCode = 3;

class UsageError extends Error {
  readonly code = 'FLOTILLA_USAGE';
}

interface Args {
  model: string;
  timeoutMs: number;
  file: string;
}

function usage(): string {
  const models = [...historyCheckers.values()].map((c) => `  ${c.model.padEnd(14)} ${c.summary}`);
  return [
    'Usage: flotilla check-history --model NAME [--timeout SECONDS] FILE',
    '',
    'Checks a recorded client history for linearizability and prints the verdict:',
    '"linearizable" (exit 0), "not linearizable" and why (exit 1), or "unknown" when the',
    'time bound runs out (exit 2). Exit 3 means the check could not run.',
    '',
    'Options:',
    '  --model NAME       the model and file format (required), one of:',
    ...models.map((m) => `  ${m}`),
    `  --timeout SECONDS  time bound for the whole check (default ${defaultTimeoutMs / 1000})`,
    '  --help             show this help',
    '',
  ].join('\n');
}

function parseArgs(argv: string[]): Args | 'help' {
  let model: string | undefined;
  let timeoutMs = defaultTimeoutMs;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--model': {
        model = value();
        if (!historyCheckers.has(model)) {
          throw new UsageError(`unknown model '${model}' (known: ${[...historyCheckers.keys()].join(', ')})`);
        }
        break;
      }
      case '--timeout': {
        const text = value();
        const seconds = Number(text);
        if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
          throw new UsageError(`--timeout takes a positive number of seconds, got '${text}'`);
        }
        timeoutMs = seconds * 1000;
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
        files.push(arg);
    }
  }
  if (model === undefined) throw new UsageError('--model is required');
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'no history file given' : `expected one history file, got ${files.length}`);
  return { model, timeoutMs, file: files[0]! };
}

export const checkHistory: Subcommand = {
  summary: 'check a recorded client history for linearizability',
  async run(argv: string[]): Promise<number> {
    const fail = (message: string, hint = ''): number => {
      process.stderr.write(`flotilla check-history: ${message}\n${hint}`);
      return usageExitCode;
    };
    let args: Args | 'help';
    try {
      args = parseArgs(argv);
    } catch (err) {
      if (err instanceof UsageError) return fail(err.message, "Run 'flotilla check-history --help' for usage.\n");
      throw err;
    }
    if (args === 'help') {
      process.stdout.write(usage());
      return 0;
    }
    let text: string;
    try {
      text = await readFile(args.file, 'utf8');
    } catch (err) {
      return fail(`cannot read ${args.file}: ${(err as Error).message}`);
    }
    try {
      const { verdict, report } = historyCheckers.get(args.model)!.check(text, { timeoutMs: args.timeoutMs });
      process.stdout.write(report);
      return exitCodes[verdict];
    } catch (err) {
      if (err instanceof HistoryParseError) return fail(`${args.file}: ${err.message}`);
      throw err;
    }
  },
};

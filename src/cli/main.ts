// `flotilla` command line: dispatches subcommands. Each subcommand lives in its own module and
// returns its process exit code. Commands that run servers live in regions/ and placement/
// (src/ never imports them): bin/flotilla passes them in.

export interface Subcommand {
  summary: string;
  run(args: string[]): Promise<number>;
}

export type SubcommandTable = Record<string, () => Promise<Subcommand>>;

const builtins: SubcommandTable = {
  'check-history': async () => (await import('./check-history.js')).checkHistory,
  ctl: async () => (await import('./ctl.js')).ctl,
  load: async () => (await import('./load.js')).load,
};

function usage(table: SubcommandTable): string {
  const lines = [
    'Usage: flotilla [etcd member flags]     start a member (like `etcd`; see `flotilla --help`)',
    '       flotilla <command> [options]',
    '',
    'Commands:',
  ];
  for (const name of Object.keys(table)) lines.push(`  ${name}`);
  lines.push('', 'Run `flotilla <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

/**
 * Runs the command line. With no command (no arguments, or arguments that start with a flag)
 * it runs `defaultCommand`, the member, as `etcd` does.
 */
export async function main(argv: string[], extra: SubcommandTable = {}, defaultCommand?: () => Promise<Subcommand>): Promise<number> {
  const table: SubcommandTable = { ...extra, ...builtins };
  const [name, ...rest] = argv;
  if (name === 'help' || ((name === '--help' || name === '-h') && !defaultCommand)) {
    process.stdout.write(usage(table));
    return 0;
  }
  if (name === undefined || name.startsWith('-')) {
    if (!defaultCommand) {
      process.stdout.write(usage(table));
      return 0;
    }
    return (await defaultCommand()).run(argv);
  }
  const load = table[name];
  if (!load) {
    process.stderr.write(`flotilla: unknown command '${name}'\n\n${usage(table)}`);
    return 2;
  }
  return (await load()).run(rest);
}

// `flotilla` command line: dispatches subcommands. Each subcommand lives in its own module and
// returns its process exit code.

export interface Subcommand {
  summary: string;
  run(args: string[]): Promise<number>;
}

const subcommands: Record<string, () => Promise<Subcommand>> = {
  'check-history': async () => (await import('./check-history.js')).checkHistory,
};

function usage(): string {
  const lines = [
    'Usage: flotilla <command> [options]',
    '',
    'Commands:',
  ];
  for (const name of Object.keys(subcommands)) lines.push(`  ${name}`);
  lines.push('', 'Run `flotilla <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const load = subcommands[name];
  if (!load) {
    process.stderr.write(`flotilla: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const cmd = await load();
  return cmd.run(rest);
}

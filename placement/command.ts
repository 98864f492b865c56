// The PD commands: `flotilla pd` (a PD member) and `flotilla cluster` (PD and stores on loopback).

import { flagsExitCode, memberFlagsHelp, parseMemberFlags } from '../src/cli/flags.js';
import type { Subcommand, SubcommandTable } from '../src/cli/main.js';
import { runUntilSignal } from '../regions/server/command.js';
import type { ClusterMode } from './pd/service.js';

/** Takes the PD flags out of an etcd member command line. */
function pdFlags(args: string[]): { rest: string[]; mode: ClusterMode; replicas: number; hashGroups: number } | { error: string } {
  const rest: string[] = [];
  let mode: ClusterMode = 'range';
  let replicas = 3;
  let hashGroups = 3;
  for (let i = 0; i < args.length; i++) {
    const m = /^--?(mode|replicas|hash-groups)(?:=(.*))?$/.exec(args[i]!);
    if (!m) {
      rest.push(args[i]!);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) return { error: `flag needs an argument: -${m[1]}` };
    if (m[1] === 'mode') {
      if (value !== 'range' && value !== 'hash') return { error: `--mode must be range or hash, got ${JSON.stringify(value)}` };
      mode = value;
    } else {
      if (!/^[1-9]\d*$/.test(value)) return { error: `--${m[1]} must be a positive integer, got ${JSON.stringify(value)}` };
      if (m[1] === 'replicas') replicas = Number(value);
      else hashGroups = Number(value);
    }
  }
  if (hashGroups > 1024) return { error: '--hash-groups must be at most 1024' };
  return { rest, mode, replicas, hashGroups };
}

const pdCommand = async (): Promise<Subcommand> => ({
  summary: 'run a PD member (etcd flags plus --mode range|hash, --replicas N, --hash-groups N)',
  async run(args: string[]): Promise<number> {
    const pd = pdFlags(args);
    if ('error' in pd) {
      process.stderr.write(`flotilla pd: ${pd.error}\n`);
      return flagsExitCode;
    }
    const parsed = parseMemberFlags(pd.rest, process.env);
    if ('help' in parsed) {
      process.stdout.write('Usage: flotilla pd [--mode range|hash] [--replicas N] [--hash-groups N] [etcd member flags]\n\n' + memberFlagsHelp());
      return 0;
    }
    if ('version' in parsed) return 0;
    if ('error' in parsed) {
      process.stderr.write(`flotilla pd: ${parsed.error}\n`);
      return flagsExitCode;
    }
    const { startPd } = await import('./pd/start.js');
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    let running;
    try {
      running = await startPd({ member: parsed.config, mode: pd.mode, replicas: pd.replicas, hashGroups: pd.hashGroups }, log);
    } catch (err) {
      process.stderr.write(`flotilla pd: cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    await runUntilSignal(log, () => running.stop());
    return 0;
  },
});

export const placementCommands: SubcommandTable = {
  pd: pdCommand,
  cluster: async () => (await import('./cluster_command.js')).clusterCommand,
};

// The member command: `flotilla [etcd member flags]`, like `etcd`. Flags are parsed and
// validated completely before anything opens or listens; errors exit 2.

import { flagsExitCode, memberFlagsHelp, parseMemberFlags } from '../../src/cli/flags.js';
import type { Subcommand, SubcommandTable } from '../../src/cli/main.js';
import { startMember } from './start.js';

export const memberCommand = async (): Promise<Subcommand> => ({
  summary: 'run a member (etcd flags)',
  async run(args: string[]): Promise<number> {
    const parsed = parseMemberFlags(args, process.env);
    if ('help' in parsed) {
      process.stdout.write(memberFlagsHelp());
      return 0;
    }
    if ('version' in parsed) {
      process.stdout.write('flotilla: etcd API 3.4.23 compatible\netcd Version: 3.4.23\nAPI version: 3.4\n');
      return 0;
    }
    if ('error' in parsed) {
      process.stderr.write(`flotilla: ${parsed.error}\n`);
      return flagsExitCode;
    }
    for (const w of parsed.warnings) process.stderr.write(`flotilla: warning: ${w}\n`);
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    let running;
    try {
      running = await startMember(parsed.config, log);
    } catch (err) {
      process.stderr.write(`flotilla: cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    await new Promise<void>((resolve) => {
      const onSignal = (sig: string): void => {
        log(`flotilla: received ${sig}, shutting down`);
        resolve();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    await running.stop();
    return 0;
  },
});

/** Runs until SIGINT/SIGTERM, then stops what was started. */
export async function runUntilSignal(log: (line: string) => void, stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string): void => {
      log(`flotilla: received ${sig}, shutting down`);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await stop();
}

const storeCommand = async (): Promise<Subcommand> => ({
  summary: 'run a store of a sharded cluster (--pd URLS)',
  async run(args: string[]): Promise<number> {
    const { parseStoreFlags, storeFlagsHelp } = await import('../store/flags.js');
    const { startStore } = await import('../store/start.js');
    const parsed = parseStoreFlags(args);
    if ('help' in parsed) {
      process.stdout.write(storeFlagsHelp());
      return 0;
    }
    if ('error' in parsed) {
      process.stderr.write(`flotilla store: ${parsed.error}\n`);
      return flagsExitCode;
    }
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    let running;
    try {
      running = await startStore(parsed.config, log);
    } catch (err) {
      process.stderr.write(`flotilla store: cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    await runUntilSignal(log, () => running.stop());
    return 0;
  },
});

export const commands: SubcommandTable = { store: storeCommand };

// `flotilla` member flags: etcd 3.4's names, meanings and defaults, parsed and validated in one
// pure step before anything starts.
//
//   const r = parseMemberFlags(process.argv.slice(2), process.env);
//   if ('error' in r) { stderr(`flotilla: ${r.error}. See 'flotilla --help'.`); return flagsExitCode; }
//   if ('help' in r) { stdout(memberFlagsHelp()); return 0; }
//   if ('version' in r) { stdout(versionText); return 0; }
//   for (const w of r.warnings) log(w);
//   start(r.config);
//
// Differences from etcd: --data-dir defaults to "${name}.flotilla"; every error exits 2 (etcd
// exits 1 for some); unknown ETCD_* variables and unsupported ones only warn, as in etcd.

import { buildConfig } from './flags/config.js';
import { scanFlags } from './flags/scan.js';
import type { MemberConfig } from './flags/types.js';
import { parseUrl } from './flags/values.js';

export type {
  AutoCompaction,
  ClientTls,
  InitialClusterMember,
  InitialClusterState,
  LogLevel,
  MemberConfig,
} from './flags/types.js';
export { memberFlags, memberFlagsHelp, envNameOf } from './flags/spec.js';

/** The exit code for a command line that does not parse or validate (as Go's flag package). */
export const flagsExitCode = 2;

export type MemberFlagsResult =
  | { config: MemberConfig; warnings: string[] }
  | { error: string }
  | { help: true }
  | { version: true };

/**
 * Parses `argv` (without the program name) and the ETCD_* variables of `env`. Errors name the
 * flag or variable, in etcd's words where etcd has them.
 */
export function parseMemberFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): MemberFlagsResult {
  const scan = scanFlags(argv, env);
  switch (scan.kind) {
    case 'help':
      return { help: true };
    case 'version':
      return { version: true };
    case 'error':
      return { error: scan.error };
    case 'values': {
      const built = buildConfig(scan.values);
      return 'error' in built ? built : { config: built.config, warnings: scan.warnings };
    }
  }
}

/**
 * Where to bind a listen URL. `localhost` binds 127.0.0.1, as etcd does (Go listens on the
 * first address localhost resolves to); Node could otherwise pick ::1.
 */
export function listenAddressOf(url: string): { host: string; port: number } {
  const u = parseUrl(url);
  if ('error' in u) throw new Error(`not a listen URL: ${u.error}`);
  return { host: u.value.host === 'localhost' ? '127.0.0.1' : u.value.host, port: u.value.port };
}

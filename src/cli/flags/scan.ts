// Collects raw flag values from the command line, then from ETCD_* variables, with Go's flag
// syntax as etcd uses it: `-f`, `--f`, `--f=v`, `--f v` (not for booleans: `--f true` leaves
// `true` as a stray argument), the last of repeated flags wins, parsing stops at `--` or at the
// first argument that is not a flag.

import { parseBool } from './values.js';
import { envNameOf, type FlagSpec, memberFlags, unsupportedEtcdFlags } from './spec.js';

export interface RawValue {
  text: string;
  /** How errors name where it came from: `flag --name` or `ETCD_NAME`. */
  source: string;
  fromEnv: boolean;
}

export type Scan =
  | { kind: 'values'; values: Map<string, RawValue>; warnings: string[] }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error'; error: string };

const byName = new Map<string, FlagSpec>(memberFlags.map((f) => [f.name, f]));

export function scanFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Scan {
  const values = new Map<string, RawValue>();
  let lastBareBool: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      lastBareBool = undefined;
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) return { kind: 'error', error: `bad flag syntax: ${arg}` };
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'h' || name === 'help') return { kind: 'help' };
    if (name === 'version') return { kind: 'version' };
    const spec = byName.get(name);
    if (spec === undefined) {
      if (unsupportedEtcdFlags.has(name)) return { kind: 'error', error: `flag --${name} is an etcd flag that Flotilla does not support` };
      return { kind: 'error', error: `flag provided but not defined: --${name}` };
    }
    let text: string;
    if (eq >= 0) text = body.slice(eq + 1);
    else if (spec.kind === 'bool') text = 'true';
    else if (i + 1 < argv.length) text = argv[++i]!;
    else return { kind: 'error', error: `flag needs an argument: --${name}` };
    values.set(name, { text, source: `flag --${name}`, fromEnv: false });
    lastBareBool = spec.kind === 'bool' && eq < 0 ? name : undefined;
  }
  if (i < argv.length) {
    const stray = argv[i]!;
    const hint =
      lastBareBool !== undefined && 'value' in parseBool(stray)
        ? ` (a boolean flag takes its value after '=': --${lastBareBool}=${stray})`
        : '';
    return { kind: 'error', error: `'${stray}' is not a valid flag${hint}` };
  }

  const warnings: string[] = [];
  const known = new Set<string>();
  for (const spec of memberFlags) {
    const key = envNameOf(spec.name);
    known.add(key);
    const text = env[key];
    // Like etcd, an empty variable counts as unset.
    if (text === undefined || text === '') continue;
    if (values.has(spec.name)) {
      return {
        kind: 'error',
        error: `conflicting environment variable "${key}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`,
      };
    }
    values.set(spec.name, { text, source: key, fromEnv: true });
  }
  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith('ETCD_') || known.has(key) || env[key] === undefined || env[key] === '') continue;
    const flag = key.slice(5).toLowerCase().replaceAll('_', '-');
    warnings.push(
      unsupportedEtcdFlags.has(flag)
        ? `environment variable ${key} sets etcd's --${flag}, which Flotilla does not support; ignored`
        : `unrecognized environment variable ${key}=${env[key]}`,
    );
  }
  return { kind: 'values', values, warnings };
}

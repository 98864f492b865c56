// Real etcd for side-by-side runs: when `etcd` (or $ETCD_BIN) is missing, the harness installs
// Debian's etcd-server (and etcd-client, for etcdctl) with apt-get, as root or through sudo, so
// that `npm run bench -- --compare` works on a fresh machine. Anything else is a clear error.

import { execFileSync, spawnSync } from 'node:child_process';

function found(bin: string): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Ensures etcd runs; returns what was done, for the log. Throws with the reason if it cannot. */
export function ensureEtcd(log: (line: string) => void): void {
  const bin = process.env.ETCD_BIN ?? 'etcd';
  if (found(bin)) return;
  if (process.env.ETCD_BIN !== undefined) throw new Error(`ETCD_BIN=${bin} does not run`);
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) throw new Error('etcd is not installed and apt-get needs root: install Debian packages etcd-server and etcd-client');
  const run = (args: string[]) => {
    log(`bench: ${root ? '' : 'sudo '}apt-get ${args.join(' ')}`);
    const [file, rest] = root ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]];
    execFileSync(file, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  run(['update', '-q']);
  run(['install', '-y', '-q', 'etcd-server', 'etcd-client']);
  if (!found(bin)) throw new Error('apt-get installed etcd-server, but etcd still does not run');
}

// The machine and the software a report's figures came from (STYLE habit 10).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { describeMachine } from '../raft/machine.js';
import type { Machine, Versions } from './results.js';

export function machine(repoDir: string): { machine: Machine; commit: string } {
  const m = describeMachine(repoDir);
  return { machine: { cpu: m.cpu, cores: m.cores, memoryBytes: m.memoryBytes, kernel: os.release(), os: osName() ?? m.os }, commit: m.commit };
}

function osName(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** `etcd --version`'s first line's number, or why there is none. */
export function etcdVersion(): string {
  try {
    const out = execFileSync(process.env.ETCD_BIN ?? 'etcd', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0]!;
  } catch {
    return 'not installed';
  }
}

function packageVersion(name: string): string {
  try {
    const req = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(req.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function versions(commit: string, etcd: string): Versions {
  return { node: process.version, etcd, flotilla: commit, autocannon: packageVersion('autocannon'), grpcJs: packageVersion('@grpc/grpc-js') };
}

/** What an endpoint says at /version (etcd: {"etcdserver":"3.4.23",...}). */
export async function endpointVersion(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(3000) });
    return (await res.text()).trim();
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}

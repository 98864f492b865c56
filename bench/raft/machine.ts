// The machine a benchmark ran on, printed with every result (STYLE habit 10).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  /** Logical CPUs the OS reports. */
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  v8: string;
  /** The source the benchmark was built from: a commit, "+dirty" if the tree had changes. */
  commit: string;
}

export function describeMachine(repoDir: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpuModel() ?? cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    commit: gitCommit(repoDir),
  };
}

function cpuModel(): string | undefined {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function gitCommit(repoDir: string): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no').length > 0 ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

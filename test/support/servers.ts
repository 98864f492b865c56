// Starts and stops local clusters of real etcd or of Flotilla for tests, with identical flags, so
// that a test written against one runs against the other by changing `target` alone.
//
//   const c = await startCluster('etcd', { members: 3 });
//   try {
//     c.clientUrls;            // ['http://127.0.0.1:41231', ...], one per member
//     await c.kill(0, 'SIGKILL');
//     await c.restart(0);      // same flags, same data dir; waits until it answers /health
//   } finally {
//     await c.stop();          // kills every member and removes the data dirs
//   }
//
// Members listen on 127.0.0.1 only, on ports the kernel picked as free, with data dirs under one
// temp dir. Every spawned process is also killed when the test process exits, however it exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Target = 'etcd' | 'flotilla';

export interface ClusterOptions {
  /** 1 or 3 members. Default 1. */
  readonly members?: 1 | 3;
  /** Milliseconds to wait for every member to answer /health. Default 30 000. */
  readonly startTimeoutMs?: number;
  /** More flags for every member, after etcd's member flags (the same for etcd and Flotilla). */
  readonly extraFlags?: readonly string[];
}

export interface Member {
  /** `m0`, `m1`, `m2`: the `--name` flag. */
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
}

export interface Cluster {
  readonly target: Target;
  readonly members: readonly Member[];
  /** Every member's client URL, in member order: the endpoints clients take. */
  readonly clientUrls: readonly string[];
  readonly peerUrls: readonly string[];
  readonly dataDirs: readonly string[];
  /** Sends `signal` (default SIGTERM) to member `i` and waits until the process has exited. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts member `i` again (after `kill`) with the same flags and data dir; waits for /health. */
  restart(i: number): Promise<void>;
  /** True while member `i`'s process runs. */
  running(i: number): boolean;
  /** The process ID of member `i` while it runs (for CPU and memory sampling), else undefined. */
  pid(i: number): number | undefined;
  /** The last lines member `i` printed, for failure messages. */
  logs(i: number): string;
  /** Kills every member (SIGKILL) and removes the data dirs. Safe to call twice. */
  stop(): Promise<void>;
}

/** The repo root; compiled helpers run from dist/test/support/. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Real etcd; `ETCD_BIN` overrides the binary found on PATH. */
export function startEtcd(options: ClusterOptions = {}): Promise<Cluster> {
  return startCluster('etcd', options);
}

/** Flotilla's server, `node bin/flotilla` from this repo, with the same flags as etcd. */
export function startFlotilla(options: ClusterOptions = {}): Promise<Cluster> {
  return startCluster('flotilla', options);
}

/** The command line that starts one member of `target`, before etcd's member flags. */
function command(target: Target): { file: string; args: string[] } {
  switch (target) {
    case 'etcd':
      return { file: process.env.ETCD_BIN ?? 'etcd', args: [] };
    case 'flotilla':
      return { file: process.execPath, args: [join(repoRoot, 'bin', 'flotilla')] };
  }
}

/** etcd's own member flags; Flotilla takes exactly these. */
function memberFlags(m: Member, all: readonly Member[]): string[] {
  return [
    '--name', m.name,
    '--data-dir', m.dataDir,
    '--listen-client-urls', m.clientUrl,
    '--advertise-client-urls', m.clientUrl,
    '--listen-peer-urls', m.peerUrl,
    '--initial-advertise-peer-urls', m.peerUrl,
    '--initial-cluster', all.map((x) => `${x.name}=${x.peerUrl}`).join(','),
  ];
}

const logBytesMax = 64 * 1024;
const startAttemptsMax = 3;

// Every live child of this process, killed on exit even when a test throws before `stop()`.
const live = new Set<ChildProcess>();
const tempRoots = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of tempRoots) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/** Tracks `child` so that it is killed when this process exits; for any helper process tests spawn. */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Ports below the kernel's ephemeral range (32768-60999 here), free a moment ago. Outgoing
 * connections take their local ports from the ephemeral range, so a port picked there and
 * released while a member restarts could be taken by any client socket of the machine; below it,
 * only another explicit listen can take it. Each process starts at a random point and never
 * hands out a port twice, so test files running side by side rarely pick the same ones.
 */
const portRangeStart = 10_000;
const portRangeEnd = 32_000;
let portCursor = portRangeStart + Math.floor(Math.random() * (portRangeEnd - portRangeStart));

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 10_000) throw new Error(`no ${n} free ports found in [${portRangeStart}, ${portRangeEnd})`);
    const port = portCursor;
    portCursor = portCursor + 1 >= portRangeEnd ? portRangeStart : portCursor + 1;
    if (await tryListen(port)) ports.push(port);
  }
  return ports;
}

/** GET `${url}/health`; true when the member says `{"health":"true"}`. */
export async function isHealthy(clientUrl: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return false;
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true' || body.health === true;
  } catch {
    return false;
  }
}

class Proc {
  readonly child: ChildProcess;
  private log = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedAlready = false;

  constructor(file: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    trackChild(this.child);
    const keep = (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
      if (this.log.length > logBytesMax) this.log = this.log.slice(-logBytesMax);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        keep(Buffer.from(`\nspawn ${file} failed: ${err.message}\n`));
        this.exitedAlready = true;
        resolve({ code: null, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        this.exitedAlready = true;
        resolve({ code, signal });
      });
    });
  }

  logs(): string {
    return this.log;
  }
}

/** The environment for servers and clients: ours, without ETCD_ and ETCDCTL_ settings that would change them. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')) env[k] = v;
  }
  return { ...env, ...extra };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(target: Target, options: ClusterOptions = {}): Promise<Cluster> {
  installExitHook();
  const n = options.members ?? 1;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  let lastError: unknown;
  // NB: a port found free can be taken by someone else before the member binds it; such a start
  // fails with "address already in use" and is retried on fresh ports.
  for (let attempt = 1; attempt <= startAttemptsMax; attempt++) {
    const root = mkdtempSync(join(tmpdir(), `${target}-test-`));
    tempRoots.add(root);
    const ports = await freePorts(2 * n);
    const members: Member[] = Array.from({ length: n }, (_, i) => ({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
      dataDir: join(root, `m${i}.data`),
    }));
    const cluster = new LocalCluster(target, members, root, startTimeoutMs, options.extraFlags ?? []);
    try {
      for (let i = 0; i < n; i++) cluster.spawnMember(i);
      await Promise.all(members.map((_, i) => cluster.waitHealthy(i)));
      return cluster;
    } catch (err) {
      lastError = err;
      const portTaken = members.some((_, i) => /address already in use/i.test(cluster.logs(i)));
      await cluster.stop();
      if (!portTaken) throw err;
    }
  }
  throw lastError;
}

class LocalCluster implements Cluster {
  private readonly procs: (Proc | undefined)[];
  private stopped = false;

  constructor(
    readonly target: Target,
    readonly members: readonly Member[],
    private readonly root: string,
    private readonly startTimeoutMs: number,
    private readonly extraFlags: readonly string[] = [],
  ) {
    this.procs = members.map(() => undefined);
  }

  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }
  get peerUrls(): string[] {
    return this.members.map((m) => m.peerUrl);
  }
  get dataDirs(): string[] {
    return this.members.map((m) => m.dataDir);
  }

  spawnMember(i: number): void {
    const { file, args } = command(this.target);
    const flags = [...memberFlags(this.members[i]!, this.members), ...this.extraFlags];
    this.procs[i] = new Proc(file, [...args, ...flags], cleanEnv());
  }

  async waitHealthy(i: number): Promise<void> {
    const m = this.members[i]!;
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      const p = this.procs[i];
      if (p === undefined || p.exitedAlready) {
        throw new Error(`${this.target} member ${m.name} exited while starting:\n${this.logs(i)}`);
      }
      if (await isHealthy(m.clientUrl)) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.target} member ${m.name} did not answer ${m.clientUrl}/health within ${this.startTimeoutMs} ms:\n${this.logs(i)}`);
      }
      await sleep(100);
    }
  }

  running(i: number): boolean {
    const p = this.procs[i];
    return p !== undefined && !p.exitedAlready;
  }

  pid(i: number): number | undefined {
    return this.running(i) ? this.procs[i]!.child.pid : undefined;
  }

  logs(i: number): string {
    const text = this.procs[i]?.logs() ?? '';
    return text.split('\n').slice(-40).join('\n');
  }

  async kill(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.procs[i];
    if (p === undefined || p.exitedAlready) return;
    p.child.kill(signal);
    await p.exited;
  }

  async restart(i: number): Promise<void> {
    if (this.running(i)) throw new Error(`member ${this.members[i]!.name} is still running; kill it first`);
    this.spawnMember(i);
    await this.waitHealthy(i);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.procs.map((_, i) => this.kill(i, 'SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
    tempRoots.delete(this.root);
  }
}

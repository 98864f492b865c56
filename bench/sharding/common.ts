// What the sharding benchmarks (idle.ts, split.ts, pd_failover.ts) share: the machine header,
// the results directory, CPU and memory samples of one process, PD's JSON API, and flotilla
// processes started by hand (for PD members the sharded harness does not start).
//
// Each benchmark prints the machine (cores and load average: this machine may be shared), its
// settings, what it scaled down from the target and why, and its figures; and writes
// bench/results/<YYYY-MM-DD-HH-MM>-sharding-<name>/results.json and report.md.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, type Machine } from '../raft/machine.js';
import { cpuSeconds } from '../harness/procstat.js';
import { cleanEnv, freePorts, trackChild } from '../../test/support/servers.js';

export const repoDir = fileURLToPath(new URL('../../../', import.meta.url));
const flotillaBin = join(repoDir, 'bin', 'flotilla');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the machine ----

export interface MachineNow extends Machine {
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
}

export function machineNow(): MachineNow {
  return { ...describeMachine(repoDir), loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) };
}

export function machineLines(m: MachineNow): string[] {
  return [
    `machine:  ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}`,
    `load:     ${m.loadAverage.join(' ')} (1, 5, 15 min) at the start${m.loadAverage[0]! > m.cores * 0.5 ? ' -- a shared, busy machine: figures are upper bounds' : ''}`,
    `software: node ${m.node}, flotilla ${m.commit}`,
  ];
}

// ---- results ----

/**
 * bench/results/<YYYY-MM-DD-HH-MM>-sharding-<name>/ (the harness's date stamp, in UTC), with -2,
 * -3 ... after it when a run of the same minute wrote there already.
 */
export function resultsDir(name: string, date: Date): string {
  const stamp = date.toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const base = join(repoDir, 'bench', 'results', `${stamp}-sharding-${name}`);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (!existsSync(dir)) return dir;
  }
}

/** Writes results.json and report.md (the printed report) to `dir`; returns the dir. */
export function writeResults(dir: string, results: unknown, report: string[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, 'report.md'), '```\n' + report.join('\n') + '\n```\n');
  return dir;
}

/** Prints `line` and keeps it for report.md. */
export class Report {
  readonly lines: string[] = [];
  print(line = ''): void {
    this.lines.push(line);
    process.stdout.write(line + '\n');
  }
}

/** The command line that ran this benchmark, for the report. */
export function commandLine(): string {
  const script = process.argv[1] ? process.argv[1].replace(repoDir, '') : '';
  return ['node', script, ...process.argv.slice(2)].join(' ');
}

// ---- one process's CPU and memory ----

/** VmRSS of a process (resident memory, shared pages included), in bytes; undefined if gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface Usage {
  seconds: number;
  /** CPU time (utime + stime) per wall time, in % of one core. */
  cpuPercentOfOneCore: number;
  rssBytesStart: number;
  rssBytesEnd: number;
  rssBytesMax: number;
  /** CPU % of one core in each window of `everyMs`. */
  cpuPercentSamples: number[];
  /** CPU % of one core per thread (the main thread's ID is the PID), busiest first. */
  threads: Array<{ tid: number; main: boolean; cpuPercentOfOneCore: number }>;
}

/** utime + stime of each thread of a process, in seconds. */
function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[14 - 3]) + Number(fields[15 - 3])) / 100);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** Samples `pid` for `seconds`: CPU from /proc/PID/stat deltas, VmRSS from /proc/PID/status. */
export async function sampleUsage(pid: number, seconds: number, everyMs = 1000): Promise<Usage> {
  const cpu = () => {
    const c = cpuSeconds(pid);
    if (c === undefined) throw new Error(`process ${pid} is gone`);
    return c;
  };
  const rss = () => rssBytes(pid) ?? 0;
  const t0 = performance.now();
  const cpu0 = cpu();
  const threads0 = threadCpuSeconds(pid);
  const rssBytesStart = rss();
  let rssBytesMax = rssBytesStart;
  const samples: number[] = [];
  let lastT = t0;
  let lastCpu = cpu0;
  while (performance.now() - t0 < seconds * 1000) {
    await sleep(Math.min(everyMs, seconds * 1000 - (performance.now() - t0)));
    const t = performance.now();
    const c = cpu();
    samples.push(round1((100 * (c - lastCpu)) / ((t - lastT) / 1000)));
    lastT = t;
    lastCpu = c;
    rssBytesMax = Math.max(rssBytesMax, rss());
  }
  const wallS = (performance.now() - t0) / 1000;
  const rssBytesEnd = rss();
  const threads = [...threadCpuSeconds(pid)]
    .map(([tid, c]) => ({ tid, main: tid === pid, cpuPercentOfOneCore: round2((100 * (c - (threads0.get(tid) ?? 0))) / wallS) }))
    .filter((t) => t.cpuPercentOfOneCore > 0)
    .sort((a, b) => b.cpuPercentOfOneCore - a.cpuPercentOfOneCore);
  return {
    threads,
    seconds: round1(wallS),
    cpuPercentOfOneCore: round2((100 * (cpu() - cpu0)) / wallS),
    rssBytesStart,
    rssBytesEnd,
    rssBytesMax: Math.max(rssBytesMax, rssBytesEnd),
    cpuPercentSamples: samples,
  };
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
export const round2 = (x: number) => Math.round(x * 100) / 100;
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
export const ms = (x: number) => `${x.toFixed(1)} ms`;

// ---- PD's JSON API ----

/** A call to PD's JSON API; follows a non-leader's 503 and retries while PD elects a leader. */
export async function pdJson<T>(pdUrl: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let base = pdUrl;
  for (;;) {
    let problem: string;
    try {
      const res = await fetch(new URL(path, base), {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())),
      });
      const text = await res.text();
      if (res.status === 200) return JSON.parse(text) as T;
      const j = (() => {
        try {
          return JSON.parse(text) as { error?: string; leader?: string | null };
        } catch {
          return {};
        }
      })();
      if (res.status !== 503) throw new PdHttpError(`PD ${method} ${path}: HTTP ${res.status}: ${j.error ?? text.slice(0, 200)}`);
      if (j.leader) base = j.leader;
      problem = `503 ${j.error ?? ''}`;
    } catch (err) {
      if (err instanceof PdHttpError) throw err;
      problem = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`PD ${method} ${path}: ${problem}`);
    await sleep(100);
  }
}

export class PdHttpError extends Error {}

export interface PdRegion {
  id: number;
  startBase64: string;
  endBase64: string;
  leader: { id: number; storeId: number } | null;
  peers: Array<{ id: number; storeId: number; role: string }>;
  approximateBytes: number;
  approximateKeys: number;
}

export async function pdRegions(pdUrl: string): Promise<PdRegion[]> {
  return (await pdJson<{ regions: PdRegion[] }>(pdUrl, 'GET', '/pd/api/v1/regions')).regions;
}

// ---- flotilla processes started by hand ----

const logBytesMax = 256 * 1024;

/** `node bin/flotilla ARGS`, its output kept (the last 256 KiB); killed when this process exits. */
export class FlotillaProc {
  readonly child: ChildProcess;
  private text = '';
  exitedWith: string | undefined;
  readonly exited: Promise<void>;

  constructor(readonly name: string, args: string[]) {
    this.child = spawn(process.execPath, [flotillaBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    trackChild(this.child);
    const keep = (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      if (this.text.length > logBytesMax) this.text = this.text.slice(-logBytesMax);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.exitedWith = `spawn failed: ${err.message}`;
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.text;
  }

  tail(lines = 20): string {
    return this.text.split('\n').slice(-lines).join('\n');
  }

  async waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.text)) {
      if (this.exitedWith !== undefined) throw new Error(`${this.name} exited (${this.exitedWith}) before printing ${re}:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${re} within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(50);
    }
  }

  /** Sends `signal` to this process (only this one: its own PID) and waits until it exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exitedWith !== undefined) return;
    this.child.kill(signal);
    await this.exited;
  }
}

// ---- a range-mode cluster started by hand ----

export interface RangeCluster {
  readonly pdUrl: string;
  readonly pd: FlotillaProc;
  readonly stores: FlotillaProc[];
  readonly clientUrls: string[];
  stop(): Promise<void>;
}

export interface RangeClusterOptions {
  stores: number;
  replicas: number;
  storeFlags: string[];
  /** The PD URL the stores are given (default PD's own): a proxy in front of it, say. */
  storePdUrl?: (pdUrl: string) => string;
  /** Ports to use: 2 for PD, then 2 per store (default: free ones). */
  ports?: number[];
}

/** Free ports for a cluster of `stores` stores (2 for PD, then 2 per store). */
export async function clusterPorts(stores: number): Promise<number[]> {
  return freePorts(2 + 2 * stores);
}

/**
 * One PD member and `stores` stores in a fresh temp dir; resolves once the first region has a
 * leader in PD. stop() kills exactly these processes and removes the dir.
 */
export async function startRangeCluster(o: RangeClusterOptions): Promise<RangeCluster> {
  const ports = o.ports ?? (await clusterPorts(o.stores));
  const url = (p: number) => `http://127.0.0.1:${p}`;
  const root = mkdtempSync(join(os.tmpdir(), 'flotilla-sharding-bench-'));
  const pdUrl = url(ports[0]!);
  const pdPeer = url(ports[1]!);
  const procs: FlotillaProc[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const pd = new FlotillaProc('pd1', [
      'pd', '--mode', 'range', '--replicas', String(o.replicas),
      '--name', 'pd1', '--data-dir', join(root, 'pd1'),
      '--listen-client-urls', pdUrl, '--advertise-client-urls', pdUrl,
      '--listen-peer-urls', pdPeer, '--initial-advertise-peer-urls', pdPeer,
      '--initial-cluster', `pd1=${pdPeer}`, '--initial-cluster-token', 'flotilla-pd',
    ]);
    procs.push(pd);
    await pd.waitFor(/serving on/, 30_000);
    const stores: FlotillaProc[] = [];
    const clientUrls: string[] = [];
    for (let i = 0; i < o.stores; i++) {
      const client = url(ports[2 + 2 * i]!);
      clientUrls.push(client);
      const s = new FlotillaProc(`s${i + 1}`, [
        'store', '--name', `s${i + 1}`, '--data-dir', join(root, `s${i + 1}`), '--pd', o.storePdUrl ? o.storePdUrl(pdUrl) : pdUrl,
        '--listen-client-urls', client, '--listen-peer-urls', url(ports[3 + 2 * i]!),
        ...o.storeFlags,
      ]);
      stores.push(s);
      procs.push(s);
    }
    await Promise.all(stores.map((s) => s.waitFor(/serving clients on/, 60_000)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rs = await pdRegions(pdUrl).catch(() => []);
      if (rs.length > 0 && rs.every((r) => r.leader !== null)) break;
      if (Date.now() > deadline) throw new Error(`the first region got no leader within 60 s\n${procs.map((p) => `--- ${p.name}\n${p.tail(10)}`).join('\n')}`);
      await sleep(100);
    }
    return { pdUrl, pd, stores, clientUrls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

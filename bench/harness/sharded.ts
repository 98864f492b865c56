// A sharded Flotilla cluster for the benchmarks, each server its own process as in a deployment:
// one PD member and N stores on loopback, fresh data dirs, ports the kernel found free; and the
// few things a benchmark asks of PD's HTTP API (GET /pd/api/v1/regions and /stores, POST
// /pd/api/v1/split and /transfer-leader):
//
//   const c = await startShardedCluster({ mode: 'range', stores: 3, replicas: 3, storeFlags: [] });
//   await c.split([k1, k2, k3]);  // 4 regions, each with a leader, before any load
//   // or mode 'hash' with hashGroups: G: PD creates G slot groups at bootstrap (no splits)
//   await c.spreadLeaders();      // leaders spread over the stores, as PD's balance-leader would
//   c.clientUrls;                 // the stores' client URLs: the benchmark's endpoints
//   await c.stop();               // SIGKILL everything, remove the data dirs
//
// NB: PD always runs with fsync, whatever the stores' durability: it is off the data path (the
// timestamp oracle saves a window ahead, IDs come in batches), and a real PD would never run
// without it. The stores get the durability flags.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slotCount, slotOf } from '../../src/router/slots.js';
import { cleanEnv, freePorts, isHealthy, repoRoot, trackChild } from '../../test/support/servers.js';

export interface ShardedOptions {
  readonly mode: 'range' | 'hash';
  readonly stores: number;
  /** Hash mode: slot groups PD creates at bootstrap (PD's --hash-groups); default max(3, stores), as `flotilla cluster`. */
  readonly hashGroups?: number;
  /** Voters per region. */
  readonly replicas: number;
  /** Added to every store's flags (durability, --lanes). */
  readonly storeFlags: readonly string[];
  readonly startTimeoutMs?: number;
}

/** A region as PD's directory shows it; `end` empty means the end of the key space. */
export interface RegionInfo {
  id: number;
  start: Buffer;
  end: Buffer;
  leaderStore: number | undefined;
  voterStores: number[];
  /** Hash mode: the group's slots, as inclusive runs [first, last]. */
  slots?: [number, number][];
}

/** What the report shows of a sharded target's regions at one moment. */
export interface RegionLayout {
  regions: number;
  regionsWithoutLeader: number;
  /** Region leaders per store ID. */
  leadersPerStore: Record<string, number>;
}

export interface ShardedCluster {
  readonly mode: 'range' | 'hash';
  /** Hash mode: the slot groups PD was started with (0 in range mode). */
  readonly hashGroups: number;
  readonly pdUrl: string;
  /** The stores' client URLs, in store order. */
  readonly clientUrls: readonly string[];
  /** PD's data dir and the stores'. */
  readonly dataDirs: readonly string[];
  readonly stores: number;
  readonly replicas: number;
  /** PD's regions, in key order. */
  regions(): Promise<RegionInfo[]>;
  layout(): Promise<RegionLayout>;
  /** Splits at every key (sorted, distinct, non-empty) and waits until each new region has a leader. */
  split(keys: readonly Buffer[]): Promise<void>;
  /**
   * Moves region leaders so that each store leads as many regions as it can (regions in key order,
   * each to the voter store leading fewest so far). Resolves with the regions still elsewhere
   * when `timeoutMs` passed (0 when every move finished).
   */
  spreadLeaders(timeoutMs?: number): Promise<number>;
  pids(): number[];
  /** Why the cluster can no longer serve (a process exited, with its last lines), or undefined. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

const flotillaBin = join(repoRoot, 'bin', 'flotilla');
const logBytesMax = 64 * 1024;
const startAttemptsMax = 3;
const pollMs = 100;
const splitTimeoutMs = 30_000;
const transferResendMs = 3_000;
const splitResendMs = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Data dirs still on disk, removed when this process exits however it exits (the processes
// themselves are killed by trackChild's hook).
const roots = new Set<string>();
let exitHookInstalled = false;
function keepRoot(dir: string): void {
  roots.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of roots) rmSync(d, { recursive: true, force: true });
  });
}

class ServerProc {
  readonly child: ChildProcess;
  private log = '';
  exitedWith: string | undefined;
  readonly exitedPromise: Promise<void>;

  constructor(readonly name: string, args: string[]) {
    this.child = spawn(process.execPath, [flotillaBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    trackChild(this.child);
    const keep = (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
      if (this.log.length > logBytesMax) this.log = this.log.slice(-logBytesMax);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exitedPromise = new Promise((resolve) => {
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

  logs(lines = 30): string {
    return this.log.split('\n').slice(-lines).join('\n');
  }

  has(pattern: RegExp): boolean {
    return pattern.test(this.log);
  }
}

interface RegionJson {
  id: number;
  startBase64: string;
  endBase64: string;
  peers: { id: number; storeId: number; role: string }[];
  leader: { storeId: number } | null;
  slots?: [number, number][];
}

export async function startShardedCluster(o: ShardedOptions): Promise<ShardedCluster> {
  if (!(o.stores >= 1 && o.replicas >= 1 && o.replicas <= o.stores)) throw new Error(`sharded cluster: ${o.replicas} replicas need at least as many stores (got ${o.stores})`);
  let lastError: unknown;
  // NB: as in test/support/servers.ts, a port found free can be taken before a server binds it;
  // such a start is retried on fresh ports.
  for (let attempt = 1; attempt <= startAttemptsMax; attempt++) {
    const c = new LocalShardedCluster(o, await freePorts(2 + 2 * o.stores));
    try {
      await c.start(o.startTimeoutMs ?? 60_000);
      return c;
    } catch (err) {
      lastError = err;
      const portTaken = c.procs.some((p) => p.has(/address already in use|EADDRINUSE/i));
      await c.stop();
      if (!portTaken) throw err;
    }
  }
  throw lastError;
}

class LocalShardedCluster implements ShardedCluster {
  readonly mode: 'range' | 'hash';
  readonly hashGroups: number;
  readonly pdUrl: string;
  readonly clientUrls: string[];
  readonly dataDirs: string[];
  readonly stores: number;
  readonly replicas: number;
  readonly procs: ServerProc[] = [];
  private readonly root: string;
  private readonly pdArgs: string[];
  private readonly storeArgs: string[][];
  private stopping = false;

  constructor(o: ShardedOptions, ports: number[]) {
    const url = (p: number) => `http://127.0.0.1:${p}`;
    this.mode = o.mode;
    this.stores = o.stores;
    this.replicas = o.replicas;
    this.hashGroups = o.mode === 'hash' ? (o.hashGroups ?? Math.max(3, o.stores)) : 0;
    this.root = mkdtempSync(join(tmpdir(), `flotilla-${o.mode}-bench-`));
    keepRoot(this.root);
    this.pdUrl = url(ports[0]!);
    const pdPeer = url(ports[1]!);
    const pdDir = join(this.root, 'pd1');
    this.pdArgs = [
      'pd', '--mode', o.mode, '--replicas', String(o.replicas),
      ...(o.mode === 'hash' ? ['--hash-groups', String(this.hashGroups)] : []),
      '--name', 'pd1', '--data-dir', pdDir,
      '--listen-client-urls', this.pdUrl, '--advertise-client-urls', this.pdUrl,
      '--listen-peer-urls', pdPeer, '--initial-advertise-peer-urls', pdPeer,
      '--initial-cluster', `pd1=${pdPeer}`, '--initial-cluster-token', 'flotilla-pd',
    ];
    this.clientUrls = [];
    this.dataDirs = [pdDir];
    this.storeArgs = [];
    for (let i = 0; i < o.stores; i++) {
      const client = url(ports[2 + 2 * i]!);
      const dir = join(this.root, `s${i + 1}`);
      this.clientUrls.push(client);
      this.dataDirs.push(dir);
      this.storeArgs.push([
        'store', '--name', `s${i + 1}`, '--data-dir', dir, '--pd', this.pdUrl,
        '--listen-client-urls', client, '--listen-peer-urls', url(ports[3 + 2 * i]!),
        ...o.storeFlags,
      ]);
    }
  }

  async start(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const waitFor = async (what: string, ok: () => Promise<boolean>) => {
      for (;;) {
        const gone = this.exited();
        if (gone !== undefined) throw new Error(`flotilla-${this.mode}: ${gone}`);
        if (await ok()) return;
        if (Date.now() > deadline) throw new Error(`flotilla-${this.mode}: ${what} within ${timeoutMs} ms\n${this.procs.map((p) => `--- ${p.name}\n${p.logs(15)}`).join('\n')}`);
        await sleep(pollMs);
      }
    };
    this.procs.push(new ServerProc('pd1', this.pdArgs));
    await waitFor('PD did not answer /health', () => isHealthy(this.pdUrl));
    this.storeArgs.forEach((args, i) => this.procs.push(new ServerProc(`s${i + 1}`, args)));
    await waitFor('the stores did not all serve clients', async () => {
      const stores = this.procs.slice(1);
      if (!stores.every((p) => p.has(/serving clients on/))) return false;
      return (await Promise.all(this.clientUrls.map((u) => isHealthy(u)))).every(Boolean);
    });
    // The first region (hash mode: all G slot groups at once) is created once `replicas` stores
    // registered; wait until every one has a leader.
    const want = this.mode === 'hash' ? this.hashGroups : 1;
    await waitFor(this.mode === 'hash' ? `the ${want} slot groups did not all get a leader` : 'the first region got no leader', async () => {
      const rs = await this.regions().catch(() => []);
      return rs.length >= want && rs.every((r) => r.leaderStore !== undefined);
    });
  }

  /** A call to PD's JSON API; retries while PD elects its leader or is not listening yet. */
  private async pd<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      let problem: string;
      try {
        const res = await fetch(`${this.pdUrl}${path}`, {
          method,
          ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
          signal: AbortSignal.timeout(5_000),
        });
        const text = await res.text();
        if (res.status === 200) return JSON.parse(text) as T;
        if (res.status !== 503) throw new PdError(`PD ${method} ${path}: ${res.status} ${text.trim()}`);
        problem = `503 ${text.trim()}`;
      } catch (err) {
        if (err instanceof PdError) throw err;
        problem = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`PD ${method} ${path}: ${problem}`);
      await sleep(pollMs);
    }
  }

  async regions(): Promise<RegionInfo[]> {
    const out = await this.pd<{ regions: RegionJson[] }>('GET', '/pd/api/v1/regions');
    return out.regions
      .map((r) => ({
        id: r.id,
        start: Buffer.from(r.startBase64, 'base64'),
        end: Buffer.from(r.endBase64, 'base64'),
        leaderStore: r.leader?.storeId,
        voterStores: r.peers.filter((p) => p.role === 'voter').map((p) => p.storeId),
        ...(r.slots ? { slots: r.slots } : {}),
      }))
      // Key order; hash-mode groups (all over the whole key space) in slot order.
      .sort((a, b) => Buffer.compare(a.start, b.start) || (a.slots?.[0]?.[0] ?? 0) - (b.slots?.[0]?.[0] ?? 0) || a.id - b.id);
  }

  async layout(): Promise<RegionLayout> {
    const rs = await this.regions();
    const leadersPerStore: Record<string, number> = {};
    const stores = await this.pd<{ stores: { id: number }[] }>('GET', '/pd/api/v1/stores');
    for (const s of stores.stores) leadersPerStore[String(s.id)] = 0;
    for (const r of rs) if (r.leaderStore !== undefined) leadersPerStore[String(r.leaderStore)] = (leadersPerStore[String(r.leaderStore)] ?? 0) + 1;
    return { regions: rs.length, regionsWithoutLeader: rs.filter((r) => r.leaderStore === undefined).length, leadersPerStore };
  }

  async split(keys: readonly Buffer[]): Promise<void> {
    // Bisection: split at the middle key, then each half's keys at once. A region takes one
    // operator at a time (PD keeps one command per region), and halves are distinct regions, so
    // K regions take about log2(K) rounds of heartbeats instead of K - 1.
    const splitAll = async (ks: readonly Buffer[]): Promise<void> => {
      if (ks.length === 0) return;
      const mid = Math.floor(ks.length / 2);
      await this.splitAt(ks[mid]!);
      await Promise.all([splitAll(ks.slice(0, mid)), splitAll(ks.slice(mid + 1))]);
    };
    await splitAll(keys);
  }

  private async splitAt(key: Buffer): Promise<void> {
    const done = async () => {
      const rs = await this.regions();
      const right = rs.find((r) => r.start.equals(key));
      const left = rs.find((r) => r.end.equals(key));
      return right?.leaderStore !== undefined && left?.leaderStore !== undefined;
    };
    const ask = async () => {
      try {
        await this.pd('POST', '/pd/api/v1/split', { keyBase64: key.toString('base64') });
      } catch (err) {
        if (!/already starts at that key/.test((err as Error).message)) throw err;
      }
    };
    const deadline = Date.now() + splitTimeoutMs;
    // As with leader moves (spreadLeaders), a split not seen after a while is asked for again.
    let askAt = 0;
    while (!(await done())) {
      const gone = this.exited();
      if (gone !== undefined) throw new Error(`flotilla-${this.mode}: while splitting at ${key.toString('latin1')}: ${gone}`);
      if (Date.now() > deadline) throw new Error(`flotilla-${this.mode}: the split at ${key.toString('latin1')} did not show in PD's regions (both halves with a leader) within ${splitTimeoutMs} ms`);
      if (Date.now() >= askAt) {
        await ask();
        askAt = Date.now() + splitResendMs;
      }
      await sleep(pollMs);
    }
  }

  async spreadLeaders(timeoutMs = 30_000): Promise<number> {
    const rs = await this.regions();
    const led = new Map<number, number>();
    const want = new Map<number, number>();
    for (const r of rs) {
      // Each region to the voter store leading fewest so far; ties keep the current leader, then the lower ID.
      const pick = [...r.voterStores].sort((a, b) => (led.get(a) ?? 0) - (led.get(b) ?? 0) || Number(b === r.leaderStore) - Number(a === r.leaderStore) || a - b)[0];
      if (pick === undefined) continue;
      led.set(pick, (led.get(pick) ?? 0) + 1);
      want.set(r.id, pick);
    }
    const misplaced = (list: RegionInfo[]) => list.filter((r) => want.has(r.id) && r.leaderStore !== want.get(r.id));
    // PD hands a command to the region's next heartbeat once; a transfer the leader could not
    // make (the target still catching up, a heartbeat lost under load) is asked for again.
    const deadline = Date.now() + timeoutMs;
    let left = misplaced(rs);
    for (;;) {
      for (const r of left) {
        await this.pd('POST', '/pd/api/v1/transfer-leader', { region: r.id, store: want.get(r.id) }).catch(() => {
          // The region changed meanwhile (no voter there any more): the next listing tells.
        });
      }
      const resendAt = Date.now() + transferResendMs;
      while (Date.now() < resendAt) {
        left = misplaced(await this.regions());
        if (left.length === 0 || Date.now() > deadline) return left.length;
        await sleep(pollMs);
      }
    }
  }

  pids(): number[] {
    return this.procs.filter((p) => p.exitedWith === undefined && p.child.pid !== undefined).map((p) => p.child.pid!);
  }

  exited(): string | undefined {
    if (this.stopping) return undefined;
    const gone = this.procs.filter((p) => p.exitedWith !== undefined);
    if (gone.length === 0) return undefined;
    return gone.map((p) => `${p.name === 'pd1' ? 'PD' : `store ${p.name}`} exited (${p.exitedWith}); its last lines:\n${p.logs()}`).join('\n');
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const p of this.procs) if (p.exitedWith === undefined) p.child.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exitedPromise));
    rmSync(this.root, { recursive: true, force: true });
    roots.delete(this.root);
  }
}

class PdError extends Error {}

/** The number of regions that overlap [start, end) (end empty: to the end of the key space). */
export function regionsSpanned(regions: readonly RegionInfo[], start: Buffer, end: Buffer): number {
  return regions.filter((r) => (r.end.length === 0 || Buffer.compare(r.end, start) > 0) && (end.length === 0 || Buffer.compare(r.start, end) < 0)).length;
}

/**
 * Hash mode: the group of every slot (index: slot, value: the group's region ID), from PD's
 * directory; throws if a slot has no group (PD's directory is always complete once bootstrapped).
 */
export function slotGroupTable(regions: readonly RegionInfo[]): Int32Array {
  const table = new Int32Array(slotCount).fill(-1);
  for (const r of regions) for (const [first, last] of r.slots ?? []) table.fill(r.id, first, last + 1);
  const hole = table.indexOf(-1);
  if (hole >= 0) throw new Error(`hash mode: PD's directory gives slot ${hole} no group`);
  return table;
}

/** Hash mode: the number of groups that hold some of `keys` (by slot). */
export function groupsSpanned(table: Int32Array, keys: Iterable<Buffer>): number {
  const groups = new Set<number>();
  for (const k of keys) groups.add(table[slotOf(k)]!);
  return groups.size;
}

// Starts and stops a range-mode (or hash-mode) cluster for tests: one PD member and N stores,
// each its own process (`node bin/flotilla pd ...`, `node bin/flotilla store ...`), on 127.0.0.1
// ports the kernel picked as free, with data dirs under one temp dir this helper created and removes.
//
//   const c = await startRangeCluster({ stores: 3 });
//   try {
//     c.stores[0]!.clientUrl;           // etcd's API (gRPC and JSON gateway) for the whole key space
//     await c.pd.split('k/10');         // asks PD; waitRegions() waits until it applied
//     await c.kill(1, 'SIGKILL');
//     await c.restart(1);               // same flags, same data dir, same ports
//   } finally {
//     await c.stop();                   // kills every process and removes the temp dir
//   }
//
// `startRangeCluster({ mode: 'hash', hashGroups: 3 })` starts hash mode instead: PD creates the
// slot groups, and waitGroups() / moveSlotsAndWait() stand for waitRegions() / splitAndWait().
//
// Unlike `flotilla cluster` (which stops everything when one process exits), a store here can be
// killed and restarted alone. Every spawned process is also killed when the test process exits
// (servers.ts trackChild).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, freePorts, repoRoot, trackChild } from './servers.js';
import { slotCount, slotOf } from '../../src/router/slots.js';

export interface RangeClusterOptions {
  /** PD's `--mode`. Default range. */
  readonly mode?: 'range' | 'hash';
  /** Hash mode: PD's `--hash-groups`, the slot groups created at bootstrap. Default 3. */
  readonly hashGroups?: number;
  /** Stores. Default 3. */
  readonly stores?: number;
  /** Voters per region. Default 3. */
  readonly replicas?: number;
  /** Lanes (worker threads) per store. Default 2. */
  readonly lanes?: number;
  /** More flags for every store. Default: short Raft timings and no fsync (tests, not disks). */
  readonly storeFlags?: readonly string[];
  /** Flags for store `i` alone, after storeFlags. */
  readonly storeFlagsFor?: (i: number) => readonly string[];
  /** Milliseconds to wait for a process to say it serves. Default 30 000. */
  readonly startTimeoutMs?: number;
}

/** Short Raft timings, so that elections after a kill take half a second. */
export const fastRaftFlags: readonly string[] = ['--heartbeat-interval', '50', '--election-timeout', '500'];
/** fastRaftFlags without fsync: for tests that kill no process (fewer disk flushes on shared cores). */
export const defaultStoreFlags: readonly string[] = [...fastRaftFlags, '--unsafe-no-fsync'];

/**
 * What to add to a failure message when servers got more SIGTERMs than the test sent them:
 * something outside the test stopped them (on a shared machine, someone's cleanup).
 */
export function outsideSigterm(c: RangeCluster): string {
  const received = [c.pdLog(), ...c.stores.map((_, i) => c.storeLog(i))].reduce((n, l) => n + (l.match(/received SIGTERM/g)?.length ?? 0), 0);
  return received > c.sigtermsSent
    ? `\nNB: the servers printed "received SIGTERM" ${received} times, the test sent ${c.sigtermsSent}: something outside the test stopped them.`
    : '';
}

export interface StoreProc {
  /** `s1`, `s2` ...: the `--name` flag. */
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** The store ID PD gave it (learned from its first start; kept across restarts). */
  id: number | undefined;
}

export interface RegionJson {
  id: number;
  /** The keys as people read them: `""`, `"p/m"` (quoted), or hex; `end` is '' when unbounded. */
  start: string;
  end: string;
  startBase64: string;
  endBase64: string;
  /** Hash mode: the group's slots, [[first, last], ...] (inclusive). */
  slots?: Array<[number, number]>;
  epoch: { confVer: number; version: number };
  peers: Array<{ id: number; storeId: number; role: string }>;
  leader: { id: number; storeId: number } | null;
}

export interface StoreJson {
  id: number;
  clientUrl: string;
  peerUrl: string;
  lanes: number;
  regionCount: number;
  leaderCount: number;
}

export interface OperatorEvent {
  atMs: number;
  regionId: number;
  kind: string;
  desc: string;
  status: string;
}

/** PD's JSON API (/pd/api/v1/...). Throws with PD's error text on a non-200 answer. */
export class PdApi {
  constructor(readonly url: string) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    const json = (await res.json()) as T & { error?: string };
    if (res.status !== 200) throw new Error(`PD ${method} ${path}: HTTP ${res.status}: ${json.error ?? JSON.stringify(json)}`);
    return json;
  }

  async regions(): Promise<RegionJson[]> {
    return (await this.call<{ regions: RegionJson[] }>('GET', '/pd/api/v1/regions')).regions;
  }

  async stores(): Promise<StoreJson[]> {
    return (await this.call<{ stores: StoreJson[] }>('GET', '/pd/api/v1/stores')).stores;
  }

  /** Asks PD to split the region holding `key` at `key`; PD hands it to the leader later. */
  split(key: string): Promise<{ regionId: number; newRegionId: number }> {
    return this.call('POST', '/pd/api/v1/split', { key });
  }

  /** Operators in flight and the recent ones (added, finished, cancelled, timed out). */
  operators(): Promise<{ count: number; operators: unknown[]; recent: OperatorEvent[] }> {
    return this.call('GET', '/pd/api/v1/operators');
  }

  /** Changes scheduler settings, e.g. `{ enabled: [] }` stops every scheduler. */
  scheduleConfig(settings: Record<string, unknown>): Promise<unknown> {
    return this.call('POST', '/pd/api/v1/schedulers/config', settings);
  }

  transferLeader(region: number, store: number): Promise<unknown> {
    return this.call('POST', '/pd/api/v1/transfer-leader', { region, store });
  }

  /** Range mode: asks PD to merge region `source` into its neighbour `target`. */
  merge(source: number, target: number): Promise<unknown> {
    return this.call('POST', '/pd/api/v1/merge', { source, target });
  }

  /** Hash mode: asks PD to move `slots` ([[first, last], ...]) from group `from` to group `to`. */
  moveSlots(from: number, to: number, slots: ReadonlyArray<readonly [number, number]>): Promise<unknown> {
    return this.call('POST', '/pd/api/v1/move-slots', { from, to, slots });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something other than undefined; throws `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

const logBytesMax = 256 * 1024;

class Proc {
  readonly child: ChildProcess;
  private text = '';
  private listeners: Array<() => void> = [];
  readonly exited: Promise<void>;
  done = false;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [join(repoRoot, 'bin', 'flotilla'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    trackChild(this.child);
    const keep = (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      if (this.text.length > logBytesMax) this.text = this.text.slice(-logBytesMax);
      for (const l of this.listeners) l();
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      const end = () => {
        this.done = true;
        for (const l of this.listeners) l();
        resolve();
      };
      this.child.once('error', (err) => {
        this.text += `\nspawn failed: ${err.message}\n`;
        end();
      });
      this.child.once('exit', end);
    });
  }

  get log(): string {
    return this.text;
  }

  /** Resolves with the first match of `re` in the output; rejects if the process exits first. */
  waitFor(re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${what}: nothing matched ${re} within ${timeoutMs} ms:\n${tail(this.text)}`)), timeoutMs);
      const check = () => {
        const m = re.exec(this.text);
        if (m) return finish(undefined, m);
        if (this.done) finish(new Error(`${what} exited (${this.child.exitCode ?? this.child.signalCode}) while starting:\n${tail(this.text)}`));
      };
      const finish = (err?: Error, m?: RegExpExecArray) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        if (err) reject(err);
        else resolve(m!);
      };
      this.listeners.push(check);
      check();
    });
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.done) return;
    this.child.kill(signal);
    await this.exited;
  }
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

export interface RangeCluster {
  readonly mode: 'range' | 'hash';
  readonly pdUrl: string;
  readonly pd: PdApi;
  readonly stores: readonly StoreProc[];
  readonly clientUrls: readonly string[];
  /** How many SIGTERMs kill() sent (to tell them from someone else's). */
  readonly sigtermsSent: number;
  /** Sends `signal` (default SIGTERM) to store `i` and waits until it exited. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts store `i` again (after kill) with the same flags, data dir and ports; waits until it serves. */
  restart(i: number): Promise<void>;
  running(i: number): boolean;
  /** Store `i`'s output (the last 256 KiB of it, across restarts). */
  storeLog(i: number): string;
  pdLog(): string;
  /** The index in `stores` of the store with PD's ID `id`. */
  indexOfStore(id: number): number;
  /** Kills everything (SIGKILL) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const startAttemptsMax = 3;

// Temp dirs of clusters not stopped yet, removed when the test process exits however it exits
// (servers.ts turns SIGINT and SIGTERM into an exit and kills the processes).
const liveRoots = new Set<string>();
let exitHookInstalled = false;

function removeOnExit(root: string): void {
  liveRoots.add(root);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of liveRoots) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Starts PD and the stores, and waits until PD has bootstrapped the first region and it has a
 * leader. Retried on fresh ports when a port found free was taken meanwhile.
 */
export async function startRangeCluster(options: RangeClusterOptions = {}): Promise<RangeCluster> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= startAttemptsMax; attempt++) {
    const c = new LocalRangeCluster(options);
    try {
      await c.start();
      return c;
    } catch (err) {
      lastError = err;
      const taken = /address already in use|EADDRINUSE/i.test(c.allLogs());
      await c.stop();
      if (!taken) throw err;
    }
  }
  throw lastError;
}

class LocalRangeCluster implements RangeCluster {
  private readonly root: string;
  readonly mode: 'range' | 'hash';
  private readonly hashGroups: number;
  private readonly n: number;
  private readonly replicas: number;
  private readonly lanes: number;
  private readonly storeFlags: readonly string[];
  private readonly storeFlagsFor: (i: number) => readonly string[];
  private readonly timeoutMs: number;
  private pdProc: Proc | undefined;
  private readonly procs: Array<Proc | undefined>;
  /** Logs of earlier incarnations of each store, so a restart keeps what came before. */
  private readonly pastLogs: string[];
  pdUrl = '';
  pdPeerUrl = '';
  pd = new PdApi('');
  stores: StoreProc[] = [];
  private stopped = false;
  sigtermsSent = 0;

  constructor(o: RangeClusterOptions) {
    this.mode = o.mode ?? 'range';
    this.hashGroups = o.hashGroups ?? 3;
    this.root = mkdtempSync(join(tmpdir(), `flotilla-${this.mode}-`));
    removeOnExit(this.root);
    this.n = o.stores ?? 3;
    this.replicas = o.replicas ?? 3;
    this.lanes = o.lanes ?? 2;
    this.storeFlags = o.storeFlags ?? defaultStoreFlags;
    this.storeFlagsFor = o.storeFlagsFor ?? (() => []);
    this.timeoutMs = o.startTimeoutMs ?? 30_000;
    this.procs = Array.from({ length: this.n }, () => undefined);
    this.pastLogs = Array.from({ length: this.n }, () => '');
  }

  get clientUrls(): string[] {
    return this.stores.map((s) => s.clientUrl);
  }

  async start(): Promise<void> {
    const ports = await freePorts(2 + 2 * this.n);
    const url = (p: number) => `http://127.0.0.1:${p}`;
    this.pdUrl = url(ports[0]!);
    this.pdPeerUrl = url(ports[1]!);
    this.pd = new PdApi(this.pdUrl);
    this.stores = Array.from({ length: this.n }, (_, i) => ({
      name: `s${i + 1}`,
      clientUrl: url(ports[2 + 2 * i]!),
      peerUrl: url(ports[3 + 2 * i]!),
      dataDir: join(this.root, `s${i + 1}`),
      id: undefined,
    }));
    this.pdProc = new Proc([
      'pd', '--mode', this.mode, '--replicas', String(this.replicas),
      ...(this.mode === 'hash' ? ['--hash-groups', String(this.hashGroups)] : []),
      '--name', 'pd1', '--data-dir', join(this.root, 'pd1'),
      '--listen-client-urls', this.pdUrl, '--advertise-client-urls', this.pdUrl,
      '--listen-peer-urls', this.pdPeerUrl, '--initial-advertise-peer-urls', this.pdPeerUrl,
      '--initial-cluster', `pd1=${this.pdPeerUrl}`, '--initial-cluster-token', 'flotilla-pd',
    ]);
    await this.pdProc.waitFor(new RegExp(`flotilla: PD \\(${this.mode} mode.*serving on`), this.timeoutMs, 'PD');
    for (let i = 0; i < this.n; i++) this.spawnStore(i);
    await Promise.all(this.stores.map((_, i) => this.waitServing(i)));
    // The first region (hash mode: every group): created once `replicas` stores registered; a
    // leader reported to PD.
    try {
      if (this.mode === 'hash') {
        await waitGroups(this.pd, `the ${this.hashGroups} slot groups to have leaders`, (gs) => gs.length === this.hashGroups, this.timeoutMs);
      } else {
        await waitUntil('the first region to have a leader', async () => {
          const rs = await this.pd.regions();
          return rs.length === 1 && rs[0]!.leader !== null ? true : undefined;
        }, this.timeoutMs);
      }
    } catch (err) {
      const logs = [`---- pd1 ----\n${tail(this.pdLog(), 30)}`, ...this.stores.map((s, i) => `---- ${s.name} ----\n${tail(this.storeLog(i), 30)}`)];
      throw new Error(`${(err as Error).message}\n${logs.join('\n')}${outsideSigterm(this)}`);
    }
  }

  private spawnStore(i: number): void {
    const s = this.stores[i]!;
    this.procs[i] = new Proc([
      'store', '--name', s.name, '--data-dir', s.dataDir, '--pd', this.pdUrl,
      '--listen-client-urls', s.clientUrl, '--listen-peer-urls', s.peerUrl,
      '--lanes', String(this.lanes), ...this.storeFlags, ...this.storeFlagsFor(i),
    ]);
  }

  private async waitServing(i: number): Promise<void> {
    const s = this.stores[i]!;
    const m = await this.procs[i]!.waitFor(new RegExp(`flotilla: store (\\d+) \\(${s.name}[,)][^\\n]*serving clients on`), this.timeoutMs, `store ${s.name}`);
    const id = Number(m[1]);
    if (s.id !== undefined && s.id !== id) throw new Error(`store ${s.name} came back as store ${id}, was ${s.id}`);
    s.id = id;
  }

  indexOfStore(id: number): number {
    const i = this.stores.findIndex((s) => s.id === id);
    if (i < 0) throw new Error(`no store with ID ${id} (known: ${this.stores.map((s) => `${s.name}=${s.id}`).join(', ')})`);
    return i;
  }

  running(i: number): boolean {
    const p = this.procs[i];
    return p !== undefined && !p.done;
  }

  async kill(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (signal === 'SIGTERM' && this.running(i)) this.sigtermsSent++;
    await this.procs[i]?.kill(signal);
  }

  async restart(i: number): Promise<void> {
    if (this.running(i)) throw new Error(`store ${this.stores[i]!.name} still runs; kill it first`);
    this.pastLogs[i] += this.procs[i]?.log ?? '';
    this.pastLogs[i] = this.pastLogs[i]!.slice(-logBytesMax) + `\n---- restart of ${this.stores[i]!.name} ----\n`;
    this.spawnStore(i);
    await this.waitServing(i);
  }

  storeLog(i: number): string {
    return (this.pastLogs[i] ?? '') + (this.procs[i]?.log ?? '');
  }

  pdLog(): string {
    return this.pdProc?.log ?? '';
  }

  allLogs(): string {
    return [this.pdLog(), ...this.stores.map((_, i) => this.storeLog(i))].join('\n');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.procs.map((p) => p?.kill('SIGKILL')), this.pdProc?.kill('SIGKILL')]);
    rmSync(this.root, { recursive: true, force: true });
    liveRoots.delete(this.root);
  }
}

// ---- regions as PD reports them ----

/** The regions in key order, once they cover the key space without gaps or overlaps and each has a leader. */
export function settledRegions(rs: readonly RegionJson[]): RegionJson[] | undefined {
  const sorted = [...rs].sort((a, b) => Buffer.compare(Buffer.from(a.startBase64, 'base64'), Buffer.from(b.startBase64, 'base64')));
  if (sorted.length === 0 || sorted[0]!.startBase64 !== '') return undefined;
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (r.leader === null) return undefined;
    const next = sorted[i + 1];
    if (next ? r.endBase64 !== next.startBase64 : r.endBase64 !== '') return undefined;
  }
  return sorted;
}

/** Waits until PD's regions are settled (see settledRegions) and `accept` holds for them. */
export function waitRegions(pd: PdApi, what: string, accept: (rs: RegionJson[]) => boolean, timeoutMs = 20_000): Promise<RegionJson[]> {
  return waitUntil(what, async () => {
    const rs = settledRegions(await pd.regions());
    return rs && accept(rs) ? rs : undefined;
  }, timeoutMs);
}

/** Splits at `key` through PD's API and waits until a settled region starts at `key`. */
export async function splitAndWait(pd: PdApi, key: string, timeoutMs = 40_000): Promise<RegionJson[]> {
  const k = Buffer.from(key).toString('base64');
  const deadline = Date.now() + timeoutMs;
  // A hand-made split can be overtaken (the region's leader died with the command, or PD's own
  // scheduling reshaped the region first): ask again every few seconds, as an operator would.
  for (;;) {
    await pd.split(key).catch(() => undefined);
    const left = deadline - Date.now();
    try {
      return await waitRegions(pd, `a region starting at ${JSON.stringify(key)}`, (rs) => rs.some((r) => r.startBase64 === k), Math.max(1, Math.min(5_000, left)));
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
  }
}

/**
 * Merges the region starting at `key` into its left neighbour through PD's API, and waits until
 * no settled region starts at `key`. Asked again every few seconds, as splitAndWait does.
 */
export async function mergeAndWait(pd: PdApi, key: string, timeoutMs = 40_000): Promise<RegionJson[]> {
  const k = Buffer.from(key).toString('base64');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rs = await waitRegions(pd, 'settled regions', () => true, Math.max(1, deadline - Date.now()));
    const source = rs.find((r) => r.startBase64 === k);
    if (!source) return rs;
    const target = rs.find((r) => r.endBase64 === k);
    if (!target) throw new Error(`no region ends at ${JSON.stringify(key)}: nothing to merge ${source.id} into`);
    await pd.merge(source.id, target.id).catch(() => undefined);
    const left = deadline - Date.now();
    try {
      return await waitRegions(pd, `no region starting at ${JSON.stringify(key)}`, (now) => !now.some((r) => r.startBase64 === k), Math.max(1, Math.min(5_000, left)));
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
  }
}

/** The region holding `key`. */
export function regionOfKey(rs: readonly RegionJson[], key: string): RegionJson {
  const k = Buffer.from(key);
  const r = rs.find((x) => Buffer.compare(Buffer.from(x.startBase64, 'base64'), k) <= 0 && (x.endBase64 === '' || Buffer.compare(k, Buffer.from(x.endBase64, 'base64')) < 0));
  if (!r) throw new Error(`no region holds ${JSON.stringify(key)}`);
  return r;
}

// ---- hash mode: slot groups as PD reports them ----

/** Slot ranges as PD takes and shows them: [[first, last], ...], inclusive. */
export type SlotRanges = ReadonlyArray<readonly [number, number]>;

/**
 * The groups by ID, once each has a leader and their slots cover 0..16383 without overlap.
 * NB: while a move is half done PD shows the moving slots in both groups (the target took them,
 * the source has not dropped them yet): not settled.
 */
export function settledGroups(rs: readonly RegionJson[]): RegionJson[] | undefined {
  if (rs.length === 0) return undefined;
  const owned = new Uint8Array(slotCount);
  let count = 0;
  for (const g of rs) {
    if (!g.slots || g.leader === null) return undefined;
    for (const [a, b] of g.slots) {
      for (let s = a; s <= b; s++) {
        if (!(s >= 0 && s < slotCount) || owned[s]) return undefined;
        owned[s] = 1;
        count++;
      }
    }
  }
  return count === slotCount ? [...rs].sort((a, b) => a.id - b.id) : undefined;
}

/** Waits until PD's groups are settled (see settledGroups) and `accept` holds for them. */
export function waitGroups(pd: PdApi, what: string, accept: (gs: RegionJson[]) => boolean, timeoutMs = 20_000): Promise<RegionJson[]> {
  return waitUntil(what, async () => {
    const gs = settledGroups(await pd.regions());
    return gs && accept(gs) ? gs : undefined;
  }, timeoutMs);
}

/** waitRegions or waitGroups, as the cluster's mode has it: every region (group) led, nothing missing or doubled. */
export function waitSettled(c: RangeCluster, what: string, accept: (rs: RegionJson[]) => boolean = () => true, timeoutMs = 20_000): Promise<RegionJson[]> {
  return c.mode === 'hash' ? waitGroups(c.pd, what, accept, timeoutMs) : waitRegions(c.pd, what, accept, timeoutMs);
}

export function slotOfKey(key: string): number {
  return slotOf(Buffer.from(key));
}

/** Whether group `g` owns every slot of `slots`. */
export function ownsSlots(g: RegionJson, slots: SlotRanges): boolean {
  const mine = g.slots ?? [];
  return slots.every(([a, b]) => {
    for (let s = a; s <= b; s++) if (!mine.some(([x, y]) => s >= x && s <= y)) return false;
    return true;
  });
}

/** The group owning `slot`. */
export function groupOfSlot(gs: readonly RegionJson[], slot: number): RegionJson {
  const g = gs.find((x) => ownsSlots(x, [[slot, slot]]));
  if (!g) throw new Error(`no group owns slot ${slot}`);
  return g;
}

/** The group holding `key` (its slot's owner). */
export function groupOfKey(gs: readonly RegionJson[], key: string): RegionJson {
  return groupOfSlot(gs, slotOfKey(key));
}

/**
 * Moves `slots` from group `from` to group `to` through PD's API and waits until the settled
 * groups show `to` owning them (so `from` no longer does). Asked again every few seconds, as
 * splitAndWait does: PD hands the command to the source's leader once, and that leader may die
 * with it (a move it had begun is finished by the next leader; asking again is harmless).
 */
export async function moveSlotsAndWait(pd: PdApi, from: number, to: number, slots: SlotRanges, timeoutMs = 40_000): Promise<RegionJson[]> {
  const deadline = Date.now() + timeoutMs;
  const moved = (gs: RegionJson[]) => gs.some((g) => g.id === to && ownsSlots(g, slots));
  let refused: unknown;
  for (;;) {
    const gs = await waitGroups(pd, `settled slot groups (moving ${JSON.stringify(slots)} from group ${from} to group ${to})`, () => true, Math.max(1, deadline - Date.now()));
    if (moved(gs)) return gs;
    // NB: refused (e.g. `from` does not own them, as the caller believed) is retried until the
    // deadline too, with PD's answer in the timeout message: PD's directory may lag a store's.
    refused = await pd.moveSlots(from, to, slots).then(() => undefined, (err: unknown) => err);
    const left = deadline - Date.now();
    try {
      return await waitGroups(pd, `group ${to} to own slots ${JSON.stringify(slots)} (from group ${from})`, moved, Math.max(1, Math.min(5_000, left)));
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`${(err as Error).message}${refused ? `; PD answered the last request: ${(refused as Error).message}` : ''}`);
    }
  }
}

// ---- etcdctl ----

export interface EtcdctlOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** `ETCDCTL` overrides the etcdctl found on PATH (3.4 expected). */
const etcdctlBin = process.env.ETCDCTL ?? 'etcdctl';

/** Runs etcdctl (API v3) against `endpoint` to completion (killed after `timeoutMs`). */
export function etcdctl(endpoint: string, args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<EtcdctlOutput> {
  return new Promise((resolve) => {
    const child = spawn(etcdctlBin, [`--endpoints=${endpoint}`, '--dial-timeout=5s', '--command-timeout=10s', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: cleanEnv({ ETCDCTL_API: '3' }),
    });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs ?? 20_000} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: `${stderr}spawn ${etcdctlBin} failed: ${err.message}`, code: null });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}

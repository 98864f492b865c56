// Range mode under a nemesis: clients do puts, gets and compare-and-swap txns (each on one key,
// so in one region) on a few dozen keys, through every store, over gRPC and the JSON gateway,
// while the cluster splits regions, moves a leader and loses a store to SIGKILL (restarted on
// the same data dir). What the clients saw is recorded as a history for the linearizability
// checker (etcd model), with the revisions each answer carried.
//
// range-chaos.test.ts runs a short schedule under `npm test`; range-chaos-long.ts a longer one
// (more splits and kills) by hand; hash-chaos.test.ts runs hash mode, whose nemesis moves slots
// between groups instead of splitting and merging. All check the same things, one test each, so
// that one broken property does not hide the others:
//
//   linearizable   the history, plus a final read of every key through every store, passes the
//                  checker (and the same history with one stale read added does not: teeth);
//   no lost write  per key, the final value is the acknowledged write with the highest revision,
//                  or a later write of unknown outcome; every store answers the same;
//   revisions      acknowledged writes carry distinct revisions < 2^53 that follow real time
//                  (a write acknowledged before another is invoked has a lower revision), and a
//                  get's mod_revision is the revision of the write whose value it returned.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, type IOptions } from 'etcd3';
import { checkEtcdHistory, HistoryRecorder, withStaleRead, type Pending } from '../support/history.js';
import {
  groupOfKey, mergeAndWait, moveSlotsAndWait, regionOfKey, slotOfKey, splitAndWait, waitSettled, waitUntil,
  type RangeCluster, type RegionJson, type SlotRanges,
} from '../support/sharded.js';
import { Prng } from '../../src/util/prng.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- clients: gRPC (etcd3) or the JSON gateway, one store each ----

interface KvClient {
  put(key: string, value: string): Promise<{ rev: number }>;
  /** value null: absent. */
  get(key: string): Promise<{ value: string | null; modRev: number }>;
  /** `if value(key) == from then put key to`. */
  cas(key: string, from: string, to: string): Promise<{ succeeded: boolean; rev: number }>;
  close(): void;
}

// NB: etcd3 retries a failed call on another host by default; a retried put could apply twice,
// which one invocation in the history cannot describe. Each call is tried once (as history.ts).
const noRetry = {
  execute: <T>(fn: (context: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 1 })),
} as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

function grpcClient(url: string, timeoutMs: number): KvClient {
  const c = new Etcd3({
    hosts: [url],
    dialTimeout: timeoutMs,
    defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
    faultHandling: { global: noRetry },
  });
  return {
    async put(key, value) {
      const r = await c.put(key).value(value).exec();
      return { rev: Number(r.header.revision) };
    },
    async get(key) {
      const r = await c.get(key).exec();
      const kv = r.kvs[0];
      return kv ? { value: kv.value.toString('utf8'), modRev: Number(kv.mod_revision) } : { value: null, modRev: 0 };
    },
    async cas(key, from, to) {
      const r = await c.if(key, 'Value', '==', from).then(c.put(key).value(to)).commit();
      return { succeeded: r.succeeded, rev: Number(r.header.revision) };
    },
    close: () => c.close(),
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function gatewayClient(url: string, timeoutMs: number): KvClient {
  const post = async (path: string, body: unknown): Promise<Record<string, any>> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const json = (await res.json()) as Record<string, any>;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  return {
    async put(key, value) {
      const r = await post('/v3/kv/put', { key: b64(key), value: b64(value) });
      return { rev: Number(r.header.revision) };
    },
    async get(key) {
      const r = await post('/v3/kv/range', { key: b64(key) });
      const kv = (r.kvs as Array<{ value?: string; mod_revision: string }> | undefined)?.[0];
      return kv ? { value: Buffer.from(kv.value ?? '', 'base64').toString('utf8'), modRev: Number(kv.mod_revision) } : { value: null, modRev: 0 };
    },
    async cas(key, from, to) {
      const r = await post('/v3/kv/txn', {
        compare: [{ key: b64(key), target: 'VALUE', result: 'EQUAL', value: b64(from) }],
        success: [{ request_put: { key: b64(key), value: b64(to) } }],
      });
      return { succeeded: r.succeeded === true, rev: Number(r.header.revision) };
    },
    close() {},
  };
}

// ---- what happened ----

export interface OpRecord {
  process: number;
  f: 'get' | 'put' | 'cas';
  key: string;
  /** put: the value; cas: `to`; get: what it read. */
  value: string | null;
  from?: string;
  /** performance.now() at invocation and completion (Infinity while unknown). */
  call: number;
  ret: number;
  outcome: 'ok' | 'fail' | 'info';
  succeeded?: boolean;
  /** Writes: the revision answered. Gets: the mod_revision of what was read (0: absent). */
  rev?: number;
  store: number;
  via: 'grpc' | 'gateway';
  error?: string;
}

export interface ChaosOptions {
  readonly cluster: RangeCluster;
  readonly clients: number;
  /** Of the clients, how many talk to the JSON gateway (the rest use gRPC). */
  readonly gatewayClients: number;
  readonly keys: number;
  readonly seed: number;
  readonly requestTimeoutMs: number;
  /** What to do to the cluster while the clients run; the load stops `tailMs` after it returns. */
  readonly nemesis: (ctx: NemesisContext) => Promise<void>;
  readonly tailMs: number;
  readonly log?: (line: string) => void;
}

export interface NemesisContext {
  readonly cluster: RangeCluster;
  readonly keys: readonly string[];
  /** Ops completed ok so far (to pace the schedule on progress, not only on time). */
  okCount(): number;
  log(line: string): void;
  rand: Prng;
}

export interface ChaosResult {
  readonly history: string;
  readonly recorder: HistoryRecorder;
  readonly ops: OpRecord[];
  /** Final reads: per key, what each store answered (index = store). */
  readonly final: Map<string, Array<{ value: string | null; modRev: number } | { error: string }>>;
  readonly keys: readonly string[];
  readonly nemesisLog: string[];
  readonly mode: RangeCluster['mode'];
  /** Hash mode: the slot groups. */
  readonly regions: RegionJson[];
  /** `s1 (store 3)`, by index. */
  readonly storeNames: string[];
  /** Stores (indexes) whose process had exited when the load stopped. */
  readonly exited: number[];
  /** Why the nemesis stopped before its end (the checks still run on what happened). */
  readonly nemesisError?: string;
}

const notRunning = 'the store is not running';

/** Runs the load and the nemesis, then reads every key through every store. */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const c = o.cluster;
  const keys = Array.from({ length: o.keys }, (_, i) => `ck/${String(i).padStart(2, '0')}`);
  const recorder = new HistoryRecorder();
  const ops: OpRecord[] = [];
  const nemesisLog: string[] = [];
  const t0 = performance.now();
  const log = (line: string) => {
    const l = `[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`;
    nemesisLog.push(l);
    o.log?.(l);
  };
  let stop = false;
  let ok = 0;

  const client = async (p: number) => {
    const rand = new Prng(o.seed * 1000 + p);
    const via = p < o.gatewayClients ? 'gateway' : 'grpc';
    const make = (s: number) => (via === 'gateway' ? gatewayClient(c.clientUrls[s]!, o.requestTimeoutMs) : grpcClient(c.clientUrls[s]!, o.requestTimeoutMs));
    let store = p % c.stores.length;
    let kv = make(store);
    // The last value this client saw per key: what its cas compares with.
    const seen = new Map<string, string>();
    let n = 0;
    try {
      while (!stop) {
        const key = keys[rand.int(keys.length)]!;
        const value = `${p}.${n++}`;
        const dice = rand.int(20);
        const f: OpRecord['f'] = dice < 8 ? 'get' : dice < 14 || !seen.has(key) ? 'put' : 'cas';
        const rec: OpRecord = { process: p, f, key, value: f === 'get' ? null : value, call: performance.now(), ret: Infinity, outcome: 'info', store, via };
        let done: Pending;
        if (f === 'cas') {
          rec.from = seen.get(key)!;
          done = recorder.invoke(p, 'cas', key, { from: rec.from, to: value });
        } else {
          done = recorder.invoke(p, f, key, f === 'put' ? value : undefined);
        }
        ops.push(rec);
        try {
          if (f === 'get') {
            const r = await kv.get(key);
            rec.value = r.value;
            rec.rev = r.modRev;
            done.ok(r.value);
            if (r.value !== null) seen.set(key, r.value);
          } else if (f === 'put') {
            rec.rev = (await kv.put(key, value)).rev;
            done.ok();
            seen.set(key, value);
          } else {
            const r = await kv.cas(key, rec.from!, value);
            rec.succeeded = r.succeeded;
            rec.rev = r.rev;
            done.ok({ from: rec.from!, to: value, succeeded: r.succeeded });
            if (r.succeeded) seen.set(key, value);
            else seen.delete(key);
          }
          rec.outcome = 'ok';
          rec.ret = performance.now();
          ok++;
        } catch (err) {
          rec.error = (err as Error).message;
          // A read changed nothing, whatever it saw; a write may have taken effect.
          if (f === 'get') {
            rec.outcome = 'fail';
            rec.ret = performance.now();
            done.fail();
          } else {
            done.info();
          }
          // The store may be down: go on through the next one.
          kv.close();
          store = (store + 1) % c.stores.length;
          kv = make(store);
          await sleep(20);
        }
      }
    } finally {
      kv.close();
    }
  };

  const load = Promise.all(Array.from({ length: o.clients }, (_, p) => client(p)));
  const watching = watchPd(c, log, () => stop);
  let nemesisError: unknown;
  try {
    await o.nemesis({ cluster: c, keys, okCount: () => ok, log, rand: new Prng(o.seed) });
    await sleep(o.tailMs);
  } catch (err) {
    nemesisError = err;
  }
  stop = true;
  await load;
  await watching;
  log(`load stopped: ${ops.length} ops`);
  if (nemesisError) log(`the nemesis stopped early: ${(nemesisError as Error).message}`);
  const exited = c.stores.map((_, s) => s).filter((s) => !c.running(s));

  // Every store running, every region led: then read every key through every store, in turn,
  // as the history's last operations (processes 1000 + store).
  let regions: RegionJson[];
  try {
    regions = await waitSettled(c, `every ${c.mode === 'hash' ? 'group' : 'region'} to have a leader after the run`, () => true, 30_000);
  } catch (err) {
    log(`${(err as Error).message}; reading anyway`);
    regions = await c.pd.regions().catch(() => []);
  }
  const final = new Map<string, Array<{ value: string | null; modRev: number } | { error: string }>>();
  for (let s = 0; s < c.stores.length; s++) {
    if (!c.running(s)) {
      log(`store ${c.stores[s]!.id} (${c.stores[s]!.name}) is not running at the end of the run`);
      for (const key of keys) final.set(key, Object.assign(final.get(key) ?? [], { [s]: { error: notRunning } }));
      continue;
    }
    const kv = grpcClient(c.clientUrls[s]!, 10_000);
    // A store that cannot serve reads is reported, not waited for key after key.
    const storeDeadline = performance.now() + 30_000;
    try {
      for (const key of keys) {
        const answers = final.get(key) ?? [];
        final.set(key, answers);
        const done = recorder.invoke(1000 + s, 'get', key);
        const asked = performance.now();
        try {
          // NB: a store just restarted may still be learning leaders: retry a failed read (a
          // failed read is a no-op in the history) until one answers.
          const r = await waitUntil(`a read of ${key} through ${c.stores[s]!.name} (store ${c.stores[s]!.id})`, () => kv.get(key), Math.max(0, storeDeadline - performance.now()), 200);
          done.ok(r.value);
          answers[s] = r;
        } catch (err) {
          done.fail();
          answers[s] = { error: (err as Error).message };
        }
        const tookMs = performance.now() - asked;
        if (tookMs > 1000) log(`final read of ${key} through ${c.stores[s]!.name} (store ${c.stores[s]!.id}) took ${Math.round(tookMs)} ms${'error' in answers[s]! ? `: ${(answers[s] as { error: string }).error}` : ''}`);
      }
    } finally {
      kv.close();
    }
  }
  log(`final reads done`);
  const storeNames = c.stores.map((st) => `${st.name} (store ${st.id})`);
  return {
    history: recorder.text(),
    recorder,
    ops,
    final,
    keys,
    nemesisLog,
    mode: c.mode,
    regions,
    exited,
    storeNames,
    ...(nemesisError ? { nemesisError: (nemesisError as Error).stack ?? String(nemesisError) } : {}),
  };
}

/**
 * Logs what PD's directory shows whenever it changes (regions, epochs, leaders), and every
 * operator PD reports, so the timeline shows what the schedulers did beside the nemesis.
 */
async function watchPd(c: RangeCluster, log: (line: string) => void, stopped: () => boolean): Promise<void> {
  let lastRegions = '';
  const seenOps = new Set<string>();
  while (!stopped()) {
    try {
      const rs = await c.pd.regions();
      const where = (r: RegionJson) => (r.slots ? `{${r.slots.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',')}}` : `[${r.start},${r.end || '∞'})`);
      const shown = rs.map((r) => `${r.id}${where(r)}v${r.epoch.version}/${r.epoch.confVer}@${r.leader?.storeId ?? '-'}`).join(' ');
      if (shown !== lastRegions) log(`PD regions: ${shown}`);
      lastRegions = shown;
      for (const op of (await c.pd.operators()).recent ?? []) {
        const id = `${op.atMs} ${op.regionId} ${op.desc} ${op.status}`;
        if (!seenOps.has(id)) log(`PD operator: ${op.desc} (${op.kind}, region ${op.regionId}): ${op.status}`);
        seenOps.add(id);
      }
    } catch {
      // PD busy or restarting: the next poll tells.
    }
    await sleep(250);
  }
}

// ---- the nemesis steps ----

/** Splits at `key` (PD's API) and waits until the new region is settled. */
export async function split(ctx: NemesisContext, key: string): Promise<void> {
  ctx.log(`asking PD to split at ${key}`);
  const rs = await splitAndWait(ctx.cluster.pd, key);
  ctx.log(`split at ${key}: ${rs.length} regions`);
}

/** Merges the region starting at `key` into its left neighbour (PD's API) and waits until PD shows it gone. */
export async function merge(ctx: NemesisContext, key: string): Promise<void> {
  ctx.log(`asking PD to merge the region starting at ${key} into its left neighbour`);
  const rs = await mergeAndWait(ctx.cluster.pd, key);
  ctx.log(`merged at ${key}: ${rs.length} regions`);
}

/**
 * Moves `slots` from group `from` to group `to` (hash mode; PD's API) and waits until PD shows
 * them moved. Returns the groups after the move.
 */
export async function moveSlots(ctx: NemesisContext, from: number, to: number, slots: SlotRanges): Promise<RegionJson[]> {
  const inside = (k: string) => slots.some(([a, b]) => slotOfKey(k) >= a && slotOfKey(k) <= b);
  const held = ctx.keys.filter(inside);
  const shown = slots.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
  ctx.log(`asking PD to move slots ${shown} (holding ${held.length} of the keys${held.length ? `: ${held.join(' ')}` : ''}) from group ${from} to group ${to}`);
  const asked = performance.now();
  const gs = await moveSlotsAndWait(ctx.cluster.pd, from, to, slots);
  ctx.log(`moved slots ${shown} from group ${from} to group ${to} in ${Math.round(performance.now() - asked)} ms`);
  return gs;
}

/** Moves the leadership of the region (group) holding `key` to another store, and waits until PD sees it there. */
export async function transferLeader(ctx: NemesisContext, key: string): Promise<void> {
  const c = ctx.cluster;
  const rs = await waitSettled(c, 'settled regions');
  const r = c.mode === 'hash' ? groupOfKey(rs, key) : regionOfKey(rs, key);
  const from = r.leader!.storeId;
  const candidates = r.peers.filter((p) => p.storeId !== from && p.role === 'voter').map((p) => p.storeId);
  const to = candidates[ctx.rand.int(candidates.length)]!;
  const asked = performance.now();
  ctx.log(`asking PD to move region ${r.id}'s leader from store ${from} to store ${to}`);
  await c.pd.transferLeader(r.id, to);
  try {
    await waitSettled(c, `region ${r.id}'s leader on store ${to}`, (now) => now.some((x) => x.id === r.id && x.leader?.storeId === to), 20_000);
  } catch (err) {
    const now = (await c.pd.regions()).map((x) => `${x.id} [${x.start}, ${x.end}) ${x.epoch.confVer}/${x.epoch.version} leader ${x.leader ? `${x.leader.id}@${x.leader.storeId}` : '-'}`);
    throw new Error(`${(err as Error).message}; PD's regions now:\n${now.join('\n')}`);
  }
  ctx.log(`transfer took ${Math.round(performance.now() - asked)} ms`);
  ctx.log(`region ${r.id} (holding ${key}): leader moved from store ${from} to store ${to}`);
}

/**
 * SIGKILLs a store (the one leading the most regions, one picked at random, or the one with the
 * given ID), runs `during` while it is down (then waits out `downMs`), and restarts it on its
 * data dir. Returns its ID.
 */
export async function killAndRestart(
  ctx: NemesisContext,
  o: { downMs: number; victim?: 'most-leaders' | 'random' | number; during?: () => Promise<unknown> },
): Promise<number> {
  const c = ctx.cluster;
  const down = c.stores.filter((_, j) => !c.running(j));
  if (down.length > 0) throw new Error(`${down.map((s) => `${s.name} (store ${s.id})`).join(', ')} exited on its own: killing another would lose quorum`);
  const rs = await waitSettled(c, 'settled regions');
  const leads = new Map<number, number>();
  for (const r of rs) leads.set(r.leader!.storeId, (leads.get(r.leader!.storeId) ?? 0) + 1);
  const victimId = typeof o.victim === 'number'
    ? o.victim
    : o.victim === 'random'
      ? c.stores[ctx.rand.int(c.stores.length)]!.id!
      : [...leads.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const i = c.indexOfStore(victimId);
  const before = ctx.okCount();
  const downAt = performance.now();
  await c.kill(i, 'SIGKILL');
  ctx.log(`store ${victimId} (${c.stores[i]!.name}, leading ${leads.get(victimId) ?? 0} of ${rs.length} regions) SIGKILLed`);
  await o.during?.();
  await sleep(Math.max(0, o.downMs - (performance.now() - downAt)));
  // The survivors elect new leaders and keep serving meanwhile.
  await waitUntil('ops completing while a store is down', async () => (ctx.okCount() > before + 20 ? true : undefined), 20_000);
  ctx.log(`restarting store ${victimId}`);
  await c.restart(i);
  ctx.log(`store ${victimId} restarted (${ctx.okCount() - before} ops ok while it was down)`);
  // A store that dies again at once would only show at the end: say when it happened.
  await sleep(1000);
  if (!c.running(i)) ctx.log(`store ${victimId} exited again after its restart: ${lastLines(c.storeLog(i), /failed|Error/)}`);
  await waitSettled(c, `every ${c.mode === 'hash' ? 'group' : 'region'} to have a leader after the restart`, () => true, 30_000);
  return victimId;
}

/** The last line of `log` matching `re`, or its last line. */
function lastLines(log: string, re: RegExp): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  return [...lines].reverse().find((l) => re.test(l)) ?? lines[lines.length - 1] ?? '';
}

// ---- checks ----

export interface Verdicts {
  summary: string;
  linearizable: { ok: boolean; message: string };
  teeth: { ok: boolean; message: string };
  lostWrites: string[];
  revisions: string[];
}

/** Checks a run; `name` heads the one-line summary. */
export function checkChaos(name: string, r: ChaosResult): Verdicts {
  const count = (f: OpRecord['f'], outcome: OpRecord['outcome']) => r.ops.filter((op) => op.f === f && op.outcome === outcome).length;
  const { verdict, report } = checkEtcdHistory(r.history, 120_000);
  let linearizable: Verdicts['linearizable'] = { ok: verdict === 'linearizable', message: verdict };
  if (!linearizable.ok) {
    const dir = mkdtempSync(join(tmpdir(), `${r.mode}-chaos-`));
    const file = join(dir, 'history.jsonl');
    writeFileSync(file, r.history);
    // What the history leaves out: each op's store, protocol, revision and error.
    writeFileSync(join(dir, 'ops.jsonl'), r.ops.map((op) => JSON.stringify({ ...op, ret: Number.isFinite(op.ret) ? op.ret : null })).join('\n') + '\n');
    writeFileSync(join(dir, 'timeline.txt'), r.nemesisLog.join('\n') + '\n');
    linearizable = { ok: false, message: `${verdict} (history kept in ${file}, with ops.jsonl and timeline.txt beside it; flotilla check-history --model etcd ${file}):\n${report}` };
  }
  let teeth: Verdicts['teeth'];
  try {
    const v = checkEtcdHistory(withStaleRead(r.history), 120_000).verdict;
    teeth = { ok: v === 'not linearizable', message: `a stale read added: ${v}` };
  } catch (err) {
    teeth = { ok: false, message: (err as Error).message };
  }
  const cas = r.ops.filter((op) => op.f === 'cas' && op.outcome === 'ok');
  const summary =
    `# ${name}: ${count('put', 'ok')} puts, ${cas.length} cas (${cas.filter((op) => op.succeeded).length} swapped), ${count('get', 'ok')} gets ok; ` +
    `${count('put', 'info') + count('cas', 'info')} writes of unknown outcome, ${count('get', 'fail')} failed gets; ` +
    `${r.regions.length} ${r.mode === 'hash' ? 'groups' : 'regions'}; verdict ${verdict}`;
  return { summary, linearizable, teeth, lostWrites: lostWrites(r), revisions: revisionProblems(r) };
}

/**
 * The properties every chaos run is held to, one test each, so that one broken property does not
 * hide the others; call inside the run's describe. `done` returns the run and its verdicts, or
 * fails with why the run did not finish.
 */
export function chaosPropertyTests(done: () => { run: ChaosResult; v: Verdicts }): void {
  test('the clients made progress', () => {
    const { run } = done();
    const ok = (f: string) => run.ops.filter((op) => op.f === f && op.outcome === 'ok').length;
    assert.ok(ok('put') + ok('cas') > 100, `too few writes completed: ${ok('put')} puts, ${ok('cas')} cas`);
    assert.ok(ok('get') > 100, `too few reads completed: ${ok('get')}`);
    assert.ok(run.ops.some((op) => op.via === 'gateway' && op.outcome === 'ok') && run.ops.some((op) => op.via === 'grpc' && op.outcome === 'ok'));
  });

  test('the history, with a final read of every key through every store, is linearizable', () => {
    const { v } = done();
    assert.ok(v.linearizable.ok, v.linearizable.message);
  });

  test('the checker rejects the same history with one stale read added', () => {
    const { v } = done();
    assert.ok(v.teeth.ok, v.teeth.message);
  });

  test('no acknowledged write is lost, and every store reads the same final values', () => {
    const { v } = done();
    assert.deepEqual(v.lostWrites, []);
  });

  test('acknowledged writes carry distinct revisions in real-time order, and reads the revisions that wrote them', () => {
    const { v } = done();
    assert.deepEqual(v.revisions, []);
  });
}

/** `s2 (store 1)`: the store at index `i` of the cluster, by name and PD's ID. */
function storeName(r: ChaosResult, i: number): string {
  return r.storeNames[i] ?? `store #${i}`;
}

/** A write that took effect or may have: put, succeeded cas, or either of unknown outcome. */
function mayHaveWritten(op: OpRecord): boolean {
  if (op.f === 'get') return false;
  if (op.outcome === 'info') return true;
  return op.outcome === 'ok' && (op.f === 'put' || op.succeeded === true);
}

function lostWrites(r: ChaosResult): string[] {
  const problems: string[] = [];
  for (const key of r.keys) {
    const answers = r.final.get(key) ?? [];
    const shown = answers.map((a, s) => `${storeName(r, s)}: ${'error' in a ? `error ${a.error}` : `${JSON.stringify(a.value)}@${a.modRev}`}`).join(', ');
    // A store that exited is reported by its own check; the others must all answer.
    const good = answers.filter((a): a is { value: string | null; modRev: number } => !('error' in a));
    const failed = answers.filter((a) => 'error' in a && a.error !== notRunning);
    if (failed.length > 0 || good.length === 0) {
      problems.push(`${key}: not every store answered the final read (${shown})`);
      if (good.length === 0) continue;
    }
    if (good.some((a) => a.value !== good[0]!.value || a.modRev !== good[0]!.modRev)) problems.push(`${key}: the stores disagree: ${shown}`);
    const final = good[0]!;
    const writes = r.ops.filter((op) => op.key === key && mayHaveWritten(op));
    const acked = writes.filter((op) => op.outcome === 'ok');
    if (acked.length === 0) {
      if (final.value !== null && !writes.some((w) => w.value === final.value)) problems.push(`${key}: reads ${JSON.stringify(final.value)}, which nobody wrote`);
      continue;
    }
    // The acknowledged write with the highest revision is the last one that certainly happened:
    // the final value is it, or a write of unknown outcome committed after it (higher revision).
    const last = acked.reduce((a, b) => ((b.rev ?? 0) > (a.rev ?? 0) ? b : a));
    const describe = (op: OpRecord) => `${op.f} ${JSON.stringify(op.value)} by client ${op.process} through ${storeName(r, op.store)} (${op.via}), revision ${op.rev}`;
    if (final.value === null) {
      problems.push(`${key}: absent at the end, but ${acked.length} writes were acknowledged, the last ${describe(last)}`);
      continue;
    }
    const writer = writes.find((w) => w.value === final.value);
    if (!writer) {
      problems.push(`${key}: reads ${JSON.stringify(final.value)}, which nobody wrote (last acknowledged: ${describe(last)})`);
      continue;
    }
    if (final.modRev < last.rev!) {
      problems.push(`${key}: lost write: reads ${JSON.stringify(final.value)}@${final.modRev}, below the acknowledged ${describe(last)}`);
    } else if (final.modRev === last.rev! && final.value !== last.value) {
      problems.push(`${key}: reads ${JSON.stringify(final.value)}@${final.modRev}, but ${describe(last)} wrote that revision`);
    } else if (final.modRev > last.rev! && writer.outcome === 'ok') {
      problems.push(`${key}: reads ${JSON.stringify(final.value)}@${final.modRev}, acknowledged as ${describe(writer)}, above the highest acknowledged revision ${last.rev}`);
    }
  }
  return problems;
}

function revisionProblems(r: ChaosResult): string[] {
  const problems: string[] = [];
  const writes = r.ops.filter((op) => op.outcome === 'ok' && (op.f === 'put' || (op.f === 'cas' && op.succeeded)));
  const byRev = new Map<number, OpRecord>();
  for (const w of writes) {
    if (!(Number.isSafeInteger(w.rev) && w.rev! > 0)) problems.push(`${w.f} ${w.key}=${w.value}: revision ${w.rev} is not a positive safe integer`);
    const other = byRev.get(w.rev!);
    if (other) problems.push(`two writes acknowledged with revision ${w.rev}: ${other.key}=${other.value} and ${w.key}=${w.value}`);
    byRev.set(w.rev!, w);
  }
  // Real time: a write acknowledged before another was invoked has the lower revision.
  const byRet = [...writes].sort((a, b) => a.ret - b.ret);
  const byCall = [...writes].sort((a, b) => a.call - b.call);
  let j = 0;
  let maxBefore: OpRecord | undefined;
  for (const b of byCall) {
    while (j < byRet.length && byRet[j]!.ret < b.call) {
      if (!maxBefore || byRet[j]!.rev! > maxBefore.rev!) maxBefore = byRet[j]!;
      j++;
    }
    if (maxBefore && b.rev! <= maxBefore.rev!) {
      problems.push(`${b.f} ${b.key}=${b.value} (revision ${b.rev}) was invoked after ${maxBefore.f} ${maxBefore.key}=${maxBefore.value} (revision ${maxBefore.rev}) was acknowledged`);
    }
  }
  // A get returns the value with the revision that wrote it.
  const revOfValue = new Map<string, number>();
  for (const w of writes) revOfValue.set(`${w.key}\0${w.value}`, w.rev!);
  for (const g of r.ops) {
    if (g.f !== 'get' || g.outcome !== 'ok' || g.value === null) continue;
    const want = revOfValue.get(`${g.key}\0${g.value}`);
    if (want !== undefined && want !== g.rev) problems.push(`get ${g.key} returned ${JSON.stringify(g.value)} at mod_revision ${g.rev}; its write was acknowledged at revision ${want}`);
  }
  return problems.slice(0, 50);
}

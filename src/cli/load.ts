// `flotilla load`: bulk-loads N keys into a cluster through etcd's JSON gateway.
//
//   flotilla load --endpoints URLS --keys N --value-bytes V [--prefix P] [--concurrency C]
//                 [--batch B] [--pd URLS]
//
// Keys are `${prefix}${index zero-padded to the width of N - 1}`, in order; each key's value is
// a function of the key (valueOf), so a reader can check every byte. Batches of B keys go as one
// txn of B puts (B <= 128, etcd's --max-txn-ops), up to C at once, round-robin over the
// endpoints on keep-alive connections.
//
// Worked example, --keys 1000 --batch 128, a region boundary at load/0300:
//
//   batch [0256, 0384)  -> 501 (keys in two regions)
//     with --pd:  PD says load/0256's region ends at load/0300 -> [0256, 0300) and [0300, 0384)
//     without:    halve -> [0256, 0320) and [0320, 0384); [0256, 0320) answers 501 again ...
//
// A 501 is a certain "not applied" (the router refuses before proposing), so the pieces are sent
// as they are. Any other failure but a 4xx may or may not have been applied (a timeout, a reset
// connection, a leader change): the batch is sent again guarded, as
//
//   txn { compare: value(k) == v for every k of the batch; success: []; failure: the puts }
//
// so a batch that did land (txns are atomic: all of it or none) is not written a second time,
// and each key ends with version 1 on a fresh prefix.

import * as http from 'node:http';
import { PdClient } from '../cluster/pd_client.js';
import type { Region } from '../cluster/region.js';
import type { Subcommand } from './main.js';

/** etcd's default --max-txn-ops: puts per txn. */
export const batchKeysMax = 128;

/**
 * Key and value bytes of one batch. NB: a guarded retry carries each value twice (compare and
 * put), and base64 adds a third: 512 KiB keeps it under etcd's default --max-request-bytes
 * (1.5 MiB, on the decoded request).
 */
export const batchBytesMax = 512 * 1024;

export const valueBytesMax = 1024 * 1024;

/** Attempts of one batch (or piece of one) before it counts as an error. */
const attemptsMax = 10;
const retryDelayMsMax = 2_000;
const requestTimeoutMs = 60_000;
const progressLineEveryMs = 5_000;
const progressBarEveryMs = 250;

export interface LoadOptions {
  /** Client URLs of the stores (or members), e.g. http://127.0.0.1:20379. */
  endpoints: string[];
  keys: number;
  valueBytes: number;
  /** Default "load/". */
  prefix?: string;
  /** Batches in flight. Default 16. */
  concurrency?: number;
  /** Puts per txn, at most 128. Default 128 (lowered to fit batchBytesMax). */
  batch?: number;
  /** PD client URLs: where a batch that spans regions asks for the boundary; else it halves. */
  pd?: string[];
  /** Called about every 250 ms while loading. */
  onProgress?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  keysDone: number;
  keysTotal: number;
  errors: number;
  elapsedS: number;
}

export interface LoadResult {
  keys: number;
  /** Keys now holding their value: written, or found already written by a guarded retry. */
  keysLoaded: number;
  /** Of keysLoaded, keys a guarded retry found already written. */
  keysFoundWritten: number;
  valueBytes: number;
  batch: number;
  concurrency: number;
  seconds: number;
  keysPerS: number;
  /** Key and value bytes per second. */
  bytesPerS: number;
  txns: number;
  /** Batches (or pieces) cut in two because they spanned regions (501). */
  regionSplits: number;
  /** Attempts sent again after a failure other than 501. */
  retries: number;
  /** Keys not loaded: their batch failed for good. Must be 0. */
  errors: number;
  /** The first few error messages. */
  errorSamples: string[];
}

/** The zero-padding width of the indexes of `keys` keys: 1000 keys -> 3 ("000" .. "999"). */
export function keyWidth(keys: number): number {
  return String(Math.max(0, keys - 1)).length;
}

export function keyOf(prefix: string, index: number, width: number): string {
  return prefix + String(index).padStart(width, '0');
}

/** The value `flotilla load` writes at `key`: `${key}|` repeated to `bytes` bytes. */
export function valueOf(key: string, bytes: number): Buffer {
  const unit = Buffer.from(`${key}|`, 'utf8');
  const out = Buffer.allocUnsafe(bytes);
  for (let at = 0; at < bytes; at += unit.length) unit.copy(out, at, 0, Math.min(unit.length, bytes - at));
  return out;
}

/** Puts per txn for values of `valueBytes` bytes: `asked` unless that passes batchBytesMax. */
export function fittingBatch(asked: number, keyBytes: number, valueBytes: number): number {
  return Math.max(1, Math.min(asked, Math.floor(batchBytesMax / (keyBytes + valueBytes))));
}

class LoadUsageError extends Error {
  readonly code = 'FLOTILLA_USAGE';
}

/** What a piece of a batch came to. */
type Outcome =
  | { kind: 'written'; foundWritten: number }
  | { kind: 'spans-regions'; message: string }
  | { kind: 'retry'; message: string }
  | { kind: 'fatal'; message: string };

interface Piece {
  lo: number;
  hi: number;
  /** Sent before with an outcome that leaves "applied" open: send guarded from now on. */
  guarded: boolean;
  attempts: number;
}

/** Loads the keys; never throws for a failed batch (see errors), only for bad options. */
export async function loadKeys(o: LoadOptions): Promise<LoadResult> {
  const prefix = o.prefix ?? 'load/';
  const concurrency = o.concurrency ?? 16;
  const width = keyWidth(o.keys);
  const keyBytes = Buffer.byteLength(prefix) + width;
  if (o.endpoints.length === 0) throw new LoadUsageError('--endpoints needs at least one URL');
  if (!(Number.isSafeInteger(o.keys) && o.keys >= 1)) throw new LoadUsageError('--keys must be at least 1');
  if (!(Number.isSafeInteger(o.valueBytes) && o.valueBytes >= 0 && o.valueBytes <= valueBytesMax)) throw new LoadUsageError(`--value-bytes must be between 0 and ${valueBytesMax}`);
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1)) throw new LoadUsageError('--concurrency must be at least 1');
  const asked = o.batch ?? batchKeysMax;
  if (!(Number.isSafeInteger(asked) && asked >= 1 && asked <= batchKeysMax)) throw new LoadUsageError(`--batch must be between 1 and ${batchKeysMax} (etcd's --max-txn-ops)`);
  const batch = fittingBatch(asked, keyBytes, o.valueBytes);

  const endpoints = o.endpoints.map((u) => new URL('/v3/kv/txn', u));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const pd = o.pd && o.pd.length > 0 ? new PdClient(o.pd) : undefined;
  let nextEndpoint = 0;
  let nextLo = 0;
  let keysLoaded = 0;
  let keysFoundWritten = 0;
  let txns = 0;
  let regionSplits = 0;
  let retries = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const t0 = performance.now();
  const elapsedS = () => (performance.now() - t0) / 1000;

  const fail = (p: Piece, message: string) => {
    errors += p.hi - p.lo;
    if (errorSamples.length < 5) errorSamples.push(`keys ${keyOf(prefix, p.lo, width)} .. ${keyOf(prefix, p.hi - 1, width)}: ${message}`);
  };

  /** Where to cut a piece whose keys lie in several regions: PD's boundary, else the middle. */
  const cutOf = async (p: Piece): Promise<number> => {
    const middle = p.lo + Math.floor((p.hi - p.lo) / 2);
    if (!pd) return middle;
    try {
      const found = await pd.call<{ region: Region } | null>({ call: 'regionByKey', key: Buffer.from(keyOf(prefix, p.lo, width)) });
      const end = found?.region.end;
      if (!end || end.length === 0) return middle;
      const endKey = Buffer.from(end);
      // The first index whose key is at or past the region's end.
      let a = p.lo + 1;
      let b = p.hi;
      while (a < b) {
        const m = (a + b) >> 1;
        if (Buffer.compare(Buffer.from(keyOf(prefix, m, width)), endKey) >= 0) b = m;
        else a = m + 1;
      }
      // NB: PD's directory lags the stores by a heartbeat; a boundary outside the piece is stale.
      return a > p.lo && a < p.hi ? a : middle;
    } catch {
      return middle;
    }
  };

  const send = (p: Piece): Promise<Outcome> => {
    const url = endpoints[nextEndpoint++ % endpoints.length]!;
    const body = txnBody(prefix, width, o.valueBytes, p);
    return new Promise<Outcome>((resolve) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => resolve({ kind: 'retry', message: `${url.origin}: ${err.message}` }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status === 200) {
            // Guarded: succeeded means every compare held, so the batch was already written.
            let succeeded = false;
            try {
              succeeded = (JSON.parse(text) as { succeeded?: boolean }).succeeded === true;
            } catch {
              return resolve({ kind: 'retry', message: `${url.origin}: HTTP 200 with a body that is not JSON` });
            }
            return resolve({ kind: 'written', foundWritten: p.guarded && succeeded ? p.hi - p.lo : 0 });
          }
          const message = `${url.origin}: HTTP ${status}: ${errorText(text)}`;
          if (status === 501 && p.hi - p.lo > 1) return resolve({ kind: 'spans-regions', message });
          // 408 Canceled, 409 Aborted, 429 ResourceExhausted and 5xx may pass; other 4xx will not.
          if (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) return resolve({ kind: 'fatal', message });
          if (status === 501) return resolve({ kind: 'fatal', message });
          resolve({ kind: 'retry', message });
        });
      });
      req.setTimeout(requestTimeoutMs, () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
      req.on('error', (err) => resolve({ kind: 'retry', message: `${url.origin}: ${err.message}` }));
      req.end(body);
    });
  };

  const run = async (first: Piece): Promise<void> => {
    // Depth first: the pieces of a cut batch go before the next batch.
    const stack = [first];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const outcome = await send(p);
      txns++;
      switch (outcome.kind) {
        case 'written':
          keysLoaded += p.hi - p.lo;
          keysFoundWritten += outcome.foundWritten;
          break;
        case 'spans-regions': {
          regionSplits++;
          const cut = await cutOf(p);
          stack.push({ lo: cut, hi: p.hi, guarded: p.guarded, attempts: 0 }, { lo: p.lo, hi: cut, guarded: p.guarded, attempts: 0 });
          break;
        }
        case 'retry':
          if (p.attempts + 1 >= attemptsMax) {
            fail(p, `${attemptsMax} attempts; the last: ${outcome.message}`);
            break;
          }
          retries++;
          await sleep(Math.min(retryDelayMsMax, 100 * 2 ** p.attempts));
          stack.push({ ...p, guarded: true, attempts: p.attempts + 1 });
          break;
        case 'fatal':
          fail(p, outcome.message);
          break;
        default:
          assertNever(outcome);
      }
    }
  };

  const worker = async () => {
    while (nextLo < o.keys) {
      const lo = nextLo;
      nextLo = Math.min(o.keys, lo + batch);
      await run({ lo, hi: nextLo, guarded: false, attempts: 0 });
    }
  };

  const progress = () => o.onProgress?.({ keysDone: keysLoaded, keysTotal: o.keys, errors, elapsedS: elapsedS() });
  const timer = o.onProgress ? setInterval(progress, progressBarEveryMs) : undefined;
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(o.keys / batch)) }, worker));
  } finally {
    if (timer) clearInterval(timer);
    agent.destroy();
    pd?.close();
  }
  progress();
  const seconds = elapsedS();
  return {
    keys: o.keys,
    keysLoaded,
    keysFoundWritten,
    valueBytes: o.valueBytes,
    batch,
    concurrency,
    seconds,
    keysPerS: seconds > 0 ? keysLoaded / seconds : 0,
    bytesPerS: seconds > 0 ? (keysLoaded * (keyBytes + o.valueBytes)) / seconds : 0,
    txns,
    regionSplits,
    retries,
    errors,
    errorSamples,
  };
}

/** The txn's JSON, built as text: a 512 KiB batch is encoded without an object tree. */
function txnBody(prefix: string, width: number, valueBytes: number, p: Piece): Buffer {
  const puts: string[] = [];
  const compares: string[] = [];
  for (let i = p.lo; i < p.hi; i++) {
    const key = keyOf(prefix, i, width);
    const k = Buffer.from(key, 'utf8').toString('base64');
    const v = valueOf(key, valueBytes).toString('base64');
    puts.push(`{"requestPut":{"key":"${k}","value":"${v}"}}`);
    if (p.guarded) compares.push(`{"key":"${k}","target":"VALUE","result":"EQUAL","value":"${v}"}`);
  }
  const text = p.guarded ? `{"compare":[${compares.join(',')}],"success":[],"failure":[${puts.join(',')}]}` : `{"success":[${puts.join(',')}]}`;
  return Buffer.from(text, 'utf8');
}

function errorText(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: string; error?: string };
    return j.message ?? j.error ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

// ---- PD's view after the load ----

export interface RegionLayout {
  regions: number;
  /** Per store ID: peers it hosts and regions it leads. */
  stores: Array<{ id: number; regions: number; leaders: number }>;
}

/** GET on PD's JSON API, following a non-leader's 503 to the leader it names. */
async function pdGet<T>(urls: string[], path: string): Promise<T> {
  const queue = [...urls];
  const problems: string[] = [];
  for (let hops = 0; queue.length > 0 && hops < 10; hops++) {
    const base = queue.shift()!;
    try {
      const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(10_000) });
      const j = (await res.json()) as T & { error?: string; leader?: string | null };
      if (res.status === 200) return j;
      if (res.status === 503 && j.leader) queue.unshift(j.leader);
      problems.push(`${base}: HTTP ${res.status}: ${j.error ?? ''}`);
    } catch (err) {
      problems.push(`${base}: ${(err as Error).message}`);
    }
  }
  throw new Error(`PD ${path}: ${problems.join('; ')}`);
}

/** The region count and each store's peers and leaders, as PD sees them now. */
export async function regionLayout(pd: string[]): Promise<RegionLayout> {
  const [regions, stores] = await Promise.all([
    pdGet<{ count: number }>(pd, '/pd/api/v1/regions'),
    pdGet<{ stores: Array<{ id: number; regionCount: number; leaderCount: number }> }>(pd, '/pd/api/v1/stores'),
  ]);
  return { regions: regions.count, stores: stores.stores.map((s) => ({ id: s.id, regions: s.regionCount, leaders: s.leaderCount })) };
}

// ---- the command ----

const usage = `Usage: flotilla load --endpoints URLS --keys N --value-bytes V [options]

Writes N keys (PREFIX followed by the zero-padded index, in order) with V-byte values through
etcd's JSON gateway, B puts per txn, and prints keys/s. Exits non-zero if any key failed.
  --endpoints URLS   client URLs of the stores, comma-separated (round-robin)
  --keys N           keys to write
  --value-bytes V    bytes per value (at most ${valueBytesMax})
  --prefix P         key prefix (default "load/")
  --concurrency C    txns in flight (default 16)
  --batch B          puts per txn, at most ${batchKeysMax} (default ${batchKeysMax}; lowered so that a
                     txn carries at most ${batchBytesMax / 1024} KiB of keys and values)
  --pd URLS          PD's client URLs: a txn over several regions is cut where PD says the
                     region ends (else halved), and the final region layout is printed
`;

interface Args {
  endpoints: string[];
  keys: number;
  valueBytes: number;
  prefix: string;
  concurrency: number;
  batch: number;
  pd: string[];
}

function urlList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^[a-z]+:\/\//.test(s) ? s : `http://${s}`));
}

function parseArgs(argv: string[]): Args | 'help' {
  const a: Partial<Args> = { prefix: 'load/', concurrency: 16, batch: batchKeysMax, pd: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new LoadUsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new LoadUsageError(`flag needs an argument: --${m[1]}`);
    const int = () => {
      if (!/^\d+$/.test(v)) throw new LoadUsageError(`--${m[1]} must be a non-negative integer, got ${JSON.stringify(v)}`);
      return Number(v);
    };
    switch (m[1]) {
      case 'endpoints':
        a.endpoints = urlList(v);
        break;
      case 'keys':
        a.keys = int();
        break;
      case 'value-bytes':
        a.valueBytes = int();
        break;
      case 'prefix':
        a.prefix = v;
        break;
      case 'concurrency':
        a.concurrency = int();
        break;
      case 'batch':
        a.batch = int();
        break;
      case 'pd':
        a.pd = urlList(v);
        break;
      default:
        throw new LoadUsageError(`flag provided but not defined: --${m[1]}`);
    }
  }
  if (!a.endpoints || a.endpoints.length === 0) throw new LoadUsageError('--endpoints is required');
  if (a.keys === undefined) throw new LoadUsageError('--keys is required');
  if (a.valueBytes === undefined) throw new LoadUsageError('--value-bytes is required');
  return a as Args;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** `[#########...........]  45%  1,350/3,000 keys  2,345 keys/s  3 s` */
function progressText(p: LoadProgress): string {
  const width = 20;
  const done = p.keysTotal > 0 ? p.keysDone / p.keysTotal : 1;
  const filled = Math.round(done * width);
  const rate = p.elapsedS > 0 ? p.keysDone / p.elapsedS : 0;
  const errs = p.errors > 0 ? `  ${int(p.errors)} errors` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(done * 100)).padStart(3)}%  ${int(p.keysDone)}/${int(p.keysTotal)} keys  ${int(rate)} keys/s  ${p.elapsedS.toFixed(0)} s${errs}`;
}

export const load: Subcommand = {
  summary: 'bulk-load N keys through the JSON gateway, B puts per txn, and print keys/s',
  async run(argv: string[]): Promise<number> {
    let args: Args | 'help';
    try {
      args = parseArgs(argv);
    } catch (err) {
      process.stderr.write(`flotilla load: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    if (args === 'help') {
      process.stdout.write(usage);
      return 0;
    }
    const tty = process.stderr.isTTY === true;
    let lastLineAt = 0;
    const onProgress = (p: LoadProgress) => {
      if (tty) {
        process.stderr.write(`\r${progressText(p)}\x1b[K`);
      } else if (p.elapsedS * 1000 - lastLineAt >= progressLineEveryMs) {
        lastLineAt = p.elapsedS * 1000;
        process.stderr.write(`flotilla load: ${progressText(p).replace(/^\[[#.]+\] /, '')}\n`);
      }
    };
    let r: LoadResult;
    try {
      r = await loadKeys({ ...args, onProgress });
    } catch (err) {
      if (tty) process.stderr.write('\n');
      process.stderr.write(`flotilla load: ${(err as Error).message}\n`);
      return (err as { code?: string }).code === 'FLOTILLA_USAGE' ? 2 : 1;
    }
    if (tty) process.stderr.write('\n');
    const lines = [
      `keys loaded:   ${r.keysLoaded} of ${r.keys} (${args.prefix}${'0'.repeat(keyWidth(r.keys))} .. ${keyOf(args.prefix, r.keys - 1, keyWidth(r.keys))}, ${r.valueBytes}-byte values)`,
      `seconds:       ${r.seconds.toFixed(2)}`,
      `keys/s:        ${Math.round(r.keysPerS)} (${(r.bytesPerS / 1048576).toFixed(2)} MiB/s of keys and values)`,
      `errors:        ${r.errors}`,
      `txns:          ${r.txns} (${r.batch} puts per txn${r.batch < args.batch ? `, lowered from ${args.batch} to stay under ${batchBytesMax / 1024} KiB` : ''}, ${r.concurrency} in flight; ${r.regionSplits} cut at a region boundary, ${r.retries} retried${r.keysFoundWritten > 0 ? `, ${r.keysFoundWritten} keys found already written on a retry` : ''})`,
    ];
    for (const e of r.errorSamples) lines.push(`  error: ${e}`);
    let pdFailed = false;
    if (args.pd.length > 0) {
      try {
        const l = await regionLayout(args.pd);
        lines.push(`regions:       ${l.regions}`);
        lines.push(`per store:     ${l.stores.map((s) => `store ${s.id}: ${s.regions} regions, ${s.leaders} leaders`).join('; ')}`);
      } catch (err) {
        pdFailed = true;
        lines.push(`regions:       unknown (${(err as Error).message})`);
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
    return r.errors > 0 || pdFailed ? 1 : 0;
  },
};

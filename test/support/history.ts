// Client histories for the linearizability checker's etcd model (src/lincheck/models/etcd.ts):
// a recorder that writes invocations and completions as JSON lines in the order they happen, and
// a load generator of etcd3 clients doing put / get / delete / cas on a few keys.
//
//   const { history } = await runClients({ endpoints: cluster.clientUrls, clients: 4, seconds: 5, keys: 3 });
//   checkEtcdHistory(history).verdict   // 'linearizable'
//
// A request that fails or times out may still have taken effect: writes that end in an error are
// recorded as `info` (unknown), reads as `fail` (they changed nothing, whatever they saw).

import { Etcd3, type IOptions } from 'etcd3';
import { checkOperations, describeResult, operationsFromEvents, type CheckResult } from '../../src/lincheck/index.js';
import { etcd, etcdCodec, parseJsonHistory, type EtcdHistoryEvent, type EtcdInput, type EtcdOutput, type EtcdValue } from '../../src/lincheck/models/etcd.js';
import { Prng } from '../../src/util/prng.js';

type F = EtcdInput['f'];
type Cas = { from: string; to: string };

/** The completion of one invocation; exactly one of its methods is called. */
export interface Pending {
  ok(value?: EtcdHistoryEvent['value']): void;
  /** The operation did not take effect. */
  fail(): void;
  /** The operation may or may not have taken effect. */
  info(): void;
}

export class HistoryRecorder {
  private readonly events: EtcdHistoryEvent[] = [];
  private readonly t0 = performance.now();

  /** Records that `process` invoked `f` now; call the returned completion when it answers. */
  invoke(process: number, f: F, key: string, value?: EtcdHistoryEvent['value']): Pending {
    this.push({ process, type: 'invoke', f, key, value: value ?? null });
    let done = false;
    const complete = (type: 'ok' | 'fail' | 'info', v: EtcdHistoryEvent['value']) => {
      if (done) throw new Error(`process ${process} completed its ${f} twice`);
      done = true;
      this.push({ process, type, f, key, value: v ?? null });
    };
    return {
      ok: (v) => complete('ok', v === undefined ? value : v),
      fail: () => complete('fail', value),
      info: () => complete('info', value),
    };
  }

  private push(e: Omit<EtcdHistoryEvent, 'time'>): void {
    this.events.push({ ...e, time: Math.round((performance.now() - this.t0) * 1000) / 1000 });
  }

  /** The history as JSON lines, the format `flotilla check-history --model etcd` reads. */
  text(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }

  count(type: EtcdHistoryEvent['type'], f?: F): number {
    return this.events.filter((e) => e.type === type && (f === undefined || e.f === f)).length;
  }
}

/** Checks a JSON-lines history against the etcd model; `report` explains a violation. */
export function checkEtcdHistory(text: string, timeoutMs = 60_000): { verdict: CheckResult<EtcdValue, EtcdInput, EtcdOutput>['verdict']; report: string } {
  const result = checkOperations(etcd, operationsFromEvents(parseJsonHistory(text), etcdCodec), { timeoutMs });
  return { verdict: result.verdict, report: describeResult(etcd, result) };
}

export interface RunClientsOptions {
  /** Client URLs; every client may use any of them. */
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly seconds: number;
  /** How many keys the clients share. */
  readonly keys: number;
  /** Key prefix. Default `lin/`. */
  readonly prefix?: string;
  /** Deadline of each request in ms; a request past it is recorded as unknown. Default 2000. */
  readonly requestTimeoutMs?: number;
  readonly seed?: number;
  /** Stops the run early when aborted. */
  readonly signal?: AbortSignal;
}

export interface RunClientsResult {
  /** JSON lines, for the etcd model. */
  readonly history: string;
  readonly recorder: HistoryRecorder;
}

// NB: etcd3 retries a failed call on another host by default; a retried put or cas can apply
// twice, which a history of one invocation cannot describe. Each call is therefore tried once
// (a host that keeps failing is still skipped by etcd3's per-host circuit breaker).
const noRetry = {
  execute: <T>(fn: (context: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 1 })),
} as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** Runs `clients` concurrent etcd3 clients for `seconds` and returns what they did. */
export async function runClients(options: RunClientsOptions): Promise<RunClientsResult> {
  const recorder = new HistoryRecorder();
  const prefix = options.prefix ?? 'lin/';
  const timeoutMs = options.requestTimeoutMs ?? 2000;
  const seed = options.seed ?? 1;
  const end = Date.now() + options.seconds * 1000;
  const keys = Array.from({ length: options.keys }, (_, i) => `${prefix}${i}`);

  const client = async (p: number) => {
    const rand = new Prng(seed * 1000 + p);
    const etcd3 = new Etcd3({
      hosts: [...options.endpoints],
      dialTimeout: timeoutMs,
      defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
      faultHandling: { global: noRetry },
    });
    // The last value this client saw per key: what its cas compares with.
    const seen = new Map<string, string>();
    let n = 0;
    try {
      while (Date.now() < end && !options.signal?.aborted) {
        const key = keys[rand.int(keys.length)]!;
        const value = `${p}.${n++}`;
        const dice = rand.int(10);
        if (dice < 4) {
          const done = recorder.invoke(p, 'get', key);
          try {
            const v = await etcd3.get(key).string();
            done.ok(v);
            if (v !== null) seen.set(key, v);
          } catch {
            done.fail();
          }
        } else if (dice < 7 || (dice < 9 && !seen.has(key))) {
          const done = recorder.invoke(p, 'put', key, value);
          try {
            await etcd3.put(key).value(value);
            done.ok();
            seen.set(key, value);
          } catch {
            done.info();
          }
        } else if (dice < 9) {
          const c: Cas = { from: seen.get(key)!, to: value };
          const done = recorder.invoke(p, 'cas', key, c);
          try {
            const r = await etcd3.if(key, 'Value', '==', c.from).then(etcd3.put(key).value(c.to)).commit();
            done.ok({ ...c, succeeded: r.succeeded });
            if (r.succeeded) seen.set(key, c.to);
            else seen.delete(key);
          } catch {
            done.info();
          }
        } else {
          const done = recorder.invoke(p, 'delete', key);
          try {
            await etcd3.delete().key(key);
            done.ok();
            seen.delete(key);
          } catch {
            done.info();
          }
        }
      }
    } finally {
      etcd3.close();
    }
  };

  await Promise.all(Array.from({ length: options.clients }, (_, p) => client(p)));
  return { history: recorder.text(), recorder };
}

/**
 * `history` plus, at its end, a get that returns a value overwritten long before: one that an ok
 * put wrote and that a later, also ok, put replaced. Such a history is never linearizable, so
 * checking it shows that a test's history had teeth. Throws if `history` has no such pair.
 */
export function withStaleRead(history: string): string {
  const events = history.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as EtcdHistoryEvent);
  const completedPut = new Map<string, string>(); // key → value of the first put seen completing ok
  const invokedAfter = new Set<string>(); // processes whose pending put was invoked after that
  for (const e of events) {
    if (e.f !== 'put' || typeof e.value !== 'string') continue;
    if (e.type === 'invoke' && completedPut.has(e.key)) invokedAfter.add(`${e.process}`);
    if (e.type === 'ok') {
      const first = completedPut.get(e.key);
      if (first === undefined) completedPut.set(e.key, e.value);
      else if (invokedAfter.has(`${e.process}`) && e.value !== first) {
        const stale = (type: 'invoke' | 'ok', value: string | null) => JSON.stringify({ process: 'stale-reader', type, f: 'get', key: e.key, value });
        return `${history}${stale('invoke', null)}\n${stale('ok', first)}\n`;
      }
    }
    if (e.type !== 'invoke') invokedAfter.delete(`${e.process}`);
  }
  throw new Error('the history has no put that overwrote an earlier completed put');
}

// A store restarted on its data dir comes back with its regions and stays up, under writes:
//
//   1. after splits, with 2 lanes: each restart is a fresh chance for the store to take a
//      region's Raft messages before its lanes have told the main thread which regions they
//      host, so the store is restarted several times (SIGKILL, SIGTERM) and must answer reads
//      of every key after each;
//   2. with 1 lane, after missing splits while it was down: it learns them from its log (or
//      its leaders) on the way back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fastRaftFlags, outsideSigterm, splitAndWait, startRangeCluster, waitRegions, waitUntil, type RangeCluster } from '../support/sharded.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = Array.from({ length: 40 }, (_, i) => `rs/${String(i).padStart(2, '0')}`);
const restarts: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGKILL'];

async function put(url: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64(key), value: b64(value) }), signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
}

async function get(url: string, key: string): Promise<string | null> {
  const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(key) }), signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const kv = ((await res.json()) as { kvs?: Array<{ value?: string }> }).kvs?.[0];
  return kv ? Buffer.from(kv.value ?? '', 'base64').toString('utf8') : null;
}

/**
 * One writer per URL, each putting its own keys (writer w: keys whose index is w modulo the
 * writers) in turn, one request at a time. Per key it keeps the last acknowledged value and the
 * values of puts that failed (their outcome is unknown: a put cut off by the client's timeout
 * may still apply later). check() reads every key through `url`: it must read the last
 * acknowledged value or one of unknown outcome, never an older acknowledged one.
 */
function writers(urls: readonly string[]): { stop(): Promise<void>; check(url: string): Promise<void> } {
  let stopped = false;
  const acked = new Map<string, string>();
  const unknown = new Map<string, Set<string>>();
  const run = async (w: number) => {
    const mine = keys.filter((_, i) => i % urls.length === w);
    for (let n = 0; !stopped; n++) {
      const key = mine[(n * 7) % mine.length]!;
      const value = `${w}.${n}`;
      try {
        await put(urls[w]!, key, value);
        acked.set(key, value);
      } catch {
        unknown.set(key, (unknown.get(key) ?? new Set()).add(value));
        await sleep(50);
      }
    }
  };
  const running = urls.map((_, w) => run(w));
  return {
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
    async check(url) {
      assert.ok(acked.size > keys.length / 2, `too few keys written: ${acked.size}`);
      for (const key of keys) {
        const got = await get(url, key);
        const last = acked.get(key);
        const maybe = unknown.get(key) ?? new Set<string>();
        if (got === last || (got !== null && maybe.has(got)) || (got === null && last === undefined)) continue;
        assert.fail(`${key}: reads ${JSON.stringify(got)}; last acknowledged ${JSON.stringify(last)}, of unknown outcome ${JSON.stringify([...maybe])}`);
      }
    },
  };
}

/** Store 0, restarted, is still up `settleMs` later and serves a read of every key through itself. */
async function upAndServing(c: RangeCluster, settleMs: number, what: string): Promise<void> {
  await sleep(settleMs);
  const s = c.stores[0]!;
  assert.ok(c.running(0), `${what}: ${s.name} (store ${s.id}) exited after coming back:\n${c.storeLog(0).split('\n').slice(-30).join('\n')}${outsideSigterm(c)}`);
  await waitRegions(c.pd, 'every region led', () => true);
  for (const key of keys) await waitUntil(`a read of ${key} through ${s.name}`, () => get(s.clientUrl, key).then((v) => ({ v })), 20_000, 200);
}

test('a store of 2 lanes restarted after splits, under writes, comes back with its regions and stays up', { timeout: 240_000 }, async () => {
  const c = await startRangeCluster({ stores: 3, lanes: 2, storeFlags: fastRaftFlags });
  const w = writers(c.clientUrls.slice(1));
  try {
    for (const k of ['rs/20', 'rs/10', 'rs/30', 'rs/05', 'rs/15', 'rs/25', 'rs/35']) await splitAndWait(c.pd, k);

    for (const [round, signal] of restarts.entries()) {
      await sleep(1500);
      await c.kill(0, signal);
      await sleep(1000);
      await c.restart(0);
      await upAndServing(c, 3000, `restart ${round + 1} (${signal})`);
    }
    await w.stop();
    // Every acknowledged write reads back through the restarted store.
    await w.check(c.clientUrls[0]!);
    assert.doesNotMatch(c.storeLog(0), /lane \d+ failed/);
  } finally {
    await w.stop();
    await c.stop();
  }
});

test('a store of 1 lane that missed splits while it was down comes back with them and stays up', { timeout: 240_000 }, async () => {
  const c = await startRangeCluster({ stores: 3, lanes: 1, storeFlags: fastRaftFlags });
  const w = writers(c.clientUrls.slice(1));
  try {
    await splitAndWait(c.pd, 'rs/20');
    for (const [round, down] of [['rs/10', 'rs/30'], ['rs/05', 'rs/25'], ['rs/15', 'rs/35']].entries()) {
      await sleep(1500);
      await c.kill(0, 'SIGKILL');
      // Splits of regions the dead store has a peer of: it must learn them when it is back.
      for (const k of down) await splitAndWait(c.pd, k);
      await sleep(1000);
      await c.restart(0);
      await upAndServing(c, 4000, `restart ${round + 1}`);
    }
    await w.stop();
    // Every acknowledged write reads back through the restarted store.
    await w.check(c.clientUrls[0]!);
    assert.doesNotMatch(c.storeLog(0), /lane \d+ failed/);
  } finally {
    await w.stop();
    await c.stop();
  }
});

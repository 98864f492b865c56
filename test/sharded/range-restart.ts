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
import { fastRaftFlags, outsideSigterm, splitAndWait, startRangeCluster, waitRegions, waitUntil } from '../support/sharded.js';

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

test('a store of 2 lanes restarted after splits, under writes, comes back with its regions and stays up', { timeout: 240_000 }, async () => {
  const c = await startRangeCluster({ stores: 3, lanes: 2, storeFlags: fastRaftFlags });
  let stop = false;
  try {
    // Writers through the two stores that stay up; the last value acknowledged per key.
    const acked = new Map<string, string>();
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const key = keys[(n * 7 + w) % keys.length]!;
        const value = `${w}.${n}`;
        try {
          await put(c.clientUrls[1 + w]!, key, value);
          acked.set(key, value);
        } catch {
          await sleep(50);
        }
      }
    };
    const writers = [writer(0), writer(1)];
    for (const k of ['rs/20', 'rs/10', 'rs/30', 'rs/05', 'rs/15', 'rs/25', 'rs/35']) await splitAndWait(c.pd, k);

    for (const [round, signal] of restarts.entries()) {
      await sleep(1500);
      await c.kill(0, signal);
      await sleep(1000);
      await c.restart(0);
      // Up for a while, and serving every key, through itself.
      await sleep(3000);
      const s = c.stores[0]!;
      assert.ok(c.running(0), `restart ${round + 1} (${signal}): ${s.name} (store ${s.id}) exited after coming back:\n${c.storeLog(0).split('\n').slice(-30).join('\n')}${outsideSigterm(c)}`);
      await waitRegions(c.pd, 'every region led', () => true);
      for (const key of keys) await waitUntil(`a read of ${key} through ${s.name}`, () => get(s.clientUrl, key).then((v) => ({ v })), 20_000, 200);
    }
    stop = true;
    await Promise.all(writers);
    // Every acknowledged write reads back through the restarted store.
    for (const [key, value] of acked) assert.equal(await get(c.clientUrls[0]!, key), value, key);
    assert.doesNotMatch(c.storeLog(0), /lane \d+ failed/);
  } finally {
    stop = true;
    await c.stop();
  }
});

test('a store of 1 lane that missed splits while it was down comes back with them and stays up', { timeout: 240_000 }, async () => {
  const c = await startRangeCluster({ stores: 3, lanes: 1, storeFlags: fastRaftFlags });
  let stop = false;
  try {
    const acked = new Map<string, string>();
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const key = keys[(n * 7 + w) % keys.length]!;
        const value = `${w}.${n}`;
        try {
          await put(c.clientUrls[1 + w]!, key, value);
          acked.set(key, value);
        } catch {
          await sleep(50);
        }
      }
    };
    const writers = [writer(0), writer(1)];
    await splitAndWait(c.pd, 'rs/20');
    for (const [round, down] of [['rs/10', 'rs/30'], ['rs/05', 'rs/25'], ['rs/15', 'rs/35']].entries()) {
      await sleep(1500);
      await c.kill(0, 'SIGKILL');
      // Splits of regions the dead store has a peer of: it must learn them when it is back.
      for (const k of down) await splitAndWait(c.pd, k);
      await sleep(1000);
      await c.restart(0);
      await sleep(4000);
      const s = c.stores[0]!;
      assert.ok(c.running(0), `restart ${round + 1}: ${s.name} (store ${s.id}) exited after coming back:\n${c.storeLog(0).split('\n').slice(-30).join('\n')}${outsideSigterm(c)}`);
      await waitRegions(c.pd, 'every region led', () => true);
      for (const key of keys) await waitUntil(`a read of ${key} through ${s.name}`, () => get(s.clientUrl, key).then((v) => ({ v })), 20_000, 200);
    }
    stop = true;
    await Promise.all(writers);
    for (const [key, value] of acked) assert.equal(await get(c.clientUrls[0]!, key), value, key);
    assert.doesNotMatch(c.storeLog(0), /lane \d+ failed/);
  } finally {
    stop = true;
    await c.stop();
  }
});

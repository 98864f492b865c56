// A write in flight when the store leading its region dies is applied at most once, and its
// answer tells the truth: the router must not retry, on the next leader, a write it already
// delivered to the old one (it may have committed there), or the write applies twice.
//
// How the window is made wide enough to hit every time: the leader's store waits `flushDelayMs`
// after every durable commit (--experimental-flush-delay-ms), so a write goes
//
//   t = 0        the client's request reaches store B's router, which forwards it to store A (leader)
//   t ≈ D        A's log write done: MsgApp to the followers, which persist it and ack at once
//   t ≈ D..2D    committed on a quorum; A applies it in its next write, which waits D again
//   t ≈ 2D       A would answer
//
// and store A is SIGKILLed at t ≈ 1.5 D: the entry is on the followers, one of which becomes
// leader and commits it. Whatever the client is told then (success, failure, or an error of
// unknown outcome), the write must have applied once at most, and a cas that reports
// `succeeded: false` must not have swapped.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRangeCluster, waitRegions, waitUntil, type RangeCluster } from '../support/sharded.js';

const flushDelayMs = 800;
const killAfterMs = 1200;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, path: string, body: unknown, timeoutMs = 30_000): Promise<Record<string, any>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const json = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

interface Kv {
  value: string;
  version: number;
  modRevision: number;
}

/** The key as store `url` reads it, retried while the cluster elects. */
function readKey(url: string, key: string): Promise<Kv | null> {
  return waitUntil(`a read of ${key} through ${url}`, async () => {
    const r = await post(url, '/v3/kv/range', { key: b64(key) }, 5000);
    const kv = (r.kvs as Array<{ value?: string; version: string; mod_revision: string }> | undefined)?.[0];
    return kv ? { value: Buffer.from(kv.value ?? '', 'base64').toString('utf8'), version: Number(kv.version), modRevision: Number(kv.mod_revision) } : null;
  }, 30_000, 200);
}

/**
 * A cluster whose store 0 waits `flushDelayMs` after every commit and leads the only region;
 * schedulers off, so nothing but the test moves the leader.
 */
async function slowLeaderCluster(): Promise<RangeCluster> {
  const c = await startRangeCluster({
    stores: 3,
    storeFlags: [],
    storeFlagsFor: (i) => (i === 0 ? ['--experimental-flush-delay-ms', String(flushDelayMs)] : []),
  });
  try {
    await c.pd.scheduleConfig({ enabled: [] });
    const slow = c.stores[0]!.id!;
    const [r] = await waitRegions(c.pd, 'the first region', (rs) => rs.length === 1);
    // Asked again every 5 s, up to 40 s: a leader whose lane sleeps 800 ms after every commit can
    // lose its first term to an election before PD sees it lead.
    const deadline = Date.now() + 40_000;
    while (r!.leader!.storeId !== slow) {
      await c.pd.transferLeader(r!.id, slow).catch(() => undefined);
      try {
        await waitRegions(c.pd, `the leader on store ${slow}`, (rs) => rs[0]!.leader!.storeId === slow, 5_000);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
    return c;
  } catch (err) {
    await c.stop();
    throw err;
  }
}

test('a cas in flight when its leader store is SIGKILLed answers succeeded: false only if it did not swap', { timeout: 120_000 }, async () => {
  const c = await slowLeaderCluster();
  try {
    const via = c.clientUrls[1]!;
    await post(via, '/v3/kv/put', { key: b64('retry/cas'), value: b64('a') });
    const before = await readKey(via, 'retry/cas');
    assert.deepEqual(before && { value: before.value, version: before.version }, { value: 'a', version: 1 });

    const cas = post(via, '/v3/kv/txn', {
      compare: [{ key: b64('retry/cas'), target: 'VALUE', result: 'EQUAL', value: b64('a') }],
      success: [{ request_put: { key: b64('retry/cas'), value: b64('b') } }],
    }).then((r) => ({ succeeded: r.succeeded === true, revision: Number(r.header.revision) }), (err: Error) => ({ error: err.message }));
    await sleep(killAfterMs);
    await c.kill(0, 'SIGKILL');
    const answer = await cas;
    const after = await readKey(c.clientUrls[2]!, 'retry/cas');
    const seen = `the client was told ${JSON.stringify(answer)}; the key now reads ${JSON.stringify(after)}`;

    if ('error' in answer) {
      // Unknown outcome: either is fine, once.
      assert.ok(after!.version <= 2, `applied more than once: ${seen}`);
    } else if (answer.succeeded) {
      assert.deepEqual({ value: after!.value, version: after!.version, modRevision: after!.modRevision }, { value: 'b', version: 2, modRevision: answer.revision }, seen);
    } else {
      // Nobody else writes the key: a cas that failed its compare left "a" there.
      assert.deepEqual({ value: after!.value, version: after!.version }, { value: 'a', version: 1 }, `the cas swapped, yet answered succeeded: false: ${seen}`);
    }
  } finally {
    await c.stop();
  }
});

test('a put in flight when its leader store is SIGKILLed is applied at most once', { timeout: 120_000 }, async () => {
  const c = await slowLeaderCluster();
  try {
    const via = c.clientUrls[1]!;
    await post(via, '/v3/kv/put', { key: b64('retry/put'), value: b64('w') });
    const put = post(via, '/v3/kv/put', { key: b64('retry/put'), value: b64('x') }).then(
      (r) => ({ revision: Number(r.header.revision) }),
      (err: Error) => ({ error: err.message }),
    );
    await sleep(killAfterMs);
    await c.kill(0, 'SIGKILL');
    const answer = await put;
    const after = await readKey(c.clientUrls[2]!, 'retry/put');
    const seen = `the client was told ${JSON.stringify(answer)}; the key now reads ${JSON.stringify(after)}`;
    assert.ok(after!.version <= 2, `one put of "x" after "w" (version 1) made version ${after!.version}: it applied ${after!.version - 1} times; ${seen}`);
    if (!('error' in answer)) assert.deepEqual({ value: after!.value, modRevision: after!.modRevision }, { value: 'x', modRevision: answer.revision }, seen);
  } finally {
    await c.stop();
  }
});

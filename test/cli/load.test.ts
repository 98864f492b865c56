// `flotilla load` against a real range-mode cluster (PD and 3 stores, each its own process):
// every key lands once with its value while regions split under the load, a txn that spans a
// region boundary is cut there, and a batch whose answer was lost is not written twice.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startShardedCluster, type ShardedCluster } from '../../bench/harness/sharded.js';
import { keyOf, keyWidth, loadKeys, valueOf } from '../../src/cli/load.js';
import { repoRoot } from '../support/servers.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Kv {
  key: string;
  value: string;
  version: string;
}

/** Every key under `prefix`, through the JSON gateway (a range over several regions merges them). */
async function readPrefix(endpoint: string, prefix: string): Promise<{ count: number; kvs: Map<string, { value: Buffer; version: number }> }> {
  const key = Buffer.from(prefix);
  const end = Buffer.from(prefix);
  end[end.length - 1]!++;
  const res = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: key.toString('base64'), range_end: end.toString('base64') }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const j = JSON.parse(text) as { count?: string; kvs?: Kv[] };
  const kvs = new Map<string, { value: Buffer; version: number }>();
  for (const kv of j.kvs ?? []) kvs.set(Buffer.from(kv.key, 'base64').toString('utf8'), { value: Buffer.from(kv.value, 'base64'), version: Number(kv.version) });
  return { count: Number(j.count ?? 0), kvs };
}

/** Checks that keys 0 .. n-1 under `prefix` hold their values, each written once. */
async function assertLoaded(endpoint: string, prefix: string, n: number, valueBytes: number): Promise<void> {
  const { count, kvs } = await readPrefix(endpoint, prefix);
  assert.equal(count, n, `keys under ${prefix}`);
  assert.equal(kvs.size, n);
  const width = keyWidth(n);
  for (let i = 0; i < n; i++) {
    const key = keyOf(prefix, i, width);
    const kv = kvs.get(key);
    assert.ok(kv, `${key} is missing`);
    assert.ok(kv.value.equals(valueOf(key, valueBytes)), `${key} holds the wrong value`);
    assert.equal(kv.version, 1, `${key} was written ${kv.version} times`);
  }
}

async function pdPost(c: ShardedCluster, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${c.pdUrl}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, await res.text());
}

async function regionCount(c: ShardedCluster): Promise<number> {
  return (await c.regions()).length;
}

/**
 * Splits at `key` and waits until both halves have a leader. PD hands a split to the region's
 * leader once; one that meets a region the split checker reshaped meanwhile is asked for again.
 */
async function splitAt(c: ShardedCluster, key: string): Promise<void> {
  const k = Buffer.from(key);
  let askAt = 0;
  for (let i = 0; i < 300; i++) {
    const rs = await c.regions();
    if (rs.some((r) => r.start.equals(k) && r.leaderStore !== undefined) && rs.some((r) => r.end.equals(k) && r.leaderStore !== undefined)) return;
    if (Date.now() >= askAt && !rs.some((r) => r.start.equals(k))) {
      await pdPost(c, '/pd/api/v1/split', { key });
      askAt = Date.now() + 3000;
    }
    await sleep(100);
  }
  assert.fail(`the split at ${key} did not show in PD's regions`);
}

describe('flotilla load', { timeout: 120_000 }, () => {
  let c: ShardedCluster;

  before(async () => {
    c = await startShardedCluster({
      mode: 'range',
      stores: 3,
      replicas: 3,
      // Short heartbeats so that PD sees the regions grow (and splits them) during the load.
      storeFlags: ['--lanes', '1', '--unsafe-no-fsync', '--heartbeat-interval', '50', '--election-timeout', '500', '--region-heartbeat-interval', '200'],
    });
    await pdPost(c, '/pd/api/v1/schedulers/config', { regionSplitBytesMax: 65536, regionSplitKeysMax: 300 });
  });

  after(async () => {
    await c?.stop();
  });

  it('loads 3,000 keys through the command while regions split, each key once with its value', async () => {
    // A boundary the load must meet: load/1500 is inside a 16-key batch ([1488, 1504)).
    await splitAt(c, 'load/1500');
    const { stdout } = await run(process.execPath, [
      join(repoRoot, 'bin', 'flotilla'), 'load',
      '--endpoints', c.clientUrls.join(','), '--pd', c.pdUrl,
      '--keys', '3000', '--value-bytes', '100', '--prefix', 'load/', '--batch', '16', '--concurrency', '4',
    ], { timeout: 60_000 });
    assert.match(stdout, /^keys loaded: +3000 of 3000/m);
    assert.match(stdout, /^errors: +0$/m);
    assert.match(stdout, /^regions: +\d+$/m);
    const cuts = Number(/(\d+) cut at a region boundary/.exec(stdout)?.[1]);
    assert.ok(cuts >= 1, `no txn was cut at a region boundary:\n${stdout}`);
    await assertLoaded(c.clientUrls[0]!, 'load/', 3000, 100);
    // 3,000 keys of ~110 bytes pass both limits several times: PD splits (maybe after the load).
    let regions = 0;
    for (let i = 0; i < 150 && regions <= 2; i++) {
      regions = await regionCount(c);
      if (regions <= 2) await sleep(200);
    }
    assert.ok(regions > 2, `PD did not split the loaded regions (${regions} regions)`);
  });

  it('without PD, halves a txn that spans a region boundary until each piece fits', async () => {
    await splitAt(c, 'half/137');
    const r = await loadKeys({ endpoints: [...c.clientUrls], keys: 300, valueBytes: 10, prefix: 'half/', batch: 128, concurrency: 2 });
    assert.equal(r.errors, 0, r.errorSamples.join('\n'));
    assert.equal(r.keysLoaded, 300);
    assert.ok(r.regionSplits >= 1);
    await assertLoaded(c.clientUrls[1]!, 'half/', 300, 10);
  });

  it('sends a batch whose answer was lost again guarded, so it is not written twice', async () => {
    // A proxy that forwards every request but drops the answer of the first two: the first batch
    // lands, its answer is lost, and so is the answer of its first (guarded) retry.
    const target = new URL(c.clientUrls[2]!);
    let dropped = 0;
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (r) => {
          const out: Buffer[] = [];
          r.on('data', (b: Buffer) => out.push(b));
          r.on('end', () => {
            if (r.statusCode === 200 && dropped < 2) {
              dropped++;
              return void res.socket?.destroy();
            }
            res.writeHead(r.statusCode ?? 500, { 'content-type': 'application/json' });
            res.end(Buffer.concat(out));
          });
        });
        up.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as { port: number }).port;
      const r = await loadKeys({ endpoints: [`http://127.0.0.1:${port}`], keys: 200, valueBytes: 50, prefix: 'lost/', batch: 50, concurrency: 1 });
      assert.equal(r.errors, 0, r.errorSamples.join('\n'));
      assert.equal(dropped, 2);
      assert.equal(r.retries, 2);
      assert.equal(r.keysFoundWritten, 50);
      await assertLoaded(c.clientUrls[0]!, 'lost/', 200, 50);
    } finally {
      proxy.close();
      proxy.closeAllConnections();
    }
  });

  it('exits 2 on a batch over etcd\'s --max-txn-ops', async () => {
    await assert.rejects(
      run(process.execPath, [join(repoRoot, 'bin', 'flotilla'), 'load', '--endpoints', c.clientUrls[0]!, '--keys', '10', '--value-bytes', '1', '--batch', '129']),
      (err: { code?: number; stderr?: string }) => err.code === 2 && /--batch must be between 1 and 128/.test(err.stderr ?? ''),
    );
  });
});

// The scheduling part of PD's HTTP API, over a real loopback HTTP server: GET schedulers and
// operators, POST a partial config (validated, 400 with the message), kept across PD leaders.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoreId } from '../../src/cluster/region.js';
import type { PutRequest, RangeRequest } from '../../src/mvcc/types.js';
import { pdRoutes } from '../../placement/pd/http.js';
import { PdService, type PdCore } from '../../placement/pd/service.js';

const MiB = 1024 * 1024;

function fakeCore(): PdCore {
  const kv = new Map<string, Uint8Array>();
  let revision = 0;
  const str = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  return {
    header: () => ({ clusterId: 7n, memberId: 1n, revision, raftTerm: 1 }),
    async range(req: RangeRequest) {
      const from = str(req.key);
      const to = str(req.rangeEnd);
      const keys = req.rangeEnd.length === 0 ? (kv.has(from) ? [from] : []) : [...kv.keys()].filter((x) => x >= from && x < to).sort();
      const kvs = keys.map((x) => ({ key: Buffer.from(x, 'latin1'), value: kv.get(x)!, createRevision: 1, modRevision: 1, version: 1, lease: 0n }));
      return { kvs, more: false, count: kvs.length, revision };
    },
    async put(req: PutRequest) {
      kv.set(str(req.key), req.value.slice());
      return { revision: ++revision };
    },
  };
}

async function serve(core: PdCore): Promise<{ pd: PdService; url: string; server: Server }> {
  const pd = new PdService({
    core,
    leadership: () => ({ isLeader: true, leaderClientUrl: undefined }),
    mode: 'range',
    replicas: 3,
    clock: () => 1_000_000,
  });
  await pd.storeHeartbeat({
    id: 1 as StoreId,
    clientUrl: 'http://127.0.0.1:1',
    peerUrl: 'http://127.0.0.1:2',
    lanes: 1,
    regionCount: 0,
    leaderCount: 0,
    capacityBytes: 0,
    availableBytes: 0,
  });
  const routes = pdRoutes(pd);
  const server = createServer((req, res) => {
    if (!routes(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { pd, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function call(url: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url + path, body === undefined ? {} : { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface SchedulersView {
  enabled: string[];
  disabled: Array<{ name: string; reason: string }>;
  config: Record<string, unknown> & { timeouts: Record<string, number> };
  overrides: Record<string, unknown>;
  operators: { count: number };
}

test('GET schedulers shows the defaults: TiKV\'s split size, only schedulers whose operators PD can have executed', async () => {
  const { url, server } = await serve(fakeCore());
  try {
    const { status, json } = await call(url, '/pd/api/v1/schedulers');
    const v = json as unknown as SchedulersView;
    assert.equal(status, 200);
    assert.deepEqual(v.enabled, ['replica-repair', 'split-checker', 'hot-region', 'balance-leader', 'balance-region', 'merge-checker']);
    assert.deepEqual(v.disabled, []);
    assert.equal(v.config.regionSplitBytesMax, 96 * MiB);
    assert.equal(v.config.regionSplitKeysMax, 960_000);
    assert.equal(v.config.regionMergeBytesMax, 20 * MiB);
    assert.equal(v.config.hotSplitBytesMin, 48 * MiB);
    assert.equal(v.config.scheduleIntervalMs, 1_000);
    assert.equal(v.config.replicas, 3);
    assert.equal(v.operators.count, 0);
  } finally {
    server.close();
  }
});

test('POST schedulers/config changes part of the config; the merge and hot-split limits follow the split size', async () => {
  const core = fakeCore();
  const { url, server } = await serve(core);
  try {
    const body = JSON.stringify({ regionSplitBytesMax: 1048576, regionSplitKeysMax: 1000, enabled: ['split-checker', 'balance-leader'] });
    const { status, json } = await call(url, '/pd/api/v1/schedulers/config', body);
    const v = json as unknown as SchedulersView;
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(v.enabled, ['split-checker', 'balance-leader']);
    assert.equal(v.config.regionSplitBytesMax, 1048576);
    assert.equal(v.config.regionSplitKeysMax, 1000);
    assert.equal(v.config.regionMergeBytesMax, 218453);
    assert.equal(v.config.regionMergeKeysMax, 208);
    assert.equal(v.config.hotSplitBytesMin, 524288);
    assert.deepEqual(v.overrides, { regionSplitBytesMax: 1048576, regionSplitKeysMax: 1000, enabled: ['split-checker', 'balance-leader'] });

    const more = await call(url, '/pd/api/v1/schedulers/config', JSON.stringify({ scheduleIntervalMs: 200, timeouts: { stepSlowMs: 5000 } }));
    const m = more.json as unknown as SchedulersView;
    assert.equal(m.config.scheduleIntervalMs, 200);
    assert.equal(m.config.timeouts.stepSlowMs, 5000);
    assert.equal(m.config.timeouts.stepFastMs, 10_000);
    assert.equal(m.config.regionSplitBytesMax, 1048576, 'earlier settings stay');

    // A new PD leader over the same keys runs with the same config.
    const next = await serve(core);
    try {
      const again = (await call(next.url, '/pd/api/v1/schedulers')).json as unknown as SchedulersView;
      assert.equal(again.config.regionSplitBytesMax, 1048576);
      assert.equal(again.config.scheduleIntervalMs, 200);
      assert.deepEqual(again.enabled, ['split-checker', 'balance-leader']);
    } finally {
      next.server.close();
    }

    // null lets a setting go back to its default.
    const reset = (await call(url, '/pd/api/v1/schedulers/config', JSON.stringify({ regionSplitBytesMax: null, enabled: null }))).json as unknown as SchedulersView;
    assert.equal(reset.config.regionSplitBytesMax, 96 * MiB);
    assert.equal(reset.config.regionMergeBytesMax, 20 * MiB);
    assert.deepEqual(reset.enabled, ['replica-repair', 'split-checker', 'hot-region', 'balance-leader', 'balance-region', 'merge-checker']);
  } finally {
    server.close();
  }
});

test('POST schedulers/config answers 400 with the reason, and changes nothing', async () => {
  const { url, server } = await serve(fakeCore());
  try {
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify({ enabled: ['no-such-scheduler'] }), /no-such-scheduler/],
      [JSON.stringify({ enabled: ['no-such'] }), /unknown scheduler "no-such"/],
      [JSON.stringify({ regionSplitBytesMax: 1048576, regionMergeBytesMax: 1048576 }), /regionMergeBytesMax must be under half of regionSplitBytesMax/],
      [JSON.stringify({ regionSplitBytesMax: 0 }), /regionSplitBytesMax must be a positive integer/],
      [JSON.stringify({ regionSplitKeysMax: '1000' }), /regionSplitKeysMax must be a positive integer/],
      [JSON.stringify({ replicas: 5 }), /replicas is PD's --replicas flag/],
      [JSON.stringify({ bogus: 1 }), /unknown setting "bogus"/],
      [JSON.stringify([1]), /must be a JSON object/],
      ['{not json', /body is not JSON/],
    ];
    for (const [body, message] of cases) {
      const { status, json } = await call(url, '/pd/api/v1/schedulers/config', body);
      assert.equal(status, 400, body);
      assert.match(String(json.error), message, body);
    }
    const v = (await call(url, '/pd/api/v1/schedulers')).json as unknown as SchedulersView;
    assert.deepEqual(v.overrides, {});
  } finally {
    server.close();
  }
});

test('GET operators lists the operators in flight with their current step', async () => {
  const { url, server, pd } = await serve(fakeCore());
  try {
    await pd.storeHeartbeat({ id: 2 as StoreId, clientUrl: 'http://127.0.0.1:3', peerUrl: 'http://127.0.0.1:4', lanes: 1, regionCount: 0, leaderCount: 0, capacityBytes: 0, availableBytes: 0 });
    await pd.storeHeartbeat({ id: 3 as StoreId, clientUrl: 'http://127.0.0.1:5', peerUrl: 'http://127.0.0.1:6', lanes: 1, regionCount: 0, leaderCount: 0, capacityBytes: 0, availableBytes: 0 });
    await call(url, '/pd/api/v1/schedulers/config', JSON.stringify({ regionSplitBytesMax: 1048576 }));
    const [r] = await pd.listRegions();
    await pd.regionHeartbeat({ region: r!.region, leader: r!.region.peers[0]!, approximateBytes: 2 * MiB, approximateKeys: 10, writeQps: 0, readQps: 0 });
    await pd.scheduleRound();
    const { status, json } = await call(url, '/pd/api/v1/operators');
    assert.equal(status, 200);
    const ops = json.operators as Array<Record<string, unknown>>;
    assert.equal(json.count, 1);
    assert.equal(ops[0]!.regionId, r!.region.id);
    assert.equal(ops[0]!.kind, 'split');
    assert.deepEqual(ops[0]!.step, { type: 'SplitRegion', keys: 'approximate' });
    assert.equal((ops[0]!.command as { kind: string }).kind, 'split');
    assert.equal(ops[0]!.sentAtMs, null);
  } finally {
    server.close();
  }
});

// PD's HTTP API, on the PD member's client port beside etcd's gateway.
//
//   stores and routers (msgpack bodies, POST):   /pd/internal/<call>
//   people and `flotilla ctl` (JSON):            GET  /pd/api/v1/regions, /pd/api/v1/stores
//                                                POST /pd/api/v1/split           {"key": "..."}, {"keyBase64": "..."},
//                                                                                {"keys": [...]} or {"keysBase64": [...]}
//                                                POST /pd/api/v1/transfer-leader {"region": 7, "store": 2}
//                                                GET  /pd/api/v1/schedulers      enabled, config, operators in flight
//                                                POST /pd/api/v1/schedulers/config  settings to change, e.g.
//                                                     {"regionSplitBytesMax": 1048576, "regionSplitKeysMax": 1000,
//                                                      "enabled": ["split-checker", "balance-leader"]}
//                                                     (null resets a setting; 400 names a bad one)
//                                                GET  /pd/api/v1/operators       in flight, with their current step
//
// A member that does not lead PD answers 503 with the leader's client URL (JSON "leader", or the
// x-flotilla-pd-leader header on internal calls), so clients go there.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Region, RegionId, StoreId } from '../../src/cluster/region.js';
import { showKey } from '../../src/cluster/region.js';
import { pack, unpack } from '../../src/util/msgpack.js';
import { PlacementConfigError } from '../schedulers/index.js';
import { EtcdError } from '../../src/mvcc/errors.js';
import { PdNotLeader, PdRequestError, type LeaseCall, type PdService, type RegionStats } from './service.js';

/** Keys one split request may name (each becomes a region). */
const splitKeysMax = 100_000;

/** Largest request body PD takes (a region heartbeat is well under 64 KiB). */
const requestBytesMax = 4 * 1024 * 1024;

export type InternalCall =
  | { call: 'tso'; count: number }
  | { call: 'allocIds'; count: number }
  | { call: 'storeHeartbeat'; hb: Parameters<PdService['storeHeartbeat']>[0] }
  | { call: 'regionHeartbeat'; hb: Parameters<PdService['regionHeartbeat']>[0] }
  | { call: 'regionHeartbeats'; store: StoreId; hbs: Array<Parameters<PdService['regionHeartbeat']>[0]> }
  | { call: 'regionByKey'; key: Uint8Array }
  | { call: 'regionById'; id: RegionId }
  | { call: 'regions' }
  | ({ call: 'lease' } & LeaseCall);

async function answer(pd: PdService, c: InternalCall): Promise<unknown> {
  switch (c.call) {
    case 'tso':
      return { first: await pd.timestamps(c.count) };
    case 'allocIds':
      return { first: await pd.allocIds(c.count) };
    case 'storeHeartbeat':
      return pd.storeHeartbeat(c.hb);
    case 'regionHeartbeat':
      return pd.regionHeartbeat(c.hb);
    case 'regionHeartbeats':
      return pd.regionHeartbeats(c.store, c.hbs);
    case 'regionByKey':
      return (await pd.regionByKey(c.key)) ?? null;
    case 'regionById':
      return (await pd.regionById(c.id)) ?? null;
    case 'regions':
      return (await pd.listRegions()).map(({ region, stats }) => ({ region, leader: stats?.leader }));
    case 'lease':
      // etcd's lease errors (LeaseNotFound ...) are answers, not failures: they reach the client.
      try {
        return { ok: await pd.lease(c) };
      } catch (err) {
        if (err instanceof EtcdError) return { etcdError: { code: err.code, message: err.message } };
        throw err;
      }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > requestBytesMax) {
        reject(new PdRequestError(`request body over ${requestBytesMax} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 1) + '\n';
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

/** A region as `ctl regions` and the JSON API show it. */
export function regionJson(r: Region, stats: RegionStats | undefined): unknown {
  return {
    id: r.id,
    start: showKey(r.start),
    end: r.end.length === 0 ? '' : showKey(r.end),
    startBase64: Buffer.from(r.start).toString('base64'),
    endBase64: Buffer.from(r.end).toString('base64'),
    ...(r.slots ? { slots: r.slots } : {}),
    epoch: r.epoch,
    peers: r.peers,
    leader: stats?.leader ?? null,
    approximateBytes: stats?.approximateBytes ?? 0,
    approximateKeys: stats?.approximateKeys ?? 0,
    writeQps: stats?.writeQps ?? 0,
    readQps: stats?.readQps ?? 0,
  };
}

export function pdRoutes(pd: PdService): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith('/pd/')) return false;
    void serve(pd, url, req, res).catch((err: Error) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof PdNotLeader) {
        if (err.leaderClientUrl) res.setHeader('x-flotilla-pd-leader', err.leaderClientUrl);
        return sendJson(res, 503, { error: err.message, leader: err.leaderClientUrl ?? null });
      }
      if (err instanceof PdRequestError || err instanceof PlacementConfigError) return sendJson(res, 400, { error: err.message });
      sendJson(res, 500, { error: `pd: ${err.message}` });
    });
    return true;
  };
}

async function serve(pd: PdService, url: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = url.split('?')[0]!;
  if (path === '/pd/internal' && req.method === 'POST') {
    const c = unpack<InternalCall>(await readBody(req));
    const out = pack(await answer(pd, c));
    res.writeHead(200, { 'content-type': 'application/x-msgpack' });
    res.end(out);
    return;
  }
  if (path === '/pd/api/v1/regions' && req.method === 'GET') {
    const regions = await pd.listRegions();
    return sendJson(res, 200, { count: regions.length, regions: regions.map(({ region, stats }) => regionJson(region, stats)) });
  }
  if (path === '/pd/api/v1/stores' && req.method === 'GET') {
    const stores = await pd.listStores();
    return sendJson(res, 200, { count: stores.length, stores });
  }
  if (path === '/pd/api/v1/split' && req.method === 'POST') {
    const body = parseJson(await readBody(req)) as { key?: string; keyBase64?: string; keys?: unknown; keysBase64?: unknown };
    const list = (v: unknown, enc: BufferEncoding) => {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new PdRequestError('"keys" / "keysBase64" is a list of strings');
      return (v as string[]).map((x) => Buffer.from(x, enc));
    };
    let keys: Uint8Array[];
    if (typeof body.key === 'string') keys = [Buffer.from(body.key, 'utf8')];
    else if (typeof body.keyBase64 === 'string') keys = [Buffer.from(body.keyBase64, 'base64')];
    else if (body.keys !== undefined) keys = list(body.keys, 'utf8');
    else if (body.keysBase64 !== undefined) keys = list(body.keysBase64, 'base64');
    else throw new PdRequestError('split needs "key", "keyBase64", "keys" or "keysBase64"');
    if (keys.length === 0 || keys.some((k) => k.length === 0)) throw new PdRequestError('cannot split at the empty key');
    if (keys.length > splitKeysMax) throw new PdRequestError(`at most ${splitKeysMax} keys per split request`);
    if (keys.length === 1) return sendJson(res, 200, await pd.split(keys[0]!));
    return sendJson(res, 200, { splits: await pd.splitMany(keys) });
  }
  if (path === '/pd/api/v1/merge' && req.method === 'POST') {
    const body = parseJson(await readBody(req)) as { source?: number; target?: number };
    if (!Number.isSafeInteger(body.source) || !Number.isSafeInteger(body.target)) throw new PdRequestError('merge needs "source" and "target" (region IDs)');
    await pd.merge(body.source as RegionId, body.target as RegionId);
    return sendJson(res, 200, {});
  }
  if (path === '/pd/api/v1/move-slots' && req.method === 'POST') {
    const body = parseJson(await readBody(req)) as { from?: number; to?: number; slots?: unknown };
    if (!Number.isSafeInteger(body.from) || !Number.isSafeInteger(body.to) || !Array.isArray(body.slots)) {
      throw new PdRequestError('move-slots needs "from" and "to" (group IDs) and "slots" ([[first, last], ...])');
    }
    const slots = (body.slots as unknown[]).map((r) => {
      if (!Array.isArray(r) || r.length !== 2) throw new PdRequestError('each slot range is [first, last]');
      return [Number(r[0]), Number(r[1])] as [number, number];
    });
    await pd.moveSlots(body.from as RegionId, body.to as RegionId, slots);
    return sendJson(res, 200, {});
  }
  if (path === '/pd/api/v1/transfer-leader' && req.method === 'POST') {
    const body = parseJson(await readBody(req)) as { region?: number; store?: number };
    if (!Number.isSafeInteger(body.region) || !Number.isSafeInteger(body.store)) throw new PdRequestError('transfer-leader needs "region" and "store" (numbers)');
    await pd.transferLeader(body.region as RegionId, body.store as StoreId);
    return sendJson(res, 200, {});
  }
  if (path === '/pd/api/v1/schedulers' && req.method === 'GET') {
    return sendJson(res, 200, await pd.schedulers());
  }
  if (path === '/pd/api/v1/schedulers/config' && req.method === 'POST') {
    return sendJson(res, 200, await pd.updateScheduleConfig(parseJson(await readBody(req))));
  }
  if (path === '/pd/api/v1/operators' && req.method === 'GET') {
    return sendJson(res, 200, await pd.operators());
  }
  sendJson(res, 404, { error: `pd: no route ${req.method} ${path}` });
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    throw new PdRequestError('body is not JSON');
  }
}

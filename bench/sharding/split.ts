// node dist/bench/sharding/split.js [--sizes-mib 16,256] [--value-bytes 4096] [--repeats 5] [--region-heartbeat-ms 200] [...]
//
// Target: "split of a 1 GB region < 100 ms, independent of region size".
//
// For each size S (a fresh cluster each: 1 PD member, 3 stores, 3 replicas): PD's schedulers off
// (POST schedulers/config {"enabled": []}, so the split checker leaves the region whole), S bytes
// loaded into the one region with `flotilla load`'s code, then `POST /pd/api/v1/split {"key":
// middle}` timed until
//
//   applied:  the region's leader store applied it: a read-only txn over the two keys either side
//             of the middle, sent to that store every --poll-ms, answers 501 (keys in two regions)
//   serves:   a linearizable get of the middle key (the right half's first key), sent to that
//             store once the split applied and again until it answers 200: the new region has a
//             leader and serves
//   in PD:    GET /pd/api/v1/regions (every --poll-ms) shows both halves, each with a leader
//
// and with --repeats R > 1 the halves are merged back (POST /pd/api/v1/merge) and split again.
// All three include the wait for PD's command to reach the leader: PD answers a region's
// heartbeat round with it, and an idle store sends a round every --region-heartbeat-ms (the
// store's --region-heartbeat-interval; 2 s by default, 200 ms here so the wait is short and
// bounded). The stores reach PD through a proxy in this process that notes when a heartbeat reply
// carrying the split passes to the store ("delivered"), so the store's own time is
//
//   store-side = applied - delivered      (propose, commit on a quorum with fsync, apply)

import { parseArgs } from 'node:util';
import * as http from 'node:http';
import { keyOf, keyWidth, loadKeys, type LoadResult } from '../../src/cli/load.js';
import { unpack } from '../../src/util/msgpack.js';
import { clusterPorts, commandLine, machineLines, machineNow, mib, pdJson, pdRegions, Report, resultsDir, round2, sleep, startRangeCluster, writeResults, type RangeCluster } from './common.js';

const targetMs = 100;
const targetBytes = 2 ** 30;
const prefix = 'split/';

interface Settings {
  sizesMiB: number[];
  valueBytes: number;
  repeats: number;
  stores: number;
  replicas: number;
  lanes: number;
  regionHeartbeatMs: number;
  concurrency: number;
  pollMs: number;
  fsync: boolean;
}

interface SplitSample {
  regionBytes: number;
  /** ms from the split request until PD's heartbeat reply carrying it reached the store. */
  deliveredMs: number;
  /** appliedMs - deliveredMs: the store's own time. */
  storeSideMs: number;
  /** ms from the split request until the leader store answered the straddling txn with 501. */
  appliedMs: number;
  /** ms until a linearizable get of the right half's first key answered (after applied). */
  servesMs: number;
  /** ms until PD's regions showed both halves with a leader. */
  inPdMs: number;
}

interface SizeResult {
  sizeMiB: number;
  keys: number;
  load: LoadResult;
  /** What PD said of the region before the first split (its leader's last measure). */
  reportedBytes: number;
  reportedKeys: number;
  samples: SplitSample[];
  notes: string[];
}

function parse(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      'sizes-mib': { type: 'string', default: '16,256' },
      'value-bytes': { type: 'string', default: '4096' },
      repeats: { type: 'string', default: '5' },
      stores: { type: 'string', default: '3' },
      replicas: { type: 'string', default: '3' },
      lanes: { type: 'string', default: '1' },
      'region-heartbeat-ms': { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '8' },
      'poll-ms': { type: 'string', default: '5' },
      'no-fsync': { type: 'boolean', default: false },
    },
  });
  const n = (name: Exclude<keyof typeof values, 'sizes-mib' | 'no-fsync'>, min: number) => {
    const v = Number(values[name]);
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return v;
  };
  const sizesMiB = String(values['sizes-mib']).split(',').map(Number);
  if (sizesMiB.some((x) => !(x > 0))) throw new Error('--sizes-mib is a list of sizes in MiB, e.g. 16,256');
  return {
    sizesMiB,
    valueBytes: n('value-bytes', 1),
    repeats: n('repeats', 1),
    stores: n('stores', 1),
    replicas: n('replicas', 1),
    lanes: n('lanes', 1),
    regionHeartbeatMs: n('region-heartbeat-ms', 1),
    concurrency: n('concurrency', 1),
    pollMs: n('poll-ms', 1),
    fsync: values['no-fsync'] !== true,
  };
}

/**
 * Stands between the stores and PD, passing every call through, and notes when a heartbeat reply
 * that carries a split command passes back to a store.
 */
class PdProxy {
  private readonly server: http.Server;
  private readonly upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** performance.now() of each split command delivered, in order. */
  readonly splitsDeliveredAt: number[] = [];

  constructor(private readonly upstream: string) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers: http.OutgoingHttpHeaders = { 'content-length': body.length };
        if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
        const up = http.request(new URL(req.url ?? '/', this.upstream), { method: req.method, agent: this.upstreamAgent, headers }, (r) => {
          const out: Buffer[] = [];
          r.on('data', (c: Buffer) => out.push(c));
          r.on('end', () => {
            const answer = Buffer.concat(out);
            if (r.statusCode === 200 && r.headers['content-type'] === 'application/x-msgpack' && carriesSplit(answer)) this.splitsDeliveredAt.push(performance.now());
            const back: http.OutgoingHttpHeaders = { 'content-length': answer.length };
            for (const h of ['content-type', 'x-flotilla-pd-leader']) if (r.headers[h] !== undefined) back[h] = r.headers[h];
            res.writeHead(r.statusCode ?? 502, back);
            res.end(answer);
          });
        });
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', resolve));
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
    this.upstreamAgent.destroy();
  }
}

function carriesSplit(answer: Buffer): boolean {
  try {
    const a = unpack<{ command?: { kind?: string }; commands?: Array<{ command?: { kind?: string } }> }>(answer);
    return a?.command?.kind === 'split' || (Array.isArray(a?.commands) && a.commands.some((c) => c.command?.kind === 'split'));
  } catch {
    return false;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** POST a JSON body to a store's gateway; resolves with the HTTP status. */
function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A txn that reads `a` and `b` and writes nothing (version < 0 never holds): 501 once they lie in two regions. */
function straddleTxn(a: string, b: string): string {
  const k = (s: string) => Buffer.from(s).toString('base64');
  return JSON.stringify({
    compare: [{ key: k(a), target: 'VERSION', result: 'LESS', version: '0' }],
    success: [],
    failure: [{ requestRange: { key: k(a) } }, { requestRange: { key: k(b) } }],
  });
}

async function storeUrlOf(c: RangeCluster, storeId: number): Promise<string> {
  const stores = await pdJson<{ stores: Array<{ id: number; clientUrl: string }> }>(c.pdUrl, 'GET', '/pd/api/v1/stores');
  const s = stores.stores.find((x) => x.id === storeId);
  if (!s) throw new Error(`PD knows no store ${storeId}`);
  return s.clientUrl;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Splits the region holding `mid` at `mid`; times "applied" and "in PD" (see the top). */
async function timeSplit(c: RangeCluster, proxy: PdProxy, s: Settings, left: string, mid: string): Promise<Omit<SplitSample, 'regionBytes'>> {
  const before = await pdRegions(c.pdUrl);
  const region = before.find((r) => r.endBase64 === '' || Buffer.compare(Buffer.from(r.endBase64, 'base64'), Buffer.from(mid)) > 0);
  if (!region?.leader) throw new Error('the region to split has no leader in PD');
  const leaderStore = await storeUrlOf(c, region.leader.storeId);
  const leaderUrl = new URL('/v3/kv/txn', leaderStore).toString();
  const getUrl = new URL('/v3/kv/range', leaderStore).toString();
  const get = JSON.stringify({ key: b64(mid) });
  const probe = straddleTxn(left, mid);
  const status = await post(leaderUrl, probe);
  if (status !== 200) throw new Error(`the straddling txn answered ${status} before the split`);
  const deadline = Date.now() + 60_000;
  const deliveriesBefore = proxy.splitsDeliveredAt.length;
  const t0 = performance.now();
  await pdJson(c.pdUrl, 'POST', '/pd/api/v1/split', { key: mid });
  let appliedMs: number | undefined;
  let servesMs: number | undefined;
  let inPdMs: number | undefined;
  const watchApplied = async () => {
    while (appliedMs === undefined && Date.now() < deadline) {
      const st = await post(leaderUrl, probe).catch(() => 0);
      if (st === 501) appliedMs = performance.now() - t0;
      else await sleep(s.pollMs);
    }
    while (servesMs === undefined && Date.now() < deadline) {
      const st = await post(getUrl, get).catch(() => 0);
      if (st === 200) servesMs = performance.now() - t0;
      else await sleep(s.pollMs);
    }
  };
  const watchPd = async () => {
    while (inPdMs === undefined && Date.now() < deadline) {
      const rs = await pdRegions(c.pdUrl);
      const right = rs.find((r) => r.startBase64 === b64(mid));
      const leftHalf = rs.find((r) => r.endBase64 === b64(mid));
      if (right?.leader && leftHalf?.leader) inPdMs = performance.now() - t0;
      else await sleep(s.pollMs);
    }
  };
  await Promise.all([watchApplied(), watchPd()]);
  if (appliedMs === undefined || servesMs === undefined || inPdMs === undefined) {
    throw new Error(`the split at ${mid} did not show within 60 s (applied: ${appliedMs ?? 'no'}, serves: ${servesMs ?? 'no'}, in PD: ${inPdMs ?? 'no'})`);
  }
  const deliveredAt = proxy.splitsDeliveredAt[deliveriesBefore];
  if (deliveredAt === undefined) throw new Error('the split applied, but no heartbeat reply carrying it passed the proxy');
  const deliveredMs = deliveredAt - t0;
  return { deliveredMs: round2(deliveredMs), storeSideMs: round2(appliedMs - deliveredMs), appliedMs: round2(appliedMs), servesMs: round2(servesMs), inPdMs: round2(inPdMs) };
}

/** Merges the region starting at `mid` back into its left neighbour; waits until PD shows one region with a leader. */
async function mergeBack(c: RangeCluster, mid: string): Promise<boolean> {
  const rs = await pdRegions(c.pdUrl);
  const right = rs.find((r) => r.startBase64 === b64(mid));
  const left = rs.find((r) => r.endBase64 === b64(mid));
  if (!right || !left) return false;
  const deadline = Date.now() + 60_000;
  let askAt = 0;
  while (Date.now() < deadline) {
    const now = await pdRegions(c.pdUrl);
    if (now.length === 1 && now[0]!.leader) return true;
    if (Date.now() >= askAt) {
      await pdJson(c.pdUrl, 'POST', '/pd/api/v1/merge', { source: right.id, target: left.id }).catch(() => undefined);
      askAt = Date.now() + 10_000;
    }
    await sleep(100);
  }
  return false;
}

async function runSize(s: Settings, sizeMiB: number, say: (line: string) => void): Promise<SizeResult> {
  const keys = Math.ceil((sizeMiB * 2 ** 20) / (s.valueBytes + prefix.length + 8));
  const width = keyWidth(keys);
  const ports = await clusterPorts(s.stores + 1);
  const proxyPort = ports.pop()!;
  const proxy = new PdProxy(`http://127.0.0.1:${ports[0]}`);
  await proxy.listen(proxyPort);
  let c: RangeCluster;
  try {
    c = await startRangeCluster({
      stores: s.stores,
      replicas: s.replicas,
      ports,
      storePdUrl: () => `http://127.0.0.1:${proxyPort}`,
      storeFlags: ['--lanes', String(s.lanes), '--region-heartbeat-interval', String(s.regionHeartbeatMs), ...(s.fsync ? [] : ['--unsafe-no-fsync'])],
    });
  } catch (err) {
    proxy.close();
    throw err;
  }
  const notes: string[] = [];
  try {
    await pdJson(c.pdUrl, 'POST', '/pd/api/v1/schedulers/config', { enabled: [] });
    say(`  loading ${keys.toLocaleString('en-US')} keys of ${s.valueBytes} bytes (${mib(keys * s.valueBytes)} of values) into one region`);
    let lastSaid = 0;
    const load = await loadKeys({
      endpoints: [...c.clientUrls],
      keys,
      valueBytes: s.valueBytes,
      prefix,
      concurrency: s.concurrency,
      pd: [c.pdUrl],
      onProgress: (p) => {
        if (p.elapsedS - lastSaid < 15) return;
        lastSaid = p.elapsedS;
        say(`    ${p.keysDone.toLocaleString('en-US')}/${p.keysTotal.toLocaleString('en-US')} keys, ${Math.round(p.keysDone / p.elapsedS)} keys/s`);
      },
    });
    if (load.errors > 0) throw new Error(`the load failed for ${load.errors} keys: ${load.errorSamples.join('; ')}`);
    say(`  loaded in ${load.seconds.toFixed(1)} s (${Math.round(load.keysPerS)} keys/s, ${mib(load.bytesPerS)}/s)`);
    // The leader reports the region's size on its next heartbeat rounds.
    let reportedBytes = 0;
    let reportedKeys = 0;
    for (let i = 0; i < 50; i++) {
      const rs = await pdRegions(c.pdUrl);
      if (rs.length !== 1) throw new Error(`PD shows ${rs.length} regions after the load with its schedulers off`);
      reportedBytes = rs[0]!.approximateBytes;
      reportedKeys = rs[0]!.approximateKeys;
      if (reportedKeys >= keys) break;
      await sleep(200);
    }
    say(`  PD: 1 region, ${mib(reportedBytes)} and ${reportedKeys.toLocaleString('en-US')} keys as its leader measured them`);
    const samples: SplitSample[] = [];
    const midIndex = Math.floor(keys / 2);
    const left = keyOf(prefix, midIndex - 1, width);
    const mid = keyOf(prefix, midIndex, width);
    for (let i = 0; i < s.repeats; i++) {
      // NB: a random phase against the stores' 200 ms heartbeat rounds, or every sample would
      // wait the same part of a round (the merge wait polls in steps that divide it).
      await sleep(1000 + Math.random() * s.regionHeartbeatMs);
      const t = await timeSplit(c, proxy, s, left, mid);
      samples.push({ regionBytes: reportedBytes, ...t });
      say(`  split ${i + 1} at ${mid}: delivered ${t.deliveredMs.toFixed(1)} ms, applied on the leader ${t.appliedMs.toFixed(1)} ms (store-side ${t.storeSideMs.toFixed(1)} ms), right half serves ${t.servesMs.toFixed(1)} ms, both halves in PD ${t.inPdMs.toFixed(1)} ms after the request`);
      if (i + 1 < s.repeats && !(await mergeBack(c, mid))) {
        notes.push(`the merge back after split ${i + 1} did not finish within 60 s: ${i + 1} split(s) only`);
        say(`  NB: ${notes[notes.length - 1]}`);
        break;
      }
    }
    return { sizeMiB, keys, load, reportedBytes, reportedKeys, samples, notes };
  } finally {
    await c.stop();
    proxy.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<number> {
  const s = parse(process.argv.slice(2));
  const date = new Date();
  const m = machineNow();
  const r = new Report();
  r.print(`sharding/split: split of a 1 GB region < ${targetMs} ms, independent of region size`);
  r.print(`command:  ${commandLine()}`);
  for (const l of machineLines(m)) r.print(l);
  r.print(`settings: 1 PD member, ${s.stores} stores, ${s.replicas} replicas, --lanes ${s.lanes}, ${s.fsync ? 'fsync on' : '--unsafe-no-fsync'}, --region-heartbeat-interval ${s.regionHeartbeatMs} ms; PD schedulers off; sizes ${s.sizesMiB.join(', ')} MiB of ${s.valueBytes}-byte values; ${s.repeats} split(s) per size (merged back between); polls every ${s.pollMs} ms`);
  const biggest = Math.max(...s.sizesMiB) * 2 ** 20;
  if (biggest < targetBytes) {
    r.print(`scaled:   regions of at most ${Math.max(...s.sizesMiB)} MiB instead of 1 GiB: loading 1 GiB through the gateway with 3 fsynced replicas takes too long on this shared ${m.cores}-core machine; the split itself moves no data (the regions of a lane share one LMDB tablet), so its time should not depend on the size: compare the sizes below`);
  }
  r.print(`          the store's default --region-heartbeat-interval is 2000 ms: a split command waits up to that long for the leader's next heartbeat round; ${s.regionHeartbeatMs} ms here`);
  r.print();
  const results: SizeResult[] = [];
  for (const size of s.sizesMiB) {
    r.print(`run: ${size} MiB`);
    results.push(await runSize(s, size, (line) => r.print(line)));
  }
  r.print();
  r.print('ms after the split request, median [each sample]:');
  r.print('region size (PD)     store-side (applied - delivered)   delivered               applied on leader       right half serves       both halves in PD');
  const cell = (xs: number[], w: number) => `${median(xs).toFixed(0)} [${xs.map((v) => v.toFixed(0)).join(' ')}]`.padEnd(w);
  for (const x of results) {
    const col = (f: (p: SplitSample) => number, w = 23) => cell(x.samples.map(f), w);
    r.print(`${`${x.sizeMiB} MiB (${mib(x.reportedBytes)})`.padEnd(20)} ${col((p) => p.storeSideMs, 34)} ${col((p) => p.deliveredMs)} ${col((p) => p.appliedMs)} ${col((p) => p.servesMs)} ${col((p) => p.inPdMs)}`);
  }
  r.print();
  for (const x of results) {
    const side = x.samples.map((p) => p.storeSideMs);
    const end = x.samples.map((p) => p.appliedMs);
    r.print(`target < ${targetMs} ms, ${x.sizeMiB} MiB: store-side median ${median(side).toFixed(1)} ms, max ${Math.max(...side).toFixed(1)} ms: ${Math.max(...side) < targetMs ? 'met' : median(side) < targetMs ? 'met by the median' : 'NOT met'}; request to applied (with the heartbeat wait) median ${median(end).toFixed(1)} ms`);
  }
  const dir = writeResults(resultsDir('split', date), { benchmark: 'sharding/split', date: date.toISOString(), command: commandLine(), machine: m, settings: s, targetMs, results: results.map((x) => ({ ...x, load: { ...x.load, errorSamples: x.load.errorSamples } })) }, r.lines);
  r.print(`results:  ${dir}`);
  agent.destroy();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`sharding/split: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);

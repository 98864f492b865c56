// node dist/bench/sharding/pd_failover.js [--regions R] [--fill heartbeats|direct] [--batch B] [--concurrency C] [--probes P] [--timeout-s S]
//
// Target: "PD leader killed with 100,000 regions in its directory: a new PD leader serves routes
// in < 5 s".
//
// Three PD members (`flotilla pd --mode range --replicas 1`), no stores. The benchmark registers a
// fake store (PD's internal 'storeHeartbeat' call) and fills PD's directory with R synthetic
// regions through 'regionHeartbeats' calls of B heartbeats each, as a store reports them: region
// i = [r/<i>, r/<i+1>) (the first from "", the last to the end), one voter, led by the fake store.
// PD persists each new region in its own etcd keys (/flotilla/pd/regions/<id>), one fsynced put
// each. (--fill direct writes those keys itself instead, 128 per txn through the leader's etcd
// gateway, with the value PD would write: seconds instead of minutes; the leader's memory then
// lacks them, which does not matter: it is killed.) Then it SIGKILLs the PD leader (its own
// child, by PID) and times, from the kill:
//
//   elected:  a surviving member's etcd status (POST /v3/maintenance/status) names a new leader
//   serves:   a 'regionByKey' call (PdClient, as routers make it) is answered, by the new leader,
//             with the right region for each of P probe keys
//
// The gap between the two is the new leader loading the directory from its core before serving.

import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PdClient } from '../../src/cluster/pd_client.js';
import { postMsgpack } from '../../src/cluster/msgpack_http.js';
import type { Region, RegionPeer } from '../../src/cluster/region.js';
import { pack, unpack } from '../../src/util/msgpack.js';
import { freePorts } from '../../test/support/servers.js';
import { commandLine, FlotillaProc, machineLines, machineNow, Report, resultsDir, round1, round2, sleep, writeResults } from './common.js';

const targetS = 5;
const targetRegions = 100_000;
const txnOpsMax = 128;

interface Settings {
  regions: number;
  fill: 'heartbeats' | 'direct';
  batch: number;
  concurrency: number;
  probes: number;
  timeoutS: number;
}

function parse(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      regions: { type: 'string', default: String(targetRegions) },
      fill: { type: 'string', default: 'heartbeats' },
      // NB: PdClient gives a call 3 s: a call of more heartbeats than PD handles in that time is
      // sent again while PD still works on it, and the fill slows to a crawl.
      batch: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '4' },
      probes: { type: 'string', default: '5' },
      'timeout-s': { type: 'string', default: '600' },
    },
  });
  const n = (name: Exclude<keyof typeof values, 'fill'>, min: number) => {
    const v = Number(values[name]);
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return v;
  };
  if (values.fill !== 'heartbeats' && values.fill !== 'direct') throw new Error('--fill is heartbeats or direct');
  return { regions: n('regions', 2), fill: values.fill, batch: n('batch', 1), concurrency: n('concurrency', 1), probes: n('probes', 1), timeoutS: n('timeout-s', 1) };
}

const keyOfRegion = (i: number) => Buffer.from(`r/${String(i).padStart(8, '0')}`);

/** Region i of R, with IDs from `firstId` (region first + 2i, its peer first + 2i + 1). */
function syntheticRegion(i: number, regions: number, firstId: number, storeId: number): { region: Region; leader: RegionPeer } {
  const leader = { id: firstId + 2 * i + 1, storeId, role: 'voter' } as RegionPeer;
  const region = {
    id: firstId + 2 * i,
    start: i === 0 ? new Uint8Array(0) : keyOfRegion(i),
    end: i === regions - 1 ? new Uint8Array(0) : keyOfRegion(i + 1),
    // Version 2: newer than the region PD bootstraps for the fake store, which it replaces.
    epoch: { confVer: 1, version: 2 },
    peers: [leader],
  } as Region;
  return { region, leader };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** PD's key for a region in its core (placement/pd/service.ts: IDs zero-padded to 20 digits). */
const directoryKey = (id: number) => Buffer.from(`/flotilla/pd/regions/${String(id).padStart(20, '0')}`);

async function gateway(url: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, url), { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}${path}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** Writes regions lo .. hi - 1 into PD's directory keys, as PD would, in txns of 128 puts. */
async function putDirectly(leaderUrl: string, lo: number, hi: number, regions: number, firstId: number, storeId: number): Promise<void> {
  for (let a = lo; a < hi; a += txnOpsMax) {
    const success = [];
    for (let i = a; i < Math.min(hi, a + txnOpsMax); i++) {
      const { region } = syntheticRegion(i, regions, firstId, storeId);
      success.push({ requestPut: { key: directoryKey(region.id).toString('base64'), value: Buffer.from(pack(region)).toString('base64') } });
    }
    await gateway(leaderUrl, '/v3/kv/txn', { success });
  }
}

/** How many keys PD's core holds under /flotilla/pd/regions/ (dropped regions leave empty values). */
async function directoryKeys(url: string): Promise<number> {
  const start = Buffer.from('/flotilla/pd/regions/');
  const end = Buffer.from('/flotilla/pd/regions0');
  const j = (await gateway(url, '/v3/kv/range', { key: start.toString('base64'), range_end: end.toString('base64'), count_only: true })) as { count?: string };
  return Number(j.count ?? 0);
}

/** One internal call to one member (no leader following): status and answer. */
async function callMember<T>(url: string, body: unknown, timeoutMs: number): Promise<{ status: number; value: T | undefined }> {
  const r = await postMsgpack(agent, new URL('/pd/internal', url), pack(body), timeoutMs);
  return { status: r.status, value: r.status === 200 ? unpack<T>(r.body) : undefined };
}

/** The Raft leader a member's etcd status names (0: none), or undefined if it does not answer. */
async function statusLeader(url: string): Promise<{ leader: string; member: string } | undefined> {
  try {
    const res = await fetch(new URL('/v3/maintenance/status', url), { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
    if (res.status !== 200) return undefined;
    const j = (await res.json()) as { leader?: string; header?: { member_id?: string } };
    return { leader: j.leader ?? '0', member: j.header?.member_id ?? '' };
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const s = parse(process.argv.slice(2));
  const date = new Date();
  const m = machineNow();
  const r = new Report();
  r.print(`sharding/pd_failover: PD leader killed with ${targetRegions.toLocaleString('en-US')} regions in its directory: a new PD leader serves routes in < ${targetS} s`);
  r.print(`command:  ${commandLine()}`);
  for (const l of machineLines(m)) r.print(l);
  r.print(`settings: 3 PD members (range mode, --replicas 1, etcd's default 100 ms heartbeat / 1000 ms election timeout, fsync on), no stores; ${s.regions.toLocaleString('en-US')} synthetic regions ${s.fill === 'heartbeats' ? `sent as ${s.batch}-heartbeat 'regionHeartbeats' calls` : `written to PD's directory keys in batches of ${s.batch}`}, ${s.concurrency} at once; ${s.probes} probe keys`);
  r.print(s.regions < targetRegions ? `scaled:   ${s.regions.toLocaleString('en-US')} regions instead of ${targetRegions.toLocaleString('en-US')} (--regions)` : 'scaled:   nothing (the target\'s 100,000 regions)');
  r.print();

  const root = mkdtempSync(join(os.tmpdir(), 'flotilla-pd-failover-'));
  const ports = await freePorts(6);
  const url = (p: number) => `http://127.0.0.1:${p}`;
  const names = ['pd1', 'pd2', 'pd3'];
  const clientUrls = names.map((_, i) => url(ports[2 * i]!));
  const initial = names.map((n, i) => `${n}=${url(ports[2 * i + 1]!)}`).join(',');
  const procs = names.map((n, i) => new FlotillaProc(n, [
    'pd', '--mode', 'range', '--replicas', '1',
    '--name', n, '--data-dir', join(root, n),
    '--listen-client-urls', clientUrls[i]!, '--advertise-client-urls', clientUrls[i]!,
    '--listen-peer-urls', url(ports[2 * i + 1]!), '--initial-advertise-peer-urls', url(ports[2 * i + 1]!),
    '--initial-cluster', initial, '--initial-cluster-token', 'flotilla-pd-failover',
  ]));
  const pd = new PdClient(clientUrls);
  let survivors: PdClient | undefined;
  try {
    await Promise.all(procs.map((p) => p.waitFor(/serving on/, 60_000)));
    // ---- fill the directory ----
    const storeId = (await pd.call<{ first: number }>({ call: 'allocIds', count: 1 })).first;
    const fakeUrl = 'http://127.0.0.1:1';
    await pd.call({ call: 'storeHeartbeat', hb: { id: storeId, clientUrl: fakeUrl, peerUrl: fakeUrl, lanes: 1, regionCount: s.regions, leaderCount: s.regions, capacityBytes: 1e12, availableBytes: 1e12 } });
    const firstId = (await pd.call<{ first: number }>({ call: 'allocIds', count: 2 * s.regions })).first;
    r.print(`fill: fake store ${storeId}; regions ${firstId}, ${firstId + 2} ... (IDs from PD's allocator)`);
    // Which member leads (a follower answers 503)?
    const leaderOf = async () => {
      for (let i = 0; i < clientUrls.length; i++) {
        const a = await callMember(clientUrls[i]!, { call: 'regionById', id: firstId }, 10_000).catch(() => ({ status: 0, value: undefined }));
        if (a.status === 200) return i;
      }
      throw new Error('no PD member answers as the leader');
    };
    const fillLeader = await leaderOf();
    const t0 = performance.now();
    let next = 0;
    let sent = 0;
    let fillRetries = 0;
    let lastSaid = t0;
    const sender = async () => {
      while (next < s.regions) {
        const lo = next;
        const hi = Math.min(s.regions, lo + s.batch);
        next = hi;
        if (s.fill === 'direct') {
          await putDirectly(clientUrls[fillLeader]!, lo, hi, s.regions, firstId, storeId);
        } else {
          const hbs = [];
          for (let i = lo; i < hi; i++) hbs.push({ ...syntheticRegion(i, s.regions, firstId, storeId), approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
          // PdClient gives up after 10 s; PD may take longer (a new leader loading the directory
          // after a leader change under this load): the call is sent again, heartbeats are idempotent.
          const giveUpAt = Date.now() + s.timeoutS * 1000;
          for (;;) {
            try {
              await pd.call({ call: 'regionHeartbeats', store: storeId, hbs });
              break;
            } catch (err) {
              fillRetries++;
              if (Date.now() > giveUpAt) throw err;
            }
          }
        }
        sent += hi - lo;
        if (performance.now() - lastSaid > 15_000) {
          lastSaid = performance.now();
          r.print(`  ${sent.toLocaleString('en-US')} regions sent, ${Math.round(sent / ((lastSaid - t0) / 1000))} regions/s${fillRetries > 0 ? `, ${fillRetries} calls sent again after PD did not answer within 10 s` : ''}`);
        }
      }
    };
    await Promise.all(Array.from({ length: s.concurrency }, sender));
    const fillS = (performance.now() - t0) / 1000;
    const leaderIndex = await leaderOf();
    // Does the directory hold exactly the R regions? The leader's memory (heartbeats) or its keys
    // (direct: R keys beside the bootstrap region's, which the new leader drops as overlapped).
    let listed: number;
    if (s.fill === 'heartbeats') {
      listed = (await callMember<unknown[]>(clientUrls[leaderIndex]!, { call: 'regions' }, 120_000)).value?.length ?? -1;
    } else {
      listed = (await directoryKeys(clientUrls[leaderIndex]!)) - 1;
    }
    r.print(`fill: ${s.regions.toLocaleString('en-US')} regions by ${s.fill} in ${round1(fillS)} s (${Math.round(s.regions / fillS)} regions/s); the leader ${names[leaderIndex]} ${s.fill === 'heartbeats' ? 'lists' : 'holds keys of'} ${listed.toLocaleString('en-US')} regions`);
    if (leaderIndex !== fillLeader) r.print(`NB: during the fill the PD leader moved from ${names[fillLeader]} to ${names[leaderIndex]}`);
    if (fillRetries > 0) r.print(`NB: ${fillRetries} heartbeat calls were sent again after PD did not answer within PdClient's 10 s`);
    if (listed !== s.regions) throw new Error(`PD's directory holds ${listed} regions, not ${s.regions}`);
    await sleep(2000);

    // ---- kill the leader ----
    const killed = procs[leaderIndex]!;
    const rest = clientUrls.filter((_, i) => i !== leaderIndex);
    const killedMember = (await statusLeader(clientUrls[leaderIndex]!))?.member;
    const probes = Array.from({ length: s.probes }, (_, j) => Math.floor(((j + 0.5) * s.regions) / s.probes));
    survivors = new PdClient(rest);
    const k0 = performance.now();
    await killed.kill('SIGKILL');
    r.print(`kill: SIGKILL ${names[leaderIndex]} (pid ${killed.pid}), the PD leader`);
    const deadline = Date.now() + s.timeoutS * 1000;
    let electedMs: number | undefined;
    let newLeader = '';
    const watchElection = async () => {
      while (electedMs === undefined && Date.now() < deadline) {
        for (const u of rest) {
          const st = await statusLeader(u);
          if (st && st.leader !== '0' && st.leader !== killedMember) {
            electedMs = performance.now() - k0;
            break;
          }
        }
        if (electedMs === undefined) await sleep(10);
      }
    };
    let servesMs: number | undefined;
    let attempts = 0;
    let lastError = '';
    const watchRoutes = async () => {
      while (servesMs === undefined && Date.now() < deadline) {
        attempts++;
        try {
          const found = await survivors!.call<{ region: Region } | null>({ call: 'regionByKey', key: keyOfRegion(probes[0]!) });
          if (found?.region.id !== firstId + 2 * probes[0]!) throw new Error(`regionByKey answered region ${found?.region.id ?? 'none'}, not ${firstId + 2 * probes[0]!}`);
          servesMs = performance.now() - k0;
        } catch (err) {
          lastError = (err as Error).message;
          await sleep(10);
        }
      }
    };
    await Promise.all([watchElection(), watchRoutes()]);
    if (servesMs === undefined) throw new Error(`no surviving PD member served routes within ${s.timeoutS} s (${attempts} calls; the last error: ${lastError})`);
    // The other probes, from the same new leader.
    let right = 1;
    for (const i of probes.slice(1)) {
      const key = Buffer.concat([keyOfRegion(i), Buffer.from('/x')]);
      const found = await survivors.call<{ region: Region } | null>({ call: 'regionByKey', key });
      if (found?.region.id === firstId + 2 * i && Buffer.from(found.region.start).equals(keyOfRegion(i))) right++;
    }
    for (let i = 0; i < rest.length; i++) {
      const a = await callMember(rest[i]!, { call: 'regionById', id: firstId }, 10_000).catch(() => ({ status: 0, value: undefined }));
      if (a.status === 200) newLeader = names[clientUrls.indexOf(rest[i]!)]!;
    }
    r.print();
    r.print(`regions in the directory:       ${s.regions.toLocaleString('en-US')}`);
    r.print(`new Raft leader elected after:  ${electedMs === undefined ? 'not seen' : `${round2(electedMs / 1000)} s`}`);
    r.print(`new PD leader serves routes:    ${round2(servesMs / 1000)} s after the kill (${newLeader || 'a survivor'}; ${right}/${s.probes} probe keys routed right)`);
    if (electedMs !== undefined) r.print(`  of which loading the directory: ~${round2((servesMs - electedMs) / 1000)} s`);
    const met = servesMs / 1000 < targetS && right === s.probes;
    r.print(`target < ${targetS} s with ${targetRegions.toLocaleString('en-US')} regions: ${met ? 'met' : 'NOT met'}${s.regions < targetRegions ? ` (at ${s.regions.toLocaleString('en-US')} regions)` : ''}`);
    const dir = writeResults(resultsDir('pd_failover', date), {
      benchmark: 'sharding/pd_failover', date: date.toISOString(), command: commandLine(), machine: m, settings: s,
      fill: { seconds: round2(fillS), regionsPerS: Math.round(s.regions / fillS), listed },
      killed: names[leaderIndex], newLeader, electedS: electedMs === undefined ? null : round2(electedMs / 1000), servesS: round2(servesMs / 1000), probesRight: right, targetS, met,
    }, r.lines);
    r.print(`results:  ${dir}`);
    return 0;
  } catch (err) {
    for (const p of procs) process.stderr.write(`---- ${p.name} (last lines)\n${p.tail(15)}\n`);
    throw err;
  } finally {
    pd.close();
    survivors?.close();
    agent.destroy();
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`sharding/pd_failover: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);

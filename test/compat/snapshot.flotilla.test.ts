// Raft snapshots: a follower that falls behind the leader's compacted log catches up from an image
// of the leader's state, and every member restarts from what it has on disk afterwards.
//
// Three members with a small --snapshot-count and --experimental-snapshot-catchup-entries, so the
// leader compacts its log every few dozen entries. One follower is frozen (SIGSTOP) while keys,
// a lease and a delete are written, then thawed: the log no longer has what it missed, so it must
// install a snapshot. Checked: the follower's data equals the leader's (hashkv), its lease
// registry has the lease with its key, a watch opened on it before the freeze sees every event
// exactly once and in order, the snapshot counters moved, and both the follower and the leader
// come back with the same data after SIGKILL and restart. (Flotilla only: etcd 3.4 has no
// --experimental-snapshot-catchup-entries, so it keeps 5,000 entries after each compaction.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { after, test } from 'node:test';
import { cleanEnv, startFlotilla, type Cluster } from '../support/servers.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Json = Record<string, any>;

async function post(url: string, path: string, body: unknown): Promise<Json> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as Json;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

/** A gateway watch stream: every event it delivered, in order. */
function openWatch(url: string, prefix: string): Promise<{ events: Array<{ type: string; key: string; rev: number }>; close(): void }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const events: Array<{ type: string; key: string; rev: number }> = [];
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/v3/watch', agent: false }, (res) => {
      let buf = '';
      let created = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const r = (JSON.parse(line) as Json).result as Json;
          for (const e of (r.events as Json[] | undefined) ?? []) {
            events.push({ type: e.type ?? 'PUT', key: unb64(e.kv.key), rev: Number(e.kv.mod_revision) });
          }
          if (!created && r.created) {
            created = true;
            resolve({ events, close: () => req.destroy() });
          }
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => reject(e));
    const end = Buffer.from([...Buffer.from(prefix)].map((c, i, a) => (i === a.length - 1 ? c + 1 : c)));
    req.end(JSON.stringify({ create_request: { key: b64(prefix), range_end: end.toString('base64') } }));
  });
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

const puts = 1200;

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.stop();
});

test('a follower behind the compacted log catches up from a snapshot; members restart from what they hold', async () => {
  cluster = await startFlotilla({ members: 3, extraFlags: ['--snapshot-count', '40', '--experimental-snapshot-catchup-entries', '5'] });
  const c = cluster;
  const status = await Promise.all(c.clientUrls.map((u) => post(u, '/v3/maintenance/status', {})));
  const lead = status.findIndex((s) => s.leader === s.header.member_id);
  assert.ok(lead >= 0, 'no leader');
  const f = (lead + 1) % 3;
  const L = c.clientUrls[lead]!;
  const F = c.clientUrls[f]!;

  await post(L, '/v3/kv/put', { key: b64('w/0'), value: b64('before') });
  // Linearizable read on F: it has applied w/0 before its watch starts.
  await post(F, '/v3/kv/range', { key: b64('w/0') });
  const watch = await openWatch(F, 'w/');

  const pid = c.pid(f)!;
  process.kill(pid, 'SIGSTOP');
  let leaseId: string;
  try {
    // More append messages than the leader keeps in flight to one follower (256), so the
    // follower cannot simply find everything it missed queued on its socket.
    let next = 1;
    const writer = async (): Promise<void> => {
      while (next <= puts) {
        const i = next++;
        await post(L, '/v3/kv/put', { key: b64(`w/${i}`), value: b64(`v${i}`) });
      }
    };
    await Promise.all([writer(), writer(), writer()]);
    leaseId = (await post(L, '/v3/lease/grant', { TTL: 600 })).ID as string;
    await post(L, '/v3/kv/put', { key: b64('l/key'), value: b64('leased'), lease: leaseId });
    await post(L, '/v3/kv/deleterange', { key: b64('w/0') });
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const leaderRev = Number((await post(L, '/v3/kv/range', { key: b64('w/0') })).header.revision);

  await until('the follower caught up', async () => {
    const r = await post(F, '/v3/kv/range', { key: b64('w/'), range_end: b64('w0'), count_only: true, serializable: true });
    return Number(r.header.revision) >= leaderRev;
  });
  assert.ok((await metric(F, 'etcd_network_snapshot_receive_success')) >= 1, 'the follower installed no snapshot');
  assert.ok((await metric(L, 'etcd_network_snapshot_send_success')) >= 1, 'the leader sent no snapshot');

  // HashKV has no gateway path of its own in etcd 3.4 (it shares /v3/maintenance/hash): etcdctl.
  const hashes = async (): Promise<string[]> => {
    const out = execFileSync('etcdctl', ['--endpoints', c.clientUrls.join(','), 'endpoint', 'hashkv', `--rev=${leaderRev}`, '-w', 'json'], {
      env: cleanEnv({ ETCDCTL_API: '3' }),
      encoding: 'utf8',
    });
    const byEndpoint = new Map((JSON.parse(out) as Json[]).map((e) => [e.Endpoint as string, String(e.HashKV.hash)]));
    return c.clientUrls.map((u) => byEndpoint.get(u)!);
  };
  const h = await hashes();
  assert.equal(new Set(h).size, 1, `hashkv at ${leaderRev} differs between members: ${h.join(', ')}`);

  const ttl = await post(F, '/v3/lease/timetolive', { ID: leaseId, keys: true });
  assert.deepEqual(((ttl.keys as string[] | undefined) ?? []).map(unb64), ['l/key']);

  // The watch opened before the freeze: every put and the delete, each once, in revision order.
  await until('the watch delivered every event', async () => watch.events.length >= puts + 1);
  await sleep(300);
  watch.close();
  assert.equal(watch.events.length, puts + 1, `watch events: ${JSON.stringify(watch.events.slice(puts - 5))}`);
  for (let i = 1; i < watch.events.length; i++) assert.ok(watch.events[i]!.rev > watch.events[i - 1]!.rev, `revision order broken at ${i}`);
  assert.deepEqual(new Set(watch.events.slice(0, puts).map((e) => e.key)), new Set(Array.from({ length: puts }, (_, i) => `w/${i + 1}`)));
  assert.deepEqual(watch.events[puts], { type: 'DELETE', key: 'w/0', rev: leaderRev });

  // Restarts: the follower from its installed image, the leader from its compacted log.
  for (const i of [f, lead]) {
    await c.kill(i, 'SIGKILL');
    await c.restart(i);
  }
  await post(c.clientUrls[f]!, '/v3/kv/put', { key: b64('after'), value: b64('restart') });
  const after = await Promise.all(c.clientUrls.map((u) => post(u, '/v3/kv/range', { key: b64('w/'), range_end: b64('w0'), count_only: true })));
  assert.deepEqual(after.map((r) => Number(r.count)), [puts, puts, puts]);
  const h2 = await hashes();
  assert.deepEqual(h2, h, 'hashkv at the same revision changed across restarts');
  process.stdout.write(`# snapshot catch-up: follower installed a snapshot at revision ${leaderRev}; hashkv ${h[0]} on all 3 members, before and after restarts\n`);
  await c.stop();
  cluster = undefined;
});

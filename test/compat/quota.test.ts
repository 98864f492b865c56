// The space quota (--quota-backend-bytes) and the NOSPACE alarm, against real etcd and against
// Flotilla: the same etcdctl and gateway requests must print the same thing (member IDs aside).
//
// A member with a small quota is filled with 20 kB values until a put fails; then the alarm is
// listed, shown in endpoint status and /health, writes and lease grants are refused while deletes
// go on, the alarm is disarmed, and alarms of another member are raised and cleared by hand.
// How many puts fit differs (etcd counts its file size, Flotilla the pages LMDB uses), so that
// number is not compared.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { cleanEnv, startCluster, type Cluster, type Target } from '../support/servers.js';

const quotaBytes = 300_000;
const value = 'x'.repeat(20_000);

const clusters: Cluster[] = [];
after(async () => {
  for (const c of clusters) await c.stop();
});

function etcdctl(url: string, args: string[]): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    execFile('etcdctl', [`--endpoints=${url}`, '--command-timeout=10s', ...args], { env: cleanEnv({ ETCDCTL_API: '3' }) }, (err, stdout, stderr) => {
      // etcdctl's client logs a JSON retry warning before the error line: keep the error line.
      const errLine = stderr.split('\n').filter((l) => l.startsWith('Error:')).join('\n');
      resolve({ out: (stdout + errLine).trim(), code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
  });
}

async function gateway(url: string, path: string, body: unknown): Promise<string> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return `${res.status} ${await res.text()}`;
}

async function transcript(target: Target): Promise<string[]> {
  const c = await startCluster(target, { extraFlags: ['--quota-backend-bytes', String(quotaBytes)] });
  clusters.push(c);
  const url = c.clientUrls[0]!;
  const lines: string[] = [];
  const record = (what: string, out: string) => lines.push(`$ ${what}`, ...out.split('\n'));

  let failed: { out: string; code: number } | undefined;
  for (let i = 1; i <= 200 && failed === undefined; i++) {
    const r = await etcdctl(url, ['put', `k${i}`, value]);
    if (r.code !== 0) failed = r;
  }
  assert.ok(failed, `200 puts of 20 kB fit in a ${quotaBytes}-byte quota`);
  record('put until it fails', failed.out);
  record('alarm list', (await etcdctl(url, ['alarm', 'list'])).out);
  const statusJson = (await etcdctl(url, ['endpoint', 'status', '-w', 'json'])).out;
  const status = JSON.parse(statusJson) as Array<{ Status: { errors?: string[] } }>;
  // A uint64 that JSON.parse would round: read it from the text.
  const id = /"member_id":(\d+)/.exec(statusJson)![1]!;
  record('endpoint status: errors', JSON.stringify(status[0]!.Status.errors ?? []));
  record('GET /health', await (await fetch(`${url}/health`)).text());
  record('put a b', (await etcdctl(url, ['put', 'a', 'b'])).out);
  record('lease grant 100', (await etcdctl(url, ['lease', 'grant', '100'])).out);
  record('POST /v3/kv/txn (a put)', await gateway(url, '/v3/kv/txn', { success: [{ request_put: { key: 'YQ==', value: 'Yg==' } }] }));
  record('POST /v3/kv/txn (reads only)', (await gateway(url, '/v3/kv/txn', { success: [{ request_range: { key: 'YQ==' } }] })).replace(/"revision":"\d+"/g, '"revision":"<rev>"').replace(/"raft_term":"\d+"/, '"raft_term":"<term>"').replace(/"cluster_id":"\d+"/, '"cluster_id":"<cluster>"'));
  record('del k1', (await etcdctl(url, ['del', 'k1'])).out);
  record('alarm disarm', (await etcdctl(url, ['alarm', 'disarm'])).out);
  record('alarm list (after disarm)', (await etcdctl(url, ['alarm', 'list'])).out);
  for (const [action, alarm] of [['ACTIVATE', 'NOSPACE'], ['GET', 'NONE'], ['DEACTIVATE', 'NOSPACE'], ['DEACTIVATE', 'CORRUPT'], ['GET', 'NONE']] as const) {
    record(`POST /v3/maintenance/alarm ${action} 42 ${alarm}`, await gateway(url, '/v3/maintenance/alarm', { action, memberID: '42', alarm }));
  }
  await c.stop();
  // The member ID is the only thing that differs: it hashes the peer URL, whose port differs.
  return lines.map((l) => l.split(id).join('<member>'));
}

test('the space quota raises NOSPACE and refuses growth as etcd does', async () => {
  const etcd = await transcript('etcd');
  const flotilla = await transcript('flotilla');
  assert.deepEqual(flotilla, etcd);
  // The transcript is not trivially empty: it saw the error and the alarm.
  assert.ok(etcd.includes('Error: etcdserver: mvcc: database space exceeded'));
  assert.ok(etcd.includes('memberID:<member> alarm:NOSPACE'));
});

// Records real etcd's gateway answers to gatewaySteps into fixtures/gateway.json. Needs `etcd`
// (3.4.23) on PATH; run by hand after changing the scenario:
//   npm run build && node dist/test/api/record-fixtures.js
// Then review the fixture diff: it is the behaviour our gateway is held to.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeClusterId, fakeMemberId, fakeRaftTerm } from './fake-backend.js';
import { gatewaySteps, normalize, type Recorded } from './gateway-scenario.js';
import { httpRequest, streamLines } from './harness.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'etcd-fixtures-'));
const [client, peer] = [await freePort(), await freePort()];
const etcd = spawn(
  'etcd',
  [
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `http://127.0.0.1:${client}`,
    '--advertise-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `default=http://127.0.0.1:${peer}`,
  ],
  { stdio: 'ignore' },
);
try {
  for (let i = 0; ; i++) {
    const ok = await httpRequest(client, 'GET', '/health').then((r) => r.status === 200, () => false);
    if (ok) break;
    if (i > 100) throw new Error('etcd did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
  const ids = { clusterId: fakeClusterId.toString(), memberId: fakeMemberId.toString(), raftTerm: String(fakeRaftTerm) };
  const recorded: Recorded[] = [];
  for (const step of gatewaySteps) {
    if (step.lines) {
      const lines = await streamLines(client, step.path, step.body ?? '', step.lines);
      recorded.push({ name: step.name, status: 200, body: normalize(lines.join('\n'), ids) });
    } else {
      const r = await httpRequest(client, step.method ?? 'POST', step.path, step.body);
      recorded.push({ name: step.name, status: r.status, body: normalize(r.body, ids) });
    }
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), '../../../test/api/fixtures/gateway.json');
  writeFileSync(out, `${JSON.stringify(recorded, null, 1)}\n`);
  console.log(`recorded ${recorded.length} answers into ${out}`);
} finally {
  etcd.kill();
  rmSync(dir, { recursive: true, force: true });
}

// One client URL serves gRPC and the gateway on the same port, over plain TCP or TLS, and
// survives malformed input.

import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServerMetrics } from '../../src/api/metrics.js';
import { b64, grpcClient, post, startHarness, unary, httpRequest, type Harness, type Msg } from './harness.js';

describe('one port for gRPC and HTTP', () => {
  let h: Harness;
  let kv: Msg;
  const metrics = new ServerMetrics({ processMetrics: false });
  before(async () => {
    h = await startHarness({ metrics });
    kv = grpcClient('etcdserverpb.KV', h.port);
  });
  after(async () => {
    kv.close();
    await h.close();
  });

  it('serves a gRPC put and a gateway range of it on the same port', async () => {
    await unary(kv, 'Put', { key: Buffer.from('same'), value: Buffer.from('port') });
    const r = await post(h.port, '/v3/kv/range', `{"key":"${b64('same')}"}`);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).kvs[0].value, b64('port'));
  });

  it('answers malformed protobuf with an error and keeps serving the connection', async () => {
    const raw = (bytes: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        (kv as grpc.Client).makeUnaryRequest(
          '/etcdserverpb.KV/Range',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (err) => resolve(err),
        ),
      );
    const err = await raw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.ok(err);
    assert.notEqual(err.code, grpc.status.OK);
    assert.equal((await unary(kv, 'Range', { key: Buffer.from('same') })).count, '1');
  });

  it('answers malformed JSON with 400 and serves the next request', async () => {
    const bad = await post(h.port, '/v3/kv/put', '{"key":');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).code, 3);
    assert.equal((await post(h.port, '/v3/kv/range', `{"key":"${b64('same')}"}`)).status, 200);
  });

  it('survives a connection that sends garbage and hangs up', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(h.port, '127.0.0.1', () => s.end('\x00\x01garbage\r\n\r\n'));
      s.on('error', () => {});
      s.on('close', () => resolve());
      s.resume();
    });
    assert.equal((await post(h.port, '/v3/kv/range', `{"key":"${b64('same')}"}`)).status, 200);
  });

  it('serves /health, /version and etcd metrics counting gRPC calls by method and code', async () => {
    assert.equal((await httpRequest(h.port, 'GET', '/health')).body, '{"health":"true"}');
    assert.equal((await httpRequest(h.port, 'GET', '/version')).body, '{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}');
    metrics.setHasLeader(true);
    await assert.rejects(unary(kv, 'Range', {}));
    const text = (await httpRequest(h.port, 'GET', '/metrics')).body;
    assert.match(text, /^etcd_server_has_leader 1$/m);
    assert.match(
      text,
      /^grpc_server_handled_total\{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range",grpc_code="InvalidArgument"\} 1$/m,
    );
    assert.match(text, /^etcd_network_client_grpc_received_bytes_total [1-9]\d*$/m);
    assert.match(text, /^etcd_disk_wal_fsync_duration_seconds_bucket\{le="8.192"\} 0$/m);
  });

  it('streams gateway watch events as {"result":...} lines', async () => {
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/v3/watch', agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          lines.push(...c.toString().split('\n').filter((l) => l !== ''));
          if (lines.length === 1) void post(h.port, '/v3/kv/deleterange', `{"key":"${b64('same')}"}`);
          if (lines.length === 2) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
      req.end(`{"create_request":{"key":"${b64('same')}"}}`);
    });
    assert.match(lines[0], /^\{"result":\{"header":\{.*\},"created":true\}\}$/);
    assert.match(lines[1], /"events":\[\{"type":"DELETE","kv":\{"key":"c2FtZQ==","mod_revision":"\d+"\}\}\]/);
  });
});

describe('TLS client URLs', () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const httpsPost = (port: number, path: string, body: string, clientCert = false) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, method: 'POST', path, ca: cert, agent: false, ...(clientCert ? { cert, key } : {}) },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('serves gRPC and the gateway over TLS on one port', async () => {
    const h = await startHarness({ urls: [new URL('https://127.0.0.1:0')], tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    const kv = grpcClient('etcdserverpb.KV', h.port, grpc.credentials.createSsl(cert));
    try {
      await unary(kv, 'Put', { key: Buffer.from('tls'), value: Buffer.from('yes') });
      const r = await httpsPost(h.port, '/v3/kv/range', `{"key":"${b64('tls')}"}`);
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).kvs[0].value, b64('yes'));
    } finally {
      kv.close();
      await h.close();
    }
  });

  it('refuses clients without a trusted certificate when client cert auth is on', async () => {
    const h = await startHarness({ urls: [new URL('https://127.0.0.1:0')], tls: { cert, key, ca: cert, clientCertAuth: true } });
    try {
      await assert.rejects(httpsPost(h.port, '/v3/kv/range', `{"key":"${b64('x')}"}`));
      const ok = await httpsPost(h.port, '/v3/kv/range', `{"key":"${b64('x')}"}`, true);
      assert.equal(ok.status, 200);
      const kv = grpcClient('etcdserverpb.KV', h.port, grpc.credentials.createSsl(cert, key, cert));
      try {
        assert.equal((await unary(kv, 'Range', { key: Buffer.from('x') })).count, '0');
      } finally {
        kv.close();
      }
    } finally {
      await h.close();
    }
  });
});

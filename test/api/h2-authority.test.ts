// The HTTP/2 authority filter: clients that send a URL as :authority (grpc-go's
// `passthrough:///http://host:port`, as etcdctl's `endpoint status` dials) get served, and every
// other connection passes byte for byte.

import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AuthorityFilter, fixedAuthority, hostPortOf, isValidAuthority, type AuthorityFilterLimits } from '../../src/api/h2-authority.js';
import { HpackDecoder, type HeaderField } from '../../src/api/hpack.js';
import { huffmanCodes } from '../../src/api/hpack-tables.js';
import { loadProtos } from '../../src/api/grpc-server.js';
import { startHarness, unary, type Harness, type Msg } from './harness.js';

// --- HTTP/2 and HPACK by hand -------------------------------------------------------------

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const T = { data: 0, headers: 1, rst: 3, settings: 4, pushPromise: 5, ping: 6, windowUpdate: 8, continuation: 9 };
const F = { endStream: 1, endHeaders: 4, padded: 8, priority: 0x20 };

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  raw: Buffer;
}

function parseFrames(buf: Buffer): Frame[] {
  assert.deepEqual(buf.subarray(0, 24), preface);
  const out: Frame[] = [];
  for (let at = 24; at < buf.length; ) {
    const length = buf.readUIntBE(at, 3);
    out.push({ type: buf[at + 3], flags: buf[at + 4], streamId: buf.readUInt32BE(at + 5), payload: buf.subarray(at + 9, at + 9 + length), raw: buf.subarray(at, at + 9 + length) });
    at += 9 + length;
  }
  return out;
}

function int(flags: number, prefixBits: number, v: number): number[] {
  const mask = (1 << prefixBits) - 1;
  if (v < mask) return [flags | v];
  const out = [flags | mask];
  for (v -= mask; v >= 128; v = Math.floor(v / 128)) out.push((v % 128) | 0x80);
  out.push(v);
  return out;
}

function huffman(s: string): Buffer {
  let bits = '';
  for (const c of Buffer.from(s, 'latin1')) bits += huffmanCodes[c][0].toString(2).padStart(huffmanCodes[c][1], '0');
  bits += '1'.repeat((8 - (bits.length % 8)) % 8);
  return Buffer.from(Array.from({ length: bits.length / 8 }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)));
}

const str = (s: string, huff: boolean) => {
  const bytes = huff ? huffman(s) : Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from(int(huff ? 0x80 : 0, 7, bytes.length)), bytes]);
};
/** Indexed field. */
const idx = (i: number) => Buffer.from(int(0x80, 7, i));
/** Literal with incremental indexing: by name index, or a literal name. */
const add = (name: string | number, value: string, huff = true) =>
  typeof name === 'number'
    ? Buffer.concat([Buffer.from(int(0x40, 6, name)), str(value, huff)])
    : Buffer.concat([Buffer.from([0x40]), str(name, huff), str(value, huff)]);
/** Literal without indexing, literal name. */
const lit = (name: string, value: string) => Buffer.concat([Buffer.from([0x00]), str(name, false), str(value, false)]);

const settings = frame(T.settings, 0, 0, Buffer.from([0, 2, 0, 0, 0, 0, 0, 4, 0, 0x10, 0, 0]));
const windowUpdate = frame(T.windowUpdate, 0, 0, Buffer.from([0, 0x0f, 0, 1]));
const ping = frame(T.ping, 0, 0, Buffer.from('12345678'));

/**
 * A client's bytes: two requests whose header blocks use padding, priority, Huffman, the
 * dynamic table and a CONTINUATION, around DATA and control frames.
 */
function clientStream(authority: string): { bytes: Buffer; requests: HeaderField[][] } {
  const block1 = Buffer.concat([
    idx(3), // :method POST
    idx(6), // :scheme http
    add(4, '/etcdserverpb.KV/Range'), // :path by static name
    add(1, authority), // :authority by static name
    add('content-type', 'application/grpc', false),
    add('te', 'trailers'),
    add('user-agent', 'grpc-go/1.26.0'),
  ]);
  const request1 = [
    [':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.KV/Range'], [':authority', authority],
    ['content-type', 'application/grpc'], ['te', 'trailers'], ['user-agent', 'grpc-go/1.26.0'],
  ];
  const headers1 = frame(
    T.headers, F.endHeaders | F.padded | F.priority, 1,
    Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 15]), block1, Buffer.alloc(3)]),
  );
  const data1 = frame(T.data, F.endStream, 1, Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x01, 0x61]));
  // Everything from the dynamic table: newest first, 62 user-agent .. 66 :path.
  const block2 = Buffer.concat([idx(3), idx(6), idx(66), idx(65), idx(64), idx(63), idx(62)]);
  const headers2 = frame(T.headers, F.endStream, 3, block2.subarray(0, 3));
  const continuation2 = frame(T.continuation, F.endHeaders, 3, block2.subarray(3));
  return {
    bytes: Buffer.concat([preface, settings, windowUpdate, headers1, data1, ping, headers2, continuation2, ping]),
    requests: [request1, request1].map((r) => r.map(([name, value]) => ({ name, value }))),
  };
}

// --- the filter over a socket we drive by hand --------------------------------------------

function fakeSocket() {
  const written: Buffer[] = [];
  const sock = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  return { sock, written };
}

const ticks = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function runFilter(chunks: Buffer[], limits: Partial<AuthorityFilterLimits> = {}) {
  const { sock, written } = fakeSocket();
  const filter = new AuthorityFilter(sock, limits);
  const out: Buffer[] = [];
  filter.on('data', (c: Buffer) => out.push(c));
  filter.on('error', () => {});
  for (const c of chunks) {
    sock.push(c);
    await ticks(1);
  }
  await ticks();
  return { filter, sock, written, out, bytes: Buffer.concat(out) };
}

function split(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const chunkings = [1, 2, 5, 9, 10, 17, 64, 1 << 20];

describe('authority helpers', () => {
  it("accepts what nghttp2 accepts and cuts URLs down to host:port", () => {
    for (const ok of ['127.0.0.1:2379', 'localhost', '[::1]:2379', 'etcd-0.etcd:2379', 'user@host']) assert.ok(isValidAuthority(ok), ok);
    for (const bad of ['', 'http://127.0.0.1:2379', 'host/x', 'a b', 'h\u00e9']) assert.ok(!isValidAuthority(bad), bad);
    assert.equal(hostPortOf('http://127.0.0.1:2379'), '127.0.0.1:2379');
    assert.equal(hostPortOf('https://u:p@[::1]:2379/a/b?c#d'), '[::1]:2379');
    assert.equal(fixedAuthority('http://127.0.0.1:2379'), '127.0.0.1:2379');
    assert.equal(fixedAuthority('HTTPS://etcd:2379/'), 'etcd:2379');
    assert.equal(fixedAuthority('127.0.0.1:2379'), undefined);
    assert.equal(fixedAuthority('unix:///tmp/etcd.sock'), undefined);
    assert.equal(fixedAuthority('a b'), undefined);
  });
});

describe('AuthorityFilter on hand-made frames', () => {
  it('passes a connection with a valid authority through byte for byte, however the bytes arrive', async () => {
    const { bytes } = clientStream('127.0.0.1:2379');
    for (const size of chunkings) {
      const r = await runFilter(split(bytes, size));
      assert.deepEqual(r.bytes, bytes, `chunks of ${size}`);
      assert.equal(r.filter.filterMode, 'passthrough');
    }
  });

  it('hands chunks on as they came once it passes through, and server bytes the same way', async () => {
    const { bytes } = clientStream('127.0.0.1:2379');
    const later = frame(T.data, 0, 5, Buffer.alloc(1000, 7));
    const r = await runFilter([bytes, later]);
    assert.equal(r.out.at(-1), later);
    // Frames ahead of the first header block go on as views of the chunk, not copies.
    assert.equal(r.out[0].buffer, bytes.buffer);
    assert.equal(r.out[0].byteOffset, bytes.byteOffset);
    const reply = Buffer.from('server bytes');
    r.filter.write(reply);
    await ticks();
    assert.equal(r.written[0], reply);
  });

  it('rewrites a URL authority in every header block, leaving every other frame as it was', async () => {
    const { bytes, requests } = clientStream('http://127.0.0.1:2379');
    const input = parseFrames(bytes);
    let first: Buffer | undefined;
    for (const size of chunkings) {
      const r = await runFilter(split(bytes, size));
      assert.equal(r.filter.filterMode, 'rewrite');
      if (first) assert.deepEqual(r.bytes, first, `chunks of ${size}`);
      first ??= r.bytes;
    }
    const output = parseFrames(first!);
    assert.deepEqual(output.map((f) => [f.type, f.flags, f.streamId]), [
      [T.settings, 0, 0],
      [T.windowUpdate, 0, 0],
      [T.headers, F.endHeaders, 1], // no padding, no priority
      [T.data, F.endStream, 1],
      [T.ping, 0, 0],
      [T.headers, F.endStream | F.endHeaders, 3], // HEADERS + CONTINUATION joined
      [T.ping, 0, 0],
    ]);
    const others = (frames: Frame[]) => frames.filter((f) => f.type !== T.headers && f.type !== T.continuation).map((f) => f.raw);
    assert.deepEqual(others(output), others(input));
    const server = new HpackDecoder();
    const fixed = requests[0].map((f) => (f.name === ':authority' ? { ...f, value: '127.0.0.1:2379' } : f));
    assert.deepEqual(server.decode(output[2].payload), fixed);
    assert.deepEqual(server.decode(output[5].payload), fixed);
    assert.equal(server.dynamicTableLength, 0);
  });

  it('keeps following the client table across blocks, and splits big blocks into CONTINUATION frames', async () => {
    const big = 'v'.repeat(40000);
    const bytes = Buffer.concat([
      preface,
      settings,
      frame(T.headers, F.endHeaders | F.endStream, 1, Buffer.concat([idx(2), idx(6), idx(4), add(1, 'http://etcd:2379'), lit('x-big', big)])),
      frame(T.headers, F.endHeaders, 3, Buffer.concat([idx(2), idx(6), idx(4), idx(62), lit('x-big', big)])),
    ]);
    const r = await runFilter(split(bytes, 1000));
    const out = parseFrames(r.bytes);
    assert.deepEqual(out.map((f) => [f.type, f.flags, f.streamId, f.payload.length <= 16384]), [
      [T.settings, 0, 0, true],
      [T.headers, F.endStream, 1, true],
      [T.continuation, 0, 1, true],
      [T.continuation, F.endHeaders, 1, true],
      [T.headers, 0, 3, true],
      [T.continuation, 0, 3, true],
      [T.continuation, F.endHeaders, 3, true],
    ]);
    const server = new HpackDecoder();
    const expected = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'etcd:2379'], ['x-big', big]].map(([name, value]) => ({ name, value }));
    assert.deepEqual(server.decode(Buffer.concat(out.slice(1, 4).map((f) => f.payload))), expected);
    assert.deepEqual(server.decode(Buffer.concat(out.slice(4).map((f) => f.payload))), expected);
  });

  it('drops connections that send what no server could accept, and nothing throws', async () => {
    const bad = frame(T.headers, F.endHeaders, 1, Buffer.from([0x80]));
    const cases: [string, Buffer[], Partial<AuthorityFilterLimits>?][] = [
      ['HPACK index 0', [bad]],
      ['CONTINUATION without HEADERS', [frame(T.continuation, F.endHeaders, 1, idx(2))]],
      ['DATA inside a header block', [frame(T.headers, 0, 1, idx(2)), frame(T.data, 0, 1, Buffer.alloc(4))]],
      ['CONTINUATION of another stream', [frame(T.headers, 0, 1, idx(2)), frame(T.continuation, F.endHeaders, 3, idx(2))]],
      ['padding past the payload', [frame(T.headers, F.endHeaders | F.padded, 1, Buffer.from([9, 0x82]))]],
      ['priority past the payload', [frame(T.headers, F.endHeaders | F.priority, 1, Buffer.from([0, 0]))]],
      ['PUSH_PROMISE from a client', [frame(T.pushPromise, F.endHeaders, 1, Buffer.alloc(4))]],
      ['a header block over the size limit', [frame(T.headers, F.endHeaders, 1, Buffer.alloc(200)).subarray(0, 9)], { headerBlockBytesMax: 100 }],
      ['too many CONTINUATION frames', [frame(T.headers, 0, 1, idx(2)), ...Array.from({ length: 4 }, () => frame(T.continuation, 0, 1, Buffer.alloc(0)))], { headerBlockFramesMax: 3 }],
      ['a bad block after a rewritten one', [frame(T.headers, F.endHeaders, 1, Buffer.concat([idx(2), add(1, 'http://x:1')])), bad]],
    ];
    for (const [why, frames, limits] of cases) {
      const r = await runFilter([preface, settings, ...frames], limits);
      assert.ok(r.sock.destroyed, why);
      assert.ok(r.filter.destroyed, why);
    }
  });
});

// --- real HTTP/2 exchanges ----------------------------------------------------------------

function request(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer) {
  return new Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = client.request(headers);
    const chunks: Buffer[] = [];
    let response: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (response = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ headers: response, trailers, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end(body);
  });
}

describe('AuthorityFilter in front of a Node HTTP/2 server', () => {
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    let body = 0;
    stream.on('data', (c: Buffer) => (body += c.length));
    stream.on('end', () => {
      stream.respond({
        ':status': 200,
        'x-authority': String(headers[':authority']),
        'x-big': String(String(headers['x-big'] ?? '').length),
        'x-body': String(body),
      });
      stream.end();
    });
  });
  const filters: AuthorityFilter[] = [];
  const sockets = new Set<net.Socket>();
  const seen = new Map<AuthorityFilter, { in: Buffer[]; out: Buffer[] }>();
  let filtered: net.Server;
  let direct: net.Server;
  const listen = (s: net.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));
  let port: number;
  let directPort: number;
  before(async () => {
    filtered = net.createServer((sock) => {
      sockets.add(sock);
      const f = new AuthorityFilter(sock);
      const rec = { in: [] as Buffer[], out: [] as Buffer[] };
      sock.on('data', (c: Buffer) => rec.in.push(c));
      filters.push(f);
      seen.set(f, rec);
      h2.emit('connection', f);
      f.on('data', (c: Buffer) => rec.out.push(c));
    });
    direct = net.createServer((sock) => {
      sockets.add(sock);
      h2.emit('connection', sock);
    });
    port = await listen(filtered);
    directPort = await listen(direct);
  });
  after(() => {
    for (const s of sockets) s.destroy();
    filtered.close();
    direct.close();
  });

  it("is needed: Node's server resets a stream whose :authority is a URL", async () => {
    const client = http2.connect(`http://127.0.0.1:${directPort}`);
    try {
      await assert.rejects(request(client, { ':authority': `http://127.0.0.1:${directPort}`, ':path': '/' }), /PROTOCOL_ERROR/);
    } finally {
      client.destroy();
    }
  });

  it('serves requests whose :authority is a URL, the server seeing host:port', async () => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const authority = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 3; i++) {
        const r = await request(client, { ':authority': authority, ':method': 'POST', ':path': `/x/${i}`, 'x-same': 'same every time' }, Buffer.alloc(100, i));
        assert.equal(r.headers[':status'], 200);
        assert.equal(r.headers['x-authority'], `127.0.0.1:${port}`);
        assert.equal(r.headers['x-body'], '100');
      }
      const big = await request(client, { ':authority': authority, ':path': '/', 'x-big': 'b'.repeat(40000) });
      assert.equal(big.headers['x-big'], '40000');
      assert.equal(filters.at(-1)!.filterMode, 'rewrite');
    } finally {
      client.close();
    }
  });

  it('turns an error on the socket into a session error, not a crash', async () => {
    const sessionErrors: Error[] = [];
    const onSessionError = (err: Error) => sessionErrors.push(err);
    h2.on('sessionError', onSessionError);
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => {});
    try {
      await request(client, { ':path': '/' });
      const f = filters.at(-1)!;
      f.socket.destroy(new Error('connection reset'));
      await new Promise((r) => client.once('close', r));
      assert.deepEqual(sessionErrors.map((e) => e.message), ['connection reset']);
      assert.ok(f.destroyed);
    } finally {
      h2.off('sessionError', onSessionError);
      client.destroy();
    }
  });

  it('passes a connection with a valid authority through unchanged', async () => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await request(client, { ':method': 'POST', ':path': `/y/${i}` }, Buffer.alloc(50000, i));
        assert.equal(r.headers['x-authority'], `127.0.0.1:${port}`);
        assert.equal(r.headers['x-body'], '50000');
      }
    } finally {
      client.close();
    }
    const f = filters.at(-1)!;
    assert.equal(f.filterMode, 'passthrough');
    const rec = seen.get(f)!;
    assert.ok(Buffer.concat(rec.in).length > 150000);
    assert.deepEqual(Buffer.concat(rec.out), Buffer.concat(rec.in));
  });
});

describe('gRPC clients sending a URL as :authority', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('get their calls served (grpc-js with a URL as default authority)', async () => {
    const pkg = grpc.loadPackageDefinition(loadProtos().definition) as Msg;
    const kv = new pkg.etcdserverpb.KV(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure(), {
      'grpc.default_authority': `http://127.0.0.1:${h.port}`,
    }) as grpc.Client & Msg;
    try {
      await unary(kv, 'Put', { key: Buffer.from('url'), value: Buffer.from('authority') });
      const r = await unary(kv, 'Range', { key: Buffer.from('url') });
      assert.equal(r.kvs[0].value.toString(), 'authority');
    } finally {
      kv.close();
    }
  });
});

describe('gRPC over TLS with a URL as :authority', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-authority-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves Maintenance.Status to an h2 client sending https://127.0.0.1:PORT', async () => {
    const h = await startHarness({ urls: [new URL('https://127.0.0.1:0')], tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    const client = http2.connect(`https://127.0.0.1:${h.port}`, { ca: readFileSync(join(dir, 'cert.pem')) });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await request(
          client,
          { ':method': 'POST', ':path': '/etcdserverpb.Maintenance/Status', ':authority': `https://127.0.0.1:${h.port}`, 'content-type': 'application/grpc', te: 'trailers' },
          Buffer.alloc(5),
        );
        assert.equal(r.headers[':status'], 200);
        assert.equal(r.trailers['grpc-status'], '0');
        assert.ok(r.body.length > 5);
      }
    } finally {
      client.close();
      await h.close();
    }
  });
});

// etcd's JSON gateway on node:http, served directly (no gRPC hop): each POST /v3/... path decodes
// proto3 JSON into the same message a gRPC call carries and calls the same Service method.
// Also GET /health, /version and /metrics, as etcd serves them on its client URLs.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { EtcdBackend } from '../backend.js';
import { GrpcCode, httpStatusOf, statusOf, StatusError } from '../errors.js';
import type { MethodInfo, Protos } from '../grpc-server.js';
import type { ServerMetrics } from '../metrics.js';
import { unimplementedMethod, type CallContext, type Method, type Msg, type Service, type StreamSink } from '../service.js';
import { grpcOverheadBytes, type Limits } from '../validate.js';
import { decodeJsonText, encodeJson, withoutZeroes } from './json.js';
import { splitJsonValues } from './json-stream.js';
import { routeOf } from './routes.js';

export interface GatewayOptions {
  protos: Protos;
  services: Service[];
  backend: EtcdBackend;
  limits: Limits;
  metrics?: ServerMetrics;
}

export const versionBody = '{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}';

// etcd's gateway answers every request with these.
const corsHeaders = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};

export function createGatewayHandler(opts: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const methods = new Map<string, Method>();
  for (const s of opts.services) for (const m of s.methods) methods.set(`/${s.name}/${m.name}`, m);
  const methodOf = (info: MethodInfo) => methods.get(info.path) ?? unimplementedMethod(info);
  // The transport's cap as etcd's gRPC server has it; JSON and base64 may inflate a request ~4/3.
  const receiveBytesMax = opts.limits.requestBytesMax + grpcOverheadBytes;
  const bodyBytesMax = 2 * receiveBytesMax;

  return (req, res) => {
    for (const [k, v] of Object.entries(corsHeaders)) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return void health(opts.backend, res);
    if (req.method === 'GET' && path === '/version') return send(res, 200, 'application/json', versionBody);
    if (req.method === 'GET' && path === '/metrics' && opts.metrics) return void metrics(opts.metrics, res);
    const grpcPath = routeOf(path);
    if (!grpcPath) return send(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
    if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    const info = opts.protos.methods.get(grpcPath)!;
    readBody(req, bodyBytesMax).then(
      (body) => {
        if (body === undefined) return sendError(res, tooLarge(bodyBytesMax + 1, receiveBytesMax));
        const method = methodOf(info);
        const metadata = (name: string) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v[0] : v;
        };
        if (method.kind === 'unary') return unary(opts, info, method, body, metadata, receiveBytesMax, res);
        return stream(opts, info, method, body, metadata, res);
      },
      () => res.destroy(),
    );
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, err: unknown): void {
  const s = statusOf(err);
  const message = JSON.stringify(s.message);
  send(res, httpStatusOf(s.code), 'application/json', `{"error":${message},"message":${message},"code":${s.code}}`);
}

function tooLarge(bytes: number, max: number): StatusError {
  return new StatusError(GrpcCode.ResourceExhausted, `grpc: received message larger than max (${bytes} vs. ${max})`);
}

/** The body as text, or undefined when it passes `bytesMax` (the rest is discarded). */
function readBody(req: IncomingMessage, bytesMax: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= bytesMax) chunks.push(c);
    });
    req.on('end', () => resolve(bytes > bytesMax ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function contextOf(metadata: (name: string) => string | undefined, requestBytes: number): CallContext {
  return { metadata, requestBytes };
}

function unary(
  opts: GatewayOptions,
  info: MethodInfo,
  method: Extract<Method, { kind: 'unary' }>,
  body: string,
  metadata: (name: string) => string | undefined,
  receiveBytesMax: number,
  res: ServerResponse,
): void {
  let msg: Msg;
  let requestBytes: number;
  try {
    // grpc-gateway decodes the first JSON value of the body and ignores what follows.
    msg = decodeJsonText(opts.protos.schema, info.requestType, splitJsonValues(body)[0] ?? '');
    requestBytes = info.encodeRequest(withoutZeroes(opts.protos.schema, info.requestType, msg)).length;
    if (requestBytes > receiveBytesMax) throw tooLarge(requestBytes, receiveBytesMax);
  } catch (err) {
    return sendError(res, err);
  }
  method.handle(msg, contextOf(metadata, requestBytes)).then(
    (out) => {
      let text: string;
      try {
        text = encodeJson(opts.protos.schema, info.responseType, out);
      } catch (err) {
        return sendError(res, err);
      }
      send(res, 200, 'application/json', text);
    },
    (err: unknown) => sendError(res, err),
  );
}

/**
 * Streams answer newline-delimited `{"result":{...}}` objects; an error ends the stream with
 * grpc-gateway's `{"error":{"grpc_code":N,"http_code":H,"message":M,"http_status":S}}`.
 * NB: the whole request body is read before the first message is handled: HTTP/1.1 clients send
 * a stream's requests in one body, so nothing is lost but interleaving.
 */
function stream(
  opts: GatewayOptions,
  info: MethodInfo,
  method: Exclude<Method, { kind: 'unary' }>,
  body: string,
  metadata: (name: string) => string | undefined,
  res: ServerResponse,
): void {
  let requests: Msg[];
  try {
    requests = splitJsonValues(body).map((text) => decodeJsonText(opts.protos.schema, info.requestType, text));
  } catch (err) {
    return sendError(res, err);
  }
  let ended = false;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const sink: StreamSink = {
    send(msg) {
      if (ended) return;
      res.write(`{"result":${encodeJson(opts.protos.schema, info.responseType, msg)}}\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      res.end();
    },
    fail(err) {
      if (ended) return;
      ended = true;
      const s = statusOf(err);
      const httpCode = httpStatusOf(s.code);
      const error = { grpc_code: s.code, http_code: httpCode, message: s.message, http_status: STATUS_CODES[httpCode] };
      res.end(`${JSON.stringify({ error })}\n`);
    },
  };
  const ctx = contextOf(metadata, 0);
  const rx = method.kind === 'bidi' ? method.open(sink, ctx) : method.handle(requests[0] ?? decodeJsonText(opts.protos.schema, info.requestType, ''), sink, ctx);
  res.on('close', () => {
    ended = true;
    rx.close();
  });
  if (method.kind === 'bidi') {
    for (const r of requests) rx.message(r);
    rx.end();
  }
}

async function health(backend: EtcdBackend, res: ServerResponse): Promise<void> {
  let healthy = false;
  try {
    const [status, alarms] = await Promise.all([backend.status(), backend.alarm('GET', 0n, 'NONE')]);
    healthy = status.leader !== 0n && alarms.length === 0;
  } catch {
    healthy = false;
  }
  if (healthy) return send(res, 200, 'text/plain; charset=utf-8', '{"health":"true"}');
  // etcd answers an unhealthy member through Go's http.Error: a newline after the body, nosniff.
  const body = '{"health":"false"}\n';
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function metrics(m: ServerMetrics, res: ServerResponse): Promise<void> {
  try {
    const { contentType, text } = await m.exposition();
    send(res, 200, contentType, text);
  } catch (err) {
    send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
  }
}

// Test plumbing: a server over a FakeBackend on a free loopback port, a grpc-js client made
// from our own protos, and plain HTTP requests. (Tests may import grpc-js directly; product
// code reaches it only through src/api/grpc-server.ts.)

import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import { startClientServer, type ClientServer, type ClientServerOptions } from '../../src/api/index.js';
import { loadProtos } from '../../src/api/grpc-server.js';
import { FakeBackend } from './fake-backend.js';

export type Msg = Record<string, any>;

export interface Harness {
  backend: FakeBackend;
  server: ClientServer;
  port: number;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<ClientServerOptions> = {}): Promise<Harness> {
  const backend = new FakeBackend();
  const server = await startClientServer({ urls: [new URL('http://127.0.0.1:0')], backend, ...opts });
  return { backend, server, port: server.addresses[0].port, close: () => server.close() };
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials, options?: object) => grpc.Client;

export function grpcClient(service: string, port: number, creds = grpc.credentials.createInsecure()): grpc.Client & Msg {
  const pkg = grpc.loadPackageDefinition(loadProtos().definition) as Msg;
  const [ns, name] = service.split('.');
  const C = pkg[ns][name] as Ctor;
  return new C(`127.0.0.1:${port}`, creds) as grpc.Client & Msg;
}

/** Calls a unary method; resolves with the response or rejects with the grpc-js ServiceError. */
export function unary(client: Msg, method: string, req: Msg): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client[method](req, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
  });
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(port: number, method: string, path: string, body?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const post = (port: number, path: string, body = '') => httpRequest(port, 'POST', path, body);

/** Reads the first `lines` newline-delimited objects of a streaming gateway response, then hangs up. */
export function streamLines(port: number, path: string, body: string, lines: number, onOpen?: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent: false }, (res) => {
      let text = '';
      onOpen?.();
      res.on('data', (c: Buffer) => {
        text += c.toString();
        const got = text.split('\n').filter((l) => l !== '');
        if (got.length >= lines && text.endsWith('\n')) {
          req.destroy();
          resolve(got.slice(0, lines));
        }
      });
      res.on('end', () => resolve(text.split('\n').filter((l) => l !== '')));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');

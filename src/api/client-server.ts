// One listener per client URL serving both gRPC and the JSON gateway, like etcd: plain TCP for
// http:// URLs, TLS for https:// (ALPN offers h2 and http/1.1), then the first bytes decide.
//
//   const server = await startClientServer({ urls: [new URL('http://127.0.0.1:2379')], backend });
//   ... await server.close();

import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { authService } from './auth-service.js';
import type { EtcdBackend } from './backend.js';
import { clusterService } from './cluster-service.js';
import { createGatewayHandler } from './gateway/http.js';
import { createGrpcServer, loadProtos } from './grpc-server.js';
import { AuthorityFilter } from './h2-authority.js';
import { kvService } from './kv-service.js';
import { leaseService } from './lease-service.js';
import { maintenanceService } from './maintenance-service.js';
import type { ServerMetrics } from './metrics.js';
import type { Service } from './service.js';
import { sniffProtocol } from './sniff.js';
import { defaultLimits, grpcOverheadBytes, type Limits } from './validate.js';
import { watchService } from './watch-service.js';

export interface ClientTlsOptions {
  /** PEM, or read from certFile/keyFile/trustedCaFile (etcd's --cert-file, --key-file, --trusted-ca-file). */
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer;
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  /** Require a client certificate signed by the trusted CA (etcd's --client-cert-auth). */
  clientCertAuth?: boolean;
}

export interface ClientServerOptions {
  /** etcd's --listen-client-urls; port 0 picks a free port (see `addresses`). */
  urls: URL[];
  backend: EtcdBackend;
  /** Required when a URL is https://. */
  tls?: ClientTlsOptions;
  requestBytesMax?: number;
  txnOpsMax?: number;
  metrics?: ServerMetrics;
  /**
   * HTTP/1 routes served beside etcd's gateway on the same port (PD's JSON API, a store's
   * internal calls): returns true if it took the request.
   */
  httpRoutes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export interface ClientServer {
  /** Each URL with the port it listens on. */
  readonly addresses: { url: URL; port: number }[];
  close(): Promise<void>;
}

export function apiServices(backend: EtcdBackend, limits: Limits): Service[] {
  return [
    kvService(backend, limits),
    watchService(backend),
    leaseService(backend, limits),
    clusterService(backend),
    maintenanceService(backend),
    authService(),
  ];
}

function tlsContextOptions(opts: ClientTlsOptions): tls.TlsOptions {
  const cert = opts.cert ?? (opts.certFile ? readFileSync(opts.certFile) : undefined);
  const key = opts.key ?? (opts.keyFile ? readFileSync(opts.keyFile) : undefined);
  const ca = opts.ca ?? (opts.trustedCaFile ? readFileSync(opts.trustedCaFile) : undefined);
  if (!cert || !key) throw new Error('https client URLs need a certificate and a key (--cert-file, --key-file)');
  const clientCertAuth = opts.clientCertAuth === true;
  return { cert, key, ca, requestCert: clientCertAuth, rejectUnauthorized: clientCertAuth, ALPNProtocols: ['h2', 'http/1.1'] };
}

export async function startClientServer(opts: ClientServerOptions): Promise<ClientServer> {
  const limits: Limits = {
    requestBytesMax: opts.requestBytesMax ?? defaultLimits.requestBytesMax,
    txnOpsMax: opts.txnOpsMax ?? defaultLimits.txnOpsMax,
  };
  const services = apiServices(opts.backend, limits);
  const protos = loadProtos();
  const grpcServer = createGrpcServer({
    services,
    receiveBytesMax: limits.requestBytesMax + grpcOverheadBytes,
    metrics: opts.metrics,
  });
  const gateway = createGatewayHandler({ protos, services, backend: opts.backend, limits, metrics: opts.metrics });
  const routes = opts.httpRoutes;
  const httpServer = http.createServer(routes ? (req, res) => void (routes(req, res) || gateway(req, res)) : gateway);
  const sockets = new Set<Duplex>();
  const accept = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that resets before it is dispatched must not take the process down.
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    sniffProtocol(socket, (isHttp2) => {
      // The filter lets clients that send a URL as :authority (grpc-go dialled with
      // `passthrough:///http://host:port`) past Node's HTTP/2 header checks.
      if (isHttp2) grpcServer.inject(new AuthorityFilter(socket));
      else {
        httpServer.emit('connection', socket);
        // The HTTP server reads new bytes from the handle itself; the sniffed ones wait in the stream.
        socket.resume();
      }
    });
  };

  const listeners: net.Server[] = [];
  const addresses: { url: URL; port: number }[] = [];
  try {
    for (const url of opts.urls) {
      let server: net.Server;
      if (url.protocol === 'https:') {
        if (!opts.tls) throw new Error(`${url.href}: https client URLs need --cert-file and --key-file`);
        server = tls.createServer(tlsContextOptions(opts.tls), accept);
        // A failed handshake is the client's problem, not the listener's.
        server.on('tlsClientError', () => {});
      } else if (url.protocol === 'http:') {
        server = net.createServer(accept);
      } else {
        throw new Error(`${url.href}: client URLs must be http:// or https://`);
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(url.port || 2379), host, () => resolve((server.address() as net.AddressInfo).port));
      });
      listeners.push(server);
      addresses.push({ url, port });
    }
  } catch (err) {
    for (const l of listeners) l.close();
    await grpcServer.close();
    throw err;
  }

  return {
    addresses,
    async close() {
      const closed = listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
      httpServer.closeAllConnections();
      for (const s of sockets) s.destroy();
      await Promise.all([...closed, grpcServer.close()]);
    },
  };
}

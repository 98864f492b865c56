// The adapter to @grpc/grpc-js and @grpc/proto-loader: the only module that imports them. It
// loads our .proto files, describes their messages for the JSON gateway (schema.ts), and serves
// our Services (service.ts) over HTTP/2 connections handed to it by the listener.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { assert } from '../util/assert.js';
import { GrpcCode, statusOf, type GrpcCodeNumber } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import { buildSchema, type Schema } from './schema.js';
import {
  unimplementedMethod,
  type CallContext,
  type Method,
  sharedEncoding,
  type SharedEncoding,
  type Msg,
  type Service,
  type StreamReceiver,
  type StreamSink,
} from './service.js';

export interface MethodInfo {
  path: string;
  service: string;
  name: string;
  requestType: string;
  responseType: string;
  requestStream: boolean;
  responseStream: boolean;
  /** Encodes a request of this method as protobuf (the gateway measures requests with it). */
  encodeRequest(msg: Msg): Buffer;
}

export interface Protos {
  schema: Schema;
  /** By gRPC path, `/etcdserverpb.KV/Range`. */
  methods: Map<string, MethodInfo>;
  definition: protoLoader.PackageDefinition;
}

const protoFiles = ['rpc.proto', 'v3lock.proto', 'v3election.proto'];

/**
 * tsc does not copy .proto files to dist/, so they are found from the repository root: the
 * nearest folder above this module with a package.json (the same from src/ and dist/src/).
 */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'src', 'api', 'proto');
    const up = dirname(dir);
    assert(up !== dir, 'no package.json above src/api: cannot find the .proto files');
    dir = up;
  }
}

let loaded: Protos | undefined;

export function loadProtos(): Protos {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(protoFiles, {
    includeDirs: [protoDir()],
    keepCase: true,
    longs: String,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
  });
  // proto-loader names a method's types only by their simple names; ours are unique across packages.
  const fullNames = new Map<string, string[]>();
  for (const [name, def] of Object.entries(definition)) {
    if (!('format' in def)) continue;
    const simple = name.slice(name.lastIndexOf('.') + 1);
    fullNames.set(simple, [...(fullNames.get(simple) ?? []), name]);
  }
  const nameOfType = (t: protoLoader.MessageTypeDefinition<object, object>) => {
    const candidates = fullNames.get((t.type as { name: string }).name) ?? [];
    return candidates.length === 1 ? candidates[0] : undefined;
  };
  const methods = new Map<string, MethodInfo>();
  for (const [service, def] of Object.entries(definition)) {
    if ('format' in def) continue;
    for (const [name, m] of Object.entries(def as protoLoader.ServiceDefinition)) {
      const requestType = nameOfType(m.requestType);
      const responseType = nameOfType(m.responseType);
      assert(requestType && responseType, `types of ${m.path} not found`);
      methods.set(m.path, {
        path: m.path,
        service,
        name,
        requestType,
        responseType,
        requestStream: m.requestStream,
        responseStream: m.responseStream,
        encodeRequest: (msg) => m.requestSerialize(msg),
      });
    }
  }
  loaded = { schema: buildSchema(definition), methods, definition };
  return loaded;
}

export interface GrpcServerOptions {
  services: Service[];
  /** Largest message the transport accepts (etcd: requestBytesMax + 512 KiB). */
  receiveBytesMax: number;
  metrics?: ApiMetrics;
}

export interface GrpcServer {
  /** Serves one connection whose first bytes are the HTTP/2 preface (plain or TLS-decrypted). */
  inject(socket: Duplex): void;
  close(): Promise<void>;
}

const codeName = new Map<number, string>(Object.entries(GrpcCode).map(([k, v]) => [v, k]));

function serviceError(err: unknown): grpc.ServiceError {
  const s = statusOf(err);
  return Object.assign(new Error(s.message), { code: s.code, details: s.message, metadata: new grpc.Metadata() });
}

export function createGrpcServer(opts: GrpcServerOptions): GrpcServer {
  const protos = loadProtos();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.receiveBytesMax,
    'grpc.max_send_message_length': -1,
  });
  const byName = new Map(opts.services.map((s) => [s.name, s]));
  for (const [serviceName, def] of Object.entries(protos.definition)) {
    if ('format' in def) continue;
    const impl = byName.get(serviceName);
    const methods = new Map((impl?.methods ?? []).map((m) => [m.name, m]));
    const measured: Record<string, grpc.MethodDefinition<object, object>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, m] of Object.entries(def as protoLoader.ServiceDefinition)) {
      measured[name] = measuredMethod(m, opts.metrics);
      const method = methods.get(name) ?? unimplementedMethod({ service: serviceName, name, ...m });
      handlers[name] = handlerOf(method, serviceName, opts.metrics);
    }
    server.addService(measured as grpc.ServiceDefinition, handlers);
  }
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return {
    inject: (socket) => injector.injectConnection(socket),
    close: () =>
      new Promise((resolve) => {
        injector.destroy();
        server.tryShutdown(() => resolve());
        // NB: open streams (watches) would hold tryShutdown forever; a closing member drops them.
        setImmediate(() => server.forceShutdown());
      }),
  };
}

const requestBytes = new WeakMap<object, number>();
/** Encodings of shared message parts (see SharedEncoding), alive as long as the part is. */
const sharedBytes = new WeakMap<object, Buffer>();

/** The method's definition with (de)serializers that record message sizes. */
function measuredMethod(m: protoLoader.MethodDefinition<object, object>, metrics?: ApiMetrics) {
  return {
    ...m,
    requestDeserialize: (b: Buffer) => {
      const msg = m.requestDeserialize(b);
      requestBytes.set(msg, b.length);
      metrics?.grpcReceivedBytes(b.length);
      return msg;
    },
    responseSerialize: (msg: object) => {
      const pre = (msg as { [sharedEncoding]?: SharedEncoding })[sharedEncoding];
      let b: Buffer;
      if (pre === undefined) b = m.responseSerialize(msg);
      else {
        let head = sharedBytes.get(pre.shared);
        if (head === undefined) {
          head = m.responseSerialize(pre.shared);
          sharedBytes.set(pre.shared, head);
        }
        b = pre.tail.length === 0 ? head : Buffer.concat([head, pre.tail]);
      }
      metrics?.grpcSentBytes(b.length);
      return b;
    },
  };
}

function contextOf(metadata: grpc.Metadata, request?: object): CallContext {
  return {
    metadata: (key) => {
      const v = metadata.get(key)[0];
      return v === undefined ? undefined : String(v);
    },
    requestBytes: (request && requestBytes.get(request)) ?? 0,
  };
}

type GrpcType = 'unary' | 'server_stream' | 'bidi_stream';

function handlerOf(method: Method, service: string, metrics?: ApiMetrics): grpc.UntypedHandleCall {
  const type: GrpcType = method.kind === 'unary' ? 'unary' : method.kind === 'bidi' ? 'bidi_stream' : 'server_stream';
  const started = () => metrics?.grpcStarted(service, method.name, type);
  const handled = (code: GrpcCodeNumber) =>
    metrics?.grpcHandled(service, method.name, type, codeName.get(code) ?? String(code));
  switch (method.kind) {
    case 'unary':
      return (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
        started();
        method.handle(call.request, contextOf(call.metadata, call.request)).then(
          (res) => {
            handled(GrpcCode.OK);
            callback(null, res);
          },
          (err: unknown) => {
            const e = serviceError(err);
            handled(e.code);
            callback(e);
          },
        );
      };
    case 'bidi':
      return (call: grpc.ServerDuplexStream<Msg, Msg>) => {
        started();
        const { sink, receiverReady } = streamSink(call, handled);
        const rx = method.open(sink, contextOf(call.metadata));
        receiverReady(rx);
        call.on('data', (m: Msg) => rx.message(m));
        call.on('end', () => rx.end());
      };
    case 'serverStream':
      return (call: grpc.ServerWritableStream<Msg, Msg>) => {
        started();
        const { sink, receiverReady } = streamSink(call, handled);
        receiverReady(method.handle(call.request, sink, contextOf(call.metadata, call.request)));
      };
  }
}

/**
 * A StreamSink over a grpc-js writable call. The receiver's close() runs exactly once: when the
 * stream ends either way or the client goes away.
 * NB: writes are not held back when the client reads slowly; grpc-js buffers them.
 */
function streamSink(
  call: grpc.ServerWritableStream<Msg, Msg> | grpc.ServerDuplexStream<Msg, Msg>,
  handled: (code: GrpcCodeNumber) => void,
): { sink: StreamSink; receiverReady(rx: StreamReceiver): void } {
  let ended = false;
  let rx: StreamReceiver | undefined;
  let closed = false;
  const close = () => {
    if (closed || !rx) return;
    closed = true;
    rx.close();
  };
  const finish = (code: GrpcCodeNumber) => {
    ended = true;
    handled(code);
    close();
  };
  call.on('cancelled', () => {
    if (!ended) finish(GrpcCode.Canceled);
  });
  call.on('close', close);
  const sink: StreamSink = {
    send: (res) => {
      if (!ended && !call.cancelled) call.write(res);
    },
    end: () => {
      if (ended) return;
      call.end();
      finish(GrpcCode.OK);
    },
    fail: (err) => {
      if (ended) return;
      const e = serviceError(err);
      // grpc-js ends a stream with the status of an 'error' it emits.
      call.emit('error', e);
      finish(e.code);
    },
  };
  return {
    sink,
    receiverReady: (r) => {
      rx = r;
      if (ended || call.cancelled) close();
    },
  };
}

// The adapter to @grpc/grpc-js and @grpc/proto-loader for the benchmarks: the only bench module
// that imports them. It loads etcd's own .proto files from src/api/proto (package etcdserverpb,
// services KV and Watch, as etcd's clients see them) and offers what the load generator, the
// watch fan-out and the data-set loader need, on plain Buffers and numbers.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { repoRoot } from '../../test/support/servers.js';
import type { Op, OpResult } from './ops.js';

type Msg = Record<string, any>;
type Callback = (err: grpc.ServiceError | null, res: Msg) => void;
type Unary = (req: Msg, cb: Callback) => void;
type Ctor = new (address: string, creds: grpc.ChannelCredentials, options?: object) => grpc.Client & Msg;

let services: { KV: Ctor; Watch: Ctor } | undefined;

function loadServices(): { KV: Ctor; Watch: Ctor } {
  if (services) return services;
  // NB: `defaults: false` leaves absent fields undefined (zero values): decoding every reply is
  // the load generator's main cost, and defaults would add an object per empty field.
  const definition = protoLoader.loadSync(['rpc.proto'], {
    includeDirs: [join(repoRoot, 'src', 'api', 'proto')],
    keepCase: true,
    longs: String,
    enums: String,
    bytes: Buffer,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as Msg;
  services = { KV: pkg.etcdserverpb.KV as Ctor, Watch: pkg.etcdserverpb.Watch as Ctor };
  return services;
}

/** `http://127.0.0.1:2379` → `127.0.0.1:2379`; only plain-text endpoints are supported. */
export function grpcAddress(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:') throw new Error(`bench: only http:// endpoints are supported, not ${endpoint}`);
  return url.host;
}

/** One KV client on its own HTTP/2 connection (grpc-js would otherwise share one per address). */
export class KvConnection {
  private readonly client: grpc.Client & Msg;

  constructor(readonly endpoint: string) {
    const { KV } = loadServices();
    this.client = new KV(grpcAddress(endpoint), grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
  }

  ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err?: Error) => (err ? reject(err) : resolve()));
    });
  }

  private call(method: 'Put' | 'Range' | 'Txn', req: Msg): Promise<Msg> {
    return new Promise((resolve, reject) => {
      (this.client[method] as Unary).call(this.client, req, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** Sends one workload request; the result is read from the reply only if asked for. */
  async send(op: Op, wantResult: boolean): Promise<OpResult | undefined> {
    switch (op.kind) {
      case 'put': {
        const res = await this.call('Put', { key: op.key, value: op.value });
        return wantResult ? { revision: revisionOf(res) } : undefined;
      }
      case 'range': {
        const req: Msg = { key: op.key, serializable: op.serializable };
        if (op.rangeEnd) req.range_end = op.rangeEnd;
        if (op.limit !== undefined) req.limit = op.limit;
        const res = await this.call('Range', req);
        return wantResult ? { revision: revisionOf(res) } : undefined;
      }
      case 'cas': {
        const res = await this.call('Txn', {
          compare: [{ result: 'EQUAL', target: 'MOD', key: op.key, mod_revision: op.modRevision }],
          success: [{ request_put: { key: op.key, value: op.value } }],
          failure: [{ request_range: { key: op.key } }],
        });
        if (!wantResult) return undefined;
        const succeeded = res.succeeded === true;
        const kv = succeeded ? undefined : res.responses?.[0]?.response_range?.kvs?.[0];
        return { revision: revisionOf(res), succeeded, modRevision: Number(kv?.mod_revision ?? 0) };
      }
    }
  }

  async put(key: Buffer, value: Buffer): Promise<number> {
    return revisionOf(await this.call('Put', { key, value }));
  }

  /** Puts every pair in one transaction (distinct keys; at most the server's --max-txn-ops). */
  async putMany(pairs: readonly { key: Buffer; value: Buffer }[]): Promise<number> {
    const res = await this.call('Txn', { success: pairs.map((p) => ({ request_put: { key: p.key, value: p.value } })) });
    return revisionOf(res);
  }

  /** The current revision and how many keys lie in [key, rangeEnd) (a count-only range). */
  async count(key: Buffer, rangeEnd: Buffer): Promise<{ revision: number; count: number }> {
    const res = await this.call('Range', { key, range_end: rangeEnd, count_only: true });
    return { revision: revisionOf(res), count: Number(res.count ?? 0) };
  }

  close(): void {
    this.client.close();
  }
}

function revisionOf(res: Msg): number {
  return Number(res.header?.revision ?? 0);
}

/** A key's change as a watcher receives it. */
export interface WatchEvent {
  key: Buffer;
  modRevision: number;
}

export interface WatchHandlers {
  /** A create_request was answered; watchers are created in the order they were asked for. */
  created(watchId: string): void;
  /** Events for one watcher, in one reply. */
  events(watchId: string, events: WatchEvent[]): void;
  /** The stream ended or failed. */
  ended(err: Error | undefined): void;
}

/** One Watch stream on its own connection, carrying many watchers. */
export class WatchConnection {
  private readonly client: grpc.Client & Msg;
  private readonly stream: grpc.ClientDuplexStream<Msg, Msg>;

  constructor(endpoint: string, handlers: WatchHandlers) {
    const { Watch } = loadServices();
    this.client = new Watch(grpcAddress(endpoint), grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    this.stream = (this.client.Watch as () => grpc.ClientDuplexStream<Msg, Msg>).call(this.client);
    this.stream.on('data', (res: Msg) => {
      const id = String(res.watch_id ?? '0');
      if (res.created === true) handlers.created(id);
      const events = res.events as Msg[] | undefined;
      if (events && events.length > 0) {
        handlers.events(
          id,
          events.map((e) => ({ key: e.kv.key as Buffer, modRevision: Number(e.kv.mod_revision ?? 0) })),
        );
      }
    });
    let ended = false;
    const end = (err: Error | undefined) => {
      if (ended) return;
      ended = true;
      handlers.ended(err);
    };
    this.stream.on('error', (err: Error) => end((err as grpc.ServiceError).code === grpc.status.CANCELLED ? undefined : err));
    this.stream.on('end', () => end(undefined));
  }

  /** Asks for one more watcher of [key, rangeEnd), from the next revision on. */
  create(key: Buffer, rangeEnd: Buffer): void {
    this.stream.write({ create_request: { key, range_end: rangeEnd } });
  }

  close(): void {
    this.stream.cancel();
    this.client.close();
  }
}


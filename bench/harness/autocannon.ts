// The adapter to autocannon: the only module that loads it. It drives etcd's JSON gateway
// (etcd 3.4's paths: POST /v3/kv/put, /v3/kv/range, /v3/kv/txn, keys and values base64) with a
// fresh request body per request, built from the workload's next Op in autocannon's
// `setupRequest` hook. Latencies are taken from autocannon's per-response events, so that the
// runs against several endpoints (one autocannon instance each) merge exactly.

import { createRequire } from 'node:module';
import type { LoadOptions, LoadResult } from './load.js';
import type { Op, OpResult } from './ops.js';
import { LatencyRecorder } from './stats.js';

// The part of autocannon's API used here (autocannon ships no types of its own).
interface AcRequest {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}
interface AcContext {
  op?: Op;
}
interface AcOptions {
  url: string;
  connections: number;
  pipelining: number;
  duration?: number;
  amount?: number;
  timeout: number;
  headers: Record<string, string>;
  requests: {
    method: string;
    setupRequest(req: AcRequest, context: AcContext): AcRequest;
    onResponse?(status: number, body: string, context: AcContext): void;
  }[];
}
interface AcResult {
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface AcInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
  stop(): void;
}
type Autocannon = (opts: AcOptions, done: (err: Error | null, result: AcResult) => void) => AcInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const b64 = (b: Buffer): string => b.toString('base64');

/** The gateway path and JSON body of an Op, as etcd's grpc-gateway takes them. */
export function gatewayRequest(op: Op): { path: string; body: string } {
  switch (op.kind) {
    case 'put':
      return { path: '/v3/kv/put', body: `{"key":"${b64(op.key)}","value":"${b64(op.value)}"}` };
    case 'range': {
      const fields = [`"key":"${b64(op.key)}"`];
      if (op.rangeEnd) fields.push(`"range_end":"${b64(op.rangeEnd)}"`);
      if (op.limit !== undefined) fields.push(`"limit":"${op.limit}"`);
      if (op.serializable) fields.push('"serializable":true');
      return { path: '/v3/kv/range', body: `{${fields.join(',')}}` };
    }
    case 'cas': {
      const key = b64(op.key);
      return {
        path: '/v3/kv/txn',
        body:
          `{"compare":[{"result":"EQUAL","target":"MOD","key":"${key}","mod_revision":"${op.modRevision}"}],` +
          `"success":[{"request_put":{"key":"${key}","value":"${b64(op.value)}"}}],` +
          `"failure":[{"request_range":{"key":"${key}"}}]}`,
      };
    }
  }
}

/** Reads what a workload wants from a gateway reply (int64s come as JSON strings). */
export function gatewayResult(op: Op, body: string): OpResult {
  const res = JSON.parse(body) as {
    header?: { revision?: string };
    succeeded?: boolean;
    responses?: { response_range?: { kvs?: { mod_revision?: string }[] } }[];
  };
  const result: OpResult = { revision: Number(res.header?.revision ?? 0) };
  if (op.kind === 'cas') {
    result.succeeded = res.succeeded === true;
    if (!result.succeeded) result.modRevision = Number(res.responses?.[0]?.response_range?.kvs?.[0]?.mod_revision ?? 0);
  }
  return result;
}

/** Splits `total` into `parts` near-equal whole shares, larger first: split(10, 3) = [4, 3, 3]. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export async function runGatewayLoad(o: LoadOptions): Promise<LoadResult> {
  const latency = new LatencyRecorder();
  const source = o.source;
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;
  let firstReply: string | undefined;
  const perEndpoint = split(o.concurrency, o.endpoints.length);
  const amounts = o.requestsMax === undefined ? undefined : split(o.requestsMax, o.endpoints.length);
  const started = Date.now();
  const progress = o.onProgress ? setInterval(() => o.onProgress!(requests), 250) : undefined;
  const runs = o.endpoints.map((endpoint, i) => {
    const connections = perEndpoint[i]!;
    if (connections === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const opts: AcOptions = {
        url: endpoint,
        connections,
        pipelining: 1,
        timeout: 30,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            setupRequest(req, context) {
              const op = source.next();
              context.op = op;
              const { path, body } = gatewayRequest(op);
              return { ...req, method: 'POST', path, body };
            },
          },
        ],
      };
      // autocannon reads every body anyway; keep the first failure's, which says what went wrong.
      const done = source.wantsResults && source.done ? source.done.bind(source) : undefined;
      opts.requests[0]!.onResponse = (status, body, context) => {
        if (status === 200) {
          if (done && context.op) done(context.op, gatewayResult(context.op, body));
        } else {
          firstReply ??= `HTTP ${status} from ${endpoint}: ${body.slice(0, 300)}`;
        }
      };
      // NB: autocannon stops at a request count (amount) or after a time, not at whichever comes first.
      if (amounts) opts.amount = Math.max(connections, amounts[i]!);
      else opts.duration = o.durationMs / 1000;
      const instance = autocannon(opts, (err, result) => {
        if (err) return reject(err);
        const failed = result.errors + result.timeouts + result.non2xx;
        if (failed > 0) {
          errors += failed;
          firstError ??= `${result.non2xx} non-2xx replies, ${result.errors} connection errors, ${result.timeouts} timeouts from ${endpoint}${firstReply !== undefined ? `; first reply: ${firstReply}` : ''}`;
        }
        resolve();
      });
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) {
          requests++;
          latency.record(ms);
        }
      });
    });
  });
  try {
    await Promise.all(runs);
  } finally {
    if (progress) clearInterval(progress);
  }
  const elapsedS = (Date.now() - started) / 1000;
  const result: LoadResult = { requests, errors, elapsedS, rps: requests / elapsedS, latencyMs: latency.summary() };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

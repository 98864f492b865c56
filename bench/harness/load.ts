// What both clients take and give back: the gateway client (autocannon.ts) and the gRPC load
// generator (loadgen.ts) run an OpSource with a number of concurrent requests for a time or a
// count, and report the same figures.

import type { Latency } from './stats.js';
import type { OpSource } from './ops.js';

export type ClientKind = 'http' | 'grpc';

export interface LoadOptions {
  /** Client URLs; connections are spread over them round-robin. */
  readonly endpoints: readonly string[];
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** TCP connections (gRPC only: gateway clients use one connection per request in flight). */
  readonly connections: number;
  /** Stop after this long ... */
  readonly durationMs: number;
  /** ... or after this many requests, whichever comes first. */
  readonly requestsMax?: number;
  readonly source: OpSource;
  /** Called about every 250 ms with the requests completed so far. */
  readonly onProgress?: (requests: number) => void;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** The first error's message, to tell what went wrong. */
  firstError?: string;
  elapsedS: number;
  /** Completed requests per second (errors excluded). */
  rps: number;
  latencyMs: Latency;
}

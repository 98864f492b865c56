// The gRPC load generator, in the manner of etcd's `benchmark` tool: `connections` HTTP/2
// connections spread over the endpoints, and `concurrency` workers each keeping one request in
// flight (worker i uses connection i mod connections). Latency is measured per request, from
// the call to the reply, on the client's monotonic clock.

import { performance } from 'node:perf_hooks';
import { KvConnection } from './grpc.js';
import type { LoadOptions, LoadResult } from './load.js';
import { LatencyRecorder } from './stats.js';

export async function runGrpcLoad(o: LoadOptions): Promise<LoadResult> {
  const conns = Array.from({ length: Math.max(1, o.connections) }, (_, i) => new KvConnection(o.endpoints[i % o.endpoints.length]!));
  try {
    await Promise.all(conns.map((c) => c.ready(10_000)));
    const latency = new LatencyRecorder();
    let requests = 0;
    let errors = 0;
    let firstError: string | undefined;
    let started = 0;
    const requestsMax = o.requestsMax ?? Infinity;
    const t0 = performance.now();
    const deadline = t0 + o.durationMs;
    const progress = o.onProgress ? setInterval(() => o.onProgress!(requests), 250) : undefined;
    const worker = async (w: number): Promise<void> => {
      const conn = conns[w % conns.length]!;
      while (started < requestsMax && performance.now() < deadline) {
        started++;
        const op = o.source.next();
        const t = performance.now();
        try {
          const result = await conn.send(op, o.source.wantsResults);
          latency.record(performance.now() - t);
          requests++;
          if (result && o.source.done) o.source.done(op, result);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
          // NB: a server that fails fast would otherwise spin this loop; errors are rare and counted.
          if (errors > 1000 && requests === 0) break;
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
    if (progress) clearInterval(progress);
    const elapsedS = (performance.now() - t0) / 1000;
    const result: LoadResult = { requests, errors, elapsedS, rps: requests / elapsedS, latencyMs: latency.summary() };
    if (firstError !== undefined) result.firstError = firstError;
    return result;
  } finally {
    for (const c of conns) c.close();
  }
}

// How a lane reaches its store's job pool (pool.ts says why the pool is on the main thread): a
// MessagePort per lane, apart from the lane's batched messages, carrying one call and one answer
// per job. Errors cross as { code, message }.
//
//   lane ──{ id, job }──▶ main: pool.run(job) ──{ id, ok, value | error }──▶ lane

import type { MessagePort } from 'node:worker_threads';
import type { Job, JobAnswer, LaneJobs } from './jobs.js';

interface JobCall {
  id: number;
  job: Job;
}

type JobReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: 'JobFailed'; message: string } };

/** Main thread: runs every job that comes over `port` on `jobs`. Close the port to stop. */
export function serveJobs(port: MessagePort, jobs: LaneJobs): void {
  port.on('message', (m: JobCall) => {
    jobs.run(m.job).then(
      (value) => port.postMessage({ id: m.id, ok: true, value } satisfies JobReply),
      (e: unknown) => port.postMessage({ id: m.id, ok: false, error: { code: 'JobFailed', message: `job ${m.job.kind}: ${e instanceof Error ? e.message : String(e)}` } } satisfies JobReply),
    );
  });
}

/** Lane thread: the jobs of the store's pool, over `port`. */
export function jobsOverPort(port: MessagePort): LaneJobs {
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let seq = 0;
  port.on('message', (r: JobReply) => {
    const w = waiting.get(r.id);
    if (!w) return;
    waiting.delete(r.id);
    if (r.ok) w.resolve(r.value);
    else w.reject(new Error(r.error.message));
  });
  return {
    run<J extends Job>(job: J): Promise<JobAnswer<J>> {
      const id = ++seq;
      return new Promise<JobAnswer<J>>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        port.postMessage({ id, job } satisfies JobCall);
      });
    },
  };
}

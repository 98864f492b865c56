// The one module that imports `piscina`: a store's pool of job threads (jobs.ts says which jobs
// and why).
//
// Where the pool lives: one per store, on the main thread, owned by the LaneHost, and reached by
// each lane over a MessagePort of its own (channel.ts). Why not a pool inside each lane thread
// (a worker may start workers): a store has several lanes, and one small pool for all of them
// bounds the background scanning of the whole store to one thread, so it can never take more
// than one core from the lanes' Ready loops however many lanes are measuring at once; and its
// life is the host's, which already starts and stops the lanes. The cost is one hop through the
// main thread per job, which is nothing beside a scan.
//
// One thread, started at the first job and stopped after a while without any (stats jobs come
// every stats interval, so a store being written keeps it); niced below the lanes, because a
// scan that can wait should yield the CPU to the Ready loops that cannot.

import { Piscina } from 'piscina';
import type { Job, JobAnswer, LaneJobs } from './jobs.js';

/** Job threads per store. */
const jobThreadsMax = 1;
/** An idle job thread exits after this long. */
const jobThreadIdleMs = 10_000;
/** Jobs waiting for the thread, beyond which run() rejects (each lane keeps one measure job in flight, plus splits PD asked for). */
const jobsQueuedMax = 1024;
/** Added to the job thread's nice value (Linux nices one thread; needs piscina's optional @napi-rs/nice, a no-op without). */
const jobThreadNiceIncrement = 5;

export class JobPool implements LaneJobs {
  private pool: Piscina | undefined;
  private closed = false;

  run<J extends Job>(job: J): Promise<JobAnswer<J>> {
    if (this.closed) return Promise.reject(new Error(`job ${job.kind}: the store's job pool is closed`));
    this.pool ??= new Piscina({
      filename: new URL('./run.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: jobThreadsMax,
      idleTimeout: jobThreadIdleMs,
      maxQueue: jobsQueuedMax,
      niceIncrement: jobThreadNiceIncrement,
    });
    return this.pool.run(job) as Promise<JobAnswer<J>>;
  }

  /** Stops the thread; jobs not finished reject. Call once no lane waits for one. */
  async close(): Promise<void> {
    this.closed = true;
    const p = this.pool;
    this.pool = undefined;
    await p?.destroy();
  }
}

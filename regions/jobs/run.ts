// The entry of a job, wherever it runs: the pool's worker threads load this module (its default
// export is what piscina calls), and jobsOnThisThread runs it in the caller's thread.

import { assertNever } from '../../src/util/assert.js';
import type { Job, JobAnswer, LaneJobs } from './jobs.js';
import { measureSpans } from './region_size.js';
import { splitKeyNearMiddle } from './split_key.js';

export default function runJob<J extends Job>(job: J): Promise<JobAnswer<J>> {
  const j: Job = job;
  switch (j.kind) {
    case 'measure':
      return measureSpans(j.path, j.spans) as Promise<JobAnswer<J>>;
    case 'splitKey':
      return splitKeyNearMiddle(j.path, j.span) as Promise<JobAnswer<J>>;
    default:
      return assertNever(j, 'job');
  }
}

/**
 * Jobs run in the caller's thread, answered as a pool would: for a Lane driven in one thread
 * (tests, tools). It blocks that thread for the scan; a store's lanes use the store's pool.
 */
export const jobsOnThisThread: LaneJobs = {
  run: (job) => runJob(job),
};

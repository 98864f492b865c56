// Jobs: stateless heavy work a lane hands off its own thread. A lane runs the Ready loop of every
// region it hosts; a scan over one region's keys on that thread holds up all of them. A job reads
// the lane's committed data through its own read-only handle on the lane's LMDB environment (LMDB
// takes many readers beside the one writer) and answers with plain values; the lane applies the
// answer when it comes back, checking first that it still fits (the region may have changed).
//
// Which jobs are here, and why:
//   - measure (region_size.ts): every stats interval, the size of each region led here that was
//     written since: one approximateBytes and one countRange per region, each a walk over index
//     entries and histories, for every busy region of the lane at once.
//   - splitKey (split_key.ts): "split near the middle": the size of the region, then a walk over
//     its keys weighing every history until half of it. The dearest scan a region has.
// Not here yet: building a snapshot would fit (between Ready loops the committed data is the
// state at the applied index, which is what an image must hold), but the Raft core asks its
// Storage for one synchronously; it needs a "snapshot temporarily unavailable, ask again" path
// first. Ingesting one is part of the lane's Raft write, and a job has no writer.
//
// The contract: a job names the lane's environment by its directory and the tablets it reads by
// name (MvccStore's table prefix); it sees the environment's last committed transaction, never a
// write in progress, and no state of the lane's memory (see tablets.ts).

/** A span of one of a lane's tablets: [start, end), an empty end unbounded (range mode). */
export interface TabletSpan {
  /** The tablet's table prefix: 'tablet' (the lane's range regions) or a hash group's. */
  tablet: string;
  start: Uint8Array;
  end: Uint8Array;
}

export type Job =
  /** The size of each span, in the order given. */
  | { kind: 'measure'; path: string; spans: TabletSpan[] }
  /** Where to cut a span so that about half its bytes fall on each side. */
  | { kind: 'splitKey'; path: string; span: TabletSpan };

export interface SpanSize {
  /** MvccStore.approximateBytes of the span. */
  bytes: number;
  /** MvccStore.countRange of the span: keys alive at the tablet's revision. */
  keys: number;
}

export interface JobAnswers {
  measure: SpanSize[];
  /** undefined: the span holds too little to cut (fewer than two keys' worth). */
  splitKey: { key: Uint8Array | undefined };
}

export type JobAnswer<J extends Job> = JobAnswers[J['kind']];

/** Runs jobs somewhere other than the caller's turn. Rejects with an Error naming what failed. */
export interface LaneJobs {
  run<J extends Job>(job: J): Promise<JobAnswer<J>>;
}

/** How a job ended, as the lane hands it to whoever asked. */
export type JobOutcome<T> = { ok: true; value: T } | { ok: false; message: string };

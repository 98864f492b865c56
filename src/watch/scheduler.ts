// Timers, injected: the hub never calls setTimeout itself, so tests and the simulator drive time.

/** Cancels a scheduled call; harmless if it already ran. */
export type CancelTimer = () => void;

export interface Scheduler {
  /** Calls fn once, at least `ms` later; 0 means "after the current task", not synchronously. */
  schedule(ms: number, fn: () => void): CancelTimer;
}

/** Node's timers. Unref'd: a pending watch timer never keeps a process alive by itself. */
export const realScheduler: Scheduler = {
  schedule(ms, fn) {
    if (ms <= 0) {
      const h = setImmediate(fn);
      h.unref();
      return () => clearImmediate(h);
    }
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

// A scheduler the test drives: nothing runs until the test says so.

import type { CancelTimer, Scheduler } from '../../src/watch/scheduler.js';

interface Task {
  at: number;
  immediate: boolean;
  seq: number;
  fn: () => void;
}

export class FakeScheduler implements Scheduler {
  now = 0;
  /** While true, tasks scheduled with ms 0 (the hub's catch-up steps) do not run. */
  holdImmediate = false;
  private tasks: Task[] = [];
  private seq = 0;

  schedule(ms: number, fn: () => void): CancelTimer {
    const t: Task = { at: this.now + ms, immediate: ms === 0, seq: this.seq++, fn };
    this.tasks.push(t);
    return () => {
      this.tasks = this.tasks.filter((x) => x !== t);
    };
  }

  get pending(): number {
    return this.tasks.length;
  }

  /** Runs the earliest task due by now; false if none. */
  runOne(): boolean {
    const due = this.tasks.filter((t) => t.at <= this.now && !(this.holdImmediate && t.immediate)).sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = due[0];
    if (t === undefined) return false;
    this.tasks = this.tasks.filter((x) => x !== t);
    t.fn();
    return true;
  }

  /** Runs everything due by now, including what those tasks schedule for now. */
  runDue(limit = 100_000): void {
    for (let i = 0; i < limit; i++) if (!this.runOne()) return;
    throw new Error('FakeScheduler: runDue did not settle');
  }

  /** Moves the clock forward, running what falls due on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.runDue();
      const next = this.tasks.filter((t) => !(this.holdImmediate && t.immediate)).reduce((m, t) => Math.min(m, t.at), Infinity);
      if (next > end) break;
      this.now = next;
    }
    this.now = end;
    this.runDue();
  }
}

// A number that only grows and is written to durable storage before anyone relies on it: the
// end of the TSO's time window, the end of the ID allocator's batch. Both hand out values below
// the bound from memory and raise it ahead of need, so a restart or a new PD leader, which
// starts from the saved bound, never hands out a value twice.
//
// Saves are serialized and strictly increasing: with saves of 10, then 20, in flight, nobody
// sees 20 before both have finished, and a save of 15 queued behind them is skipped.
//
//   const bound = new PersistedBound(loaded ?? 0, save);
//   await bound.raiseTo(1000);   // save(1000) resolved: values < 1000 may be handed out
//   bound.value                  // 1000

import { assert } from '../src/util/assert.js';

/**
 * Persists `value`. Resolves once it is durable; rejects if it was not written, for instance
 * because this member no longer leads PD (the save should be a write conditioned on leadership,
 * so an old leader can never raise a bound after a new leader loaded it).
 */
export type SaveBound = (value: number) => Promise<void>;

export class PersistedBound {
  private saved: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    loaded: number,
    private readonly save: SaveBound,
  ) {
    assert(Number.isSafeInteger(loaded) && loaded >= 0, `bad loaded bound ${loaded}`);
    this.saved = loaded;
  }

  /** The largest value saved so far: everything below it may be handed out. */
  get value(): number {
    return this.saved;
  }

  /**
   * Resolves once the saved bound is at least `target`. Rejects with the save's error if this
   * call's own save failed; the bound then stays where it was and a later call tries again.
   */
  raiseTo(target: number): Promise<void> {
    assert(Number.isSafeInteger(target), `bad bound ${target}`);
    if (this.saved >= target) return Promise.resolve();
    const run = this.tail.then(async () => {
      if (this.saved >= target) return;
      await this.save(target);
      // Saves run one at a time, so nothing raised the bound past target meanwhile.
      assert(target > this.saved, 'persisted bounds must be saved in increasing order');
      this.saved = target;
    });
    // The next save waits for this one whether it succeeds or not.
    this.tail = run.catch(() => undefined);
    return run;
  }
}

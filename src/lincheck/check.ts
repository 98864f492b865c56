// Checks a whole history: drops what cannot matter, splits it into independent partitions, and
// searches each under one shared time bound.

import type { Model, Operation, Partition } from './model.js';
import { searchPartition, type Stuck } from './search.js';

export type Verdict = 'linearizable' | 'not linearizable' | 'unknown';

export interface CheckOptions {
  /** Time bound for the whole check, in milliseconds of `clock`. Default 10 000; Infinity for none. */
  readonly timeoutMs?: number;
  /** Milliseconds; injected so tests and simulations control time. Default `performance.now`. */
  readonly clock?: () => number;
  /**
   * Bound on the configurations one partition's search remembers; each costs
   * 16 + 4 * ceil(operations / 32) bytes plus its state. Default 8 000 000.
   */
  readonly cacheEntriesMax?: number;
}

export type CheckResult<State, Input, Output> =
  | { readonly verdict: 'linearizable'; readonly partitions: number }
  | {
      readonly verdict: 'not linearizable';
      readonly partitions: number;
      /** The partition that cannot be linearized, e.g. `key "3"`. */
      readonly partition: string;
      readonly violation: Stuck<Input, Output, State>;
    }
  | {
      readonly verdict: 'unknown';
      readonly partitions: number;
      /** Partitions the time bound cut short; every other partition is linearizable. */
      readonly undecided: readonly string[];
      readonly timeoutMs: number;
    };

export const defaultTimeoutMs = 10_000;
const defaultCacheEntriesMax = 8_000_000;

export function checkOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<State, Input, Output> {
  const clock = options.clock ?? (() => performance.now());
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const deadline = clock() + timeoutMs;
  const cacheEntriesMax = options.cacheEntriesMax ?? defaultCacheEntriesMax;

  // A read whose outcome is unknown has no effect and nobody saw its answer: it constrains nothing.
  const ops = history.filter((op) => op.outcome.known || !model.isReadOnly(op.input));
  const parts: Partition<Input, Output>[] = model.partition ? model.partition(ops) : [{ name: 'history', ops }];
  // Small partitions first: they are decided quickly even if a large one later runs out of time.
  parts.sort((a, b) => a.ops.length - b.ops.length);

  const undecided: string[] = [];
  for (const part of parts) {
    const outcome = searchPartition(model, part.ops, { deadline, clock, cacheEntriesMax });
    switch (outcome.kind) {
      case 'linearizable':
        break;
      case 'violation': {
        const { kind: _, ...violation } = outcome;
        return { verdict: 'not linearizable', partitions: parts.length, partition: part.name, violation };
      }
      case 'timeout':
        undecided.push(part.name);
        break;
    }
  }
  if (undecided.length > 0) return { verdict: 'unknown', partitions: parts.length, undecided, timeoutMs };
  return { verdict: 'linearizable', partitions: parts.length };
}

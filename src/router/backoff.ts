// When the router retries a request that a region refused, as a pure function of the attempt,
// the error and an injected random source (so the simulator replays it from a seed). The table
// has already learnt what the error said (route.ts applyRegionError); this decides the wait:
//
//   NotLeader with a leader hint      → at once (the hint names whom to ask)
//   EpochNotMatch                     → at once (the cache now holds the current regions)
//   KeyNotInRegion                    → at once (the region was forgotten; routing asks PD)
//   NotLeader without a hint          → backoff from backoffBaseMs (an election is under way)
//   RegionNotFound                    → backoff from backoffBaseMs (a peer is being created or moved)
//   ServerIsBusy, RegionBusy          → backoff from busyBackoffBaseMs (let the queue drain)
//
// A backoff doubles with every attempt up to backoffMsMax, with "equal jitter": half the step
// fixed, half random, so a thousand clients refused at once do not come back at once, yet none
// retries right away. With base 2 ms the steps are 2, 4, 8, ... 512, 1000 ms (the cap), and
// attempt n waits from half its step up to its step: attempt 3 waits 4-7 ms, attempt 10 500-999.
//
// Every request stops after attemptsMax attempts (immediate retries too: two peers that each
// name the other leader must not loop forever) or once it has waited backoffTotalMsMax in all;
// the last wait is cut to what is left of that budget.
//
// NB: the exponent is the request's attempt number, whatever the earlier errors were, so five
// leader hops then a RegionBusy start that backoff at 2^4 steps. Counting attempts per error kind
// would be fairer, but the cap bounds the cost, and one number keeps the caller simple.

import { assert, assertNever } from '../util/assert.js';
import type { RegionError } from '../cluster/region.js';
import type { Rand } from '../util/prng.js';

export interface BackoffLimits {
  /** Attempts per request, the first included. */
  attemptsMax: number;
  /** First backoff step for leaderless and missing regions. */
  backoffBaseMs: number;
  /** First backoff step for busy stores and regions. */
  busyBackoffBaseMs: number;
  /** Longest single wait. */
  backoffMsMax: number;
  /** Longest total wait per request: below etcdctl's default 5 s command timeout, so the client
   *  gets the router's error rather than its own deadline. */
  backoffTotalMsMax: number;
}

export const backoffLimitsDefault: Readonly<BackoffLimits> = {
  attemptsMax: 20,
  backoffBaseMs: 2,
  busyBackoffBaseMs: 20,
  backoffMsMax: 1000,
  backoffTotalMsMax: 4000,
};

export interface RetryInput {
  /** Attempts made so far, all failed: 1 after the first failure. */
  attempt: number;
  /** What the last attempt answered. */
  error: RegionError;
  /** What this request has waited so far, in all. */
  sleptMs: number;
  rand: Rand;
  limits?: Readonly<BackoffLimits>;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

export function nextRetry(input: RetryInput): RetryDecision {
  const { attempt, error, sleptMs, rand } = input;
  const limits = input.limits ?? backoffLimitsDefault;
  assert(Number.isInteger(attempt) && attempt >= 1, `nextRetry: attempt ${attempt}`);
  assert(sleptMs >= 0, `nextRetry: slept ${sleptMs} ms`);
  const budgetMs = limits.backoffTotalMsMax - sleptMs;
  if (attempt >= limits.attemptsMax || budgetMs <= 0) return { retry: false };
  const baseMs = baseFor(error, limits);
  if (baseMs === 0) return { retry: true, delayMs: 0 };
  // 2^30 steps already exceed any sane cap; the bound keeps the arithmetic exact.
  const stepMs = Math.min(limits.backoffMsMax, baseMs * 2 ** Math.min(attempt - 1, 30));
  const jitteredMs = Math.floor(stepMs / 2 + rand.float() * (stepMs / 2));
  return { retry: true, delayMs: Math.max(1, Math.min(jitteredMs, budgetMs)) };
}

/** The first backoff step for an error, 0 for a retry at once. */
function baseFor(error: RegionError, limits: Readonly<BackoffLimits>): number {
  switch (error.code) {
    case 'NotLeader':
      return error.leader !== undefined ? 0 : limits.backoffBaseMs;
    case 'EpochNotMatch':
    case 'KeyNotInRegion':
      return 0;
    case 'RegionNotFound':
      return limits.backoffBaseMs;
    case 'ServerIsBusy':
    case 'RegionBusy':
      return limits.busyBackoffBaseMs;
    default:
      return assertNever(error, 'region error');
  }
}

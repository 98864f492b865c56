// The retry policy: what is retried at once, what backs off, and where retrying stops.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegionError } from '../../src/cluster/region.js';
import { backoffLimitsDefault, nextRetry, type BackoffLimits } from '../../src/router/backoff.js';
import type { Rand } from '../../src/util/prng.js';
import { Prng } from '../../src/util/prng.js';
import { peer, rid } from './helpers.js';

/** A Rand whose float() is always `x`: 0 gives the shortest wait, near 1 the longest. */
const fixed = (x: number): Rand => ({ int: (n) => Math.floor(x * n), float: () => x });

const limits: BackoffLimits = { attemptsMax: 10, backoffBaseMs: 2, busyBackoffBaseMs: 20, backoffMsMax: 100, backoffTotalMsMax: 1000 };
const busy: RegionError = { code: 'ServerIsBusy', reason: 'queue full' };
const missing: RegionError = { code: 'RegionNotFound', regionId: rid(1) };

test('retries at once on NotLeader with a hint, EpochNotMatch and KeyNotInRegion', () => {
  const rand = new Prng(1);
  for (const error of [
    { code: 'NotLeader', regionId: rid(1), leader: peer(12) },
    { code: 'EpochNotMatch', current: [] },
    { code: 'KeyNotInRegion', regionId: rid(1), key: new Uint8Array([1]) },
  ] as RegionError[]) {
    assert.deepEqual(nextRetry({ attempt: 3, error, sleptMs: 0, rand, limits }), { retry: true, delayMs: 0 }, error.code);
  }
});

test('backs off exponentially from the base that fits the error, between half a step and a step', () => {
  const at = (attempt: number, error: RegionError, x: number) => nextRetry({ attempt, error, sleptMs: 0, rand: fixed(x), limits });
  assert.deepEqual([1, 2, 3, 4].map((n) => at(n, missing, 0)), [1, 2, 4, 8].map((delayMs) => ({ retry: true, delayMs })));
  assert.deepEqual([1, 2, 3, 4].map((n) => at(n, missing, 0.999)), [1, 3, 7, 15].map((delayMs) => ({ retry: true, delayMs })));
  assert.deepEqual(at(1, { code: 'NotLeader', regionId: rid(1) }, 0), { retry: true, delayMs: 1 });
  assert.deepEqual(at(1, busy, 0), { retry: true, delayMs: 10 });
  assert.deepEqual(at(2, { code: 'RegionBusy', regionId: rid(1), reason: 'splitting' }, 0), { retry: true, delayMs: 20 });
});

test('caps a single wait at backoffMsMax', () => {
  for (let attempt = 5; attempt < 10; attempt++) {
    const d = nextRetry({ attempt, error: busy, sleptMs: 0, rand: fixed(0.999), limits });
    assert.ok(d.retry && d.delayMs <= limits.backoffMsMax && d.delayMs >= limits.backoffMsMax / 2, `attempt ${attempt}: ${JSON.stringify(d)}`);
  }
});

test('stops after attemptsMax attempts, immediate retries included', () => {
  const rand = new Prng(2);
  const hop: RegionError = { code: 'NotLeader', regionId: rid(1), leader: peer(11) };
  assert.equal(nextRetry({ attempt: 9, error: hop, sleptMs: 0, rand, limits }).retry, true);
  assert.deepEqual(nextRetry({ attempt: 10, error: hop, sleptMs: 0, rand, limits }), { retry: false });
});

test('cuts the last wait to the budget left, and stops once it is spent', () => {
  assert.deepEqual(nextRetry({ attempt: 8, error: busy, sleptMs: 990, rand: fixed(0.5), limits }), { retry: true, delayMs: 10 });
  assert.deepEqual(nextRetry({ attempt: 2, error: busy, sleptMs: 1000, rand: fixed(0.5), limits }), { retry: false });
  assert.deepEqual(nextRetry({ attempt: 2, error: { code: 'EpochNotMatch', current: [] }, sleptMs: 1000, rand: fixed(0.5), limits }), { retry: false });
});

test('a run of busy answers waits within the total budget, and one seed gives the same waits', () => {
  const run = (seed: number) => {
    const rand = new Prng(seed);
    const waits: number[] = [];
    let slept = 0;
    for (let attempt = 1; ; attempt++) {
      const d = nextRetry({ attempt, error: busy, sleptMs: slept, rand });
      if (!d.retry) break;
      waits.push(d.delayMs);
      slept += d.delayMs;
    }
    return { waits, slept };
  };
  const a = run(7);
  assert.ok(a.slept <= backoffLimitsDefault.backoffTotalMsMax);
  assert.ok(a.waits.length < backoffLimitsDefault.attemptsMax);
  assert.deepEqual(run(7), a);
});

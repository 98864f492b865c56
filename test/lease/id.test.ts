import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newLeaseId } from '../../src/lease/id.js';
import { Prng, type Rand } from '../../src/util/prng.js';

describe('lease IDs', () => {
  test('are positive int64 values that use the high bits, the same for the same seed', () => {
    const a = new Prng(1);
    const c = new Prng(1);
    let high = 0;
    for (let i = 0; i < 1000; i++) {
      const id = newLeaseId(a, () => false);
      assert.equal(id, newLeaseId(c, () => false));
      assert.ok(id > 0n && id < 1n << 63n);
      if (id >= 1n << 53n) high++;
    }
    assert.ok(high > 900, 'most IDs exceed 2^53, so they must never travel as numbers');
  });

  test('skip 0 and IDs already taken', () => {
    const draws = [0, 0, 0, 5, 0, 6];
    const rand: Rand = { int: () => draws.shift()!, float: () => 0 };
    assert.equal(newLeaseId(rand, (id) => id === 5n), 6n);
  });
});

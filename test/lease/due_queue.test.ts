import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DueQueue } from '../../src/lease/due_queue.js';
import { Prng } from '../../src/util/prng.js';

describe('due queue', () => {
  test('matches a sorted reference under random sets, moves and deletes', () => {
    const rand = new Prng(7);
    const q = new DueQueue();
    const ref = new Map<bigint, number>();
    for (let step = 0; step < 20_000; step++) {
      const id = BigInt(rand.int(200));
      const r = rand.int(10);
      if (r < 6) {
        const due = rand.int(1_000);
        q.set(id, due);
        ref.set(id, due);
      } else if (r < 8) {
        q.delete(id);
        ref.delete(id);
      } else {
        const top = q.peek();
        if (ref.size === 0) {
          assert.equal(top, undefined);
          continue;
        }
        const min = Math.min(...ref.values());
        assert.ok(top !== undefined);
        assert.equal(top.due, min, `step ${step}`);
        assert.equal(ref.get(top.id), min);
      }
      assert.equal(q.size, ref.size);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng } from '../../src/util/prng.js';
import { IntervalTree } from '../../src/watch/interval_tree.js';

describe('interval tree', () => {
  test('stabbing matches a brute-force scan under random inserts and removals', () => {
    const rand = new Prng(3);
    const word = () => Array.from({ length: 1 + rand.int(3) }, () => 'abcd'[rand.int(4)]).join('');
    const tree = new IntervalTree<string>();
    const live = new Map<string, { start: string; end: string | null }>();
    for (let step = 0; step < 5_000; step++) {
      if (rand.int(3) > 0 || live.size === 0) {
        const a = word();
        const b = word();
        if (a === b) continue;
        const [start, end] = rand.int(5) === 0 ? [a, null] : a < b ? [a, b] : [b, a];
        const id = `${start}|${end}|${step}`;
        tree.insert(start, end, id, id);
        live.set(id, { start, end });
      } else {
        const ids = [...live.keys()];
        const id = ids[rand.int(ids.length)]!;
        tree.remove(live.get(id)!.start, id);
        live.delete(id);
      }
      const k = word();
      const got: string[] = [];
      tree.stab(k, (v) => got.push(v));
      const want = [...live].filter(([, r]) => r.start <= k && (r.end === null || k < r.end)).map(([id]) => id);
      assert.deepEqual(got.sort(), want.sort(), `step ${step} key ${k}`);
      assert.equal(tree.size, live.size);
    }
  });

  test('removing an interval that is not there is a bug', () => {
    const tree = new IntervalTree<number>();
    tree.insert('a', 'b', 'x', 1);
    assert.throws(() => tree.remove('a', 'y'), { name: 'AssertionFailure' });
  });
});

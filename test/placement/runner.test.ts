import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../src/util/prng.js';
import { newOperator, operatorRegionIds, operatorStores } from '../../placement/operator.js';
import { runSchedulers } from '../../placement/schedulers/index.js';
import { withInfluence } from '../../placement/schedulers/influence.js';
import { cluster, config, counterIds, key, MiB, nowMs, pid, region, rid, sid, store } from './fixtures.js';

const down = (id: number) => store(id, { ageMs: 3_600_000 });

/** Every scheduler has something to say about most of these regions. */
function crowded() {
  const regions = [];
  for (let i = 0; i < 30; i++) {
    regions.push(
      region(i + 1, [1 + (i % 3), 1 + ((i + 1) % 3), i % 2 === 0 ? 5 : 4], {
        start: key(i * 10),
        end: key(i * 10 + 10),
        bytes: (i % 3 === 0 ? 120 : i % 3 === 1 ? 60 : 2) * MiB,
        keys: 1000,
        writeQps: i % 4 === 0 ? 5000 : 0,
        leader: 1 + (i % 3),
      }),
    );
  }
  return cluster({ stores: [1, 2, 3, 4, down(5), 6, 7], regions });
}

test('the combined runner never emits two operators for one region, nor one for a region in flight', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const snap = crowded();
    const inFlight = [
      newOperator({ info: snap.regions.get(rid(3))!, kind: 'balance-leader', desc: 'x', steps: [{ type: 'TransferLeader', toStore: sid(1) }], nowMs }),
    ];
    const ops = runSchedulers(snap, config({ operatorsInFlightMax: 1000, storeOperatorsInFlightMax: 1000 }), { rand: new Prng(seed), ids: counterIds(), inFlight });
    assert.ok(ops.length > 10);
    const held = new Set<number>(operatorRegionIds(inFlight[0]!));
    for (const op of ops) {
      for (const id of operatorRegionIds(op)) {
        assert.ok(!held.has(id), `seed ${seed}: region ${id} got a second operator`);
        held.add(id);
      }
    }
    const kinds = new Set(ops.map((o) => o.kind));
    assert.ok(kinds.has('replica-repair') && kinds.has('split'), [...kinds].join());
  }
});

test('keeps per-store and total limits, counting operators in flight; dead stores do not count', () => {
  const snap = crowded();
  const ops = runSchedulers(snap, config({ operatorsInFlightMax: 1000, storeOperatorsInFlightMax: 2 }), { rand: new Prng(1), ids: counterIds(), inFlight: [] });
  const perStore = new Map<number, number>();
  for (const op of ops) for (const s of operatorStores(op)) perStore.set(s, (perStore.get(s) ?? 0) + 1);
  for (const [s, n] of perStore) if (s !== 5) assert.ok(n <= 2, `store ${s} touched by ${n}`);
  const total = runSchedulers(snap, config({ operatorsInFlightMax: 3 }), { rand: new Prng(1), ids: counterIds(), inFlight: [] });
  assert.equal(total.length, 3);
  assert.equal(total[0]!.kind, 'replica-repair', 'repair runs first');
});

test('runs only the enabled schedulers', () => {
  const ops = runSchedulers(crowded(), config({ enabled: ['split-checker'], operatorsInFlightMax: 1000 }), { rand: new Prng(1), ids: counterIds(), inFlight: [] });
  assert.ok(ops.length > 0 && ops.every((o) => o.kind === 'split'));
});

test('schedulers see the influence of operators in flight on store counts', () => {
  const snap = cluster({ stores: [1, 2, 3, 4], regions: [region(1, [1, 2, 3]), region(2, [1, 2, 3])] });
  const move = newOperator({
    info: snap.regions.get(rid(1))!,
    kind: 'balance-region',
    desc: 'x',
    steps: [
      { type: 'AddLearner', storeId: sid(4), peerId: pid(9) },
      { type: 'PromoteLearner', peerId: pid(9) },
      { type: 'RemovePeer', storeId: sid(3) },
    ],
    nowMs,
  });
  const view = withInfluence(snap, [move]);
  assert.equal(view.stores.get(sid(4))!.regionCount, 1);
  assert.equal(view.stores.get(sid(3))!.regionCount, 1);
  assert.equal(view.stores.get(sid(3))!.regionBytes, snap.stores.get(sid(3))!.regionBytes - 50 * MiB);
});

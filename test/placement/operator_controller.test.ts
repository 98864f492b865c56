import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionFailure } from '../../src/util/assert.js';
import { newOperator } from '../../placement/operator.js';
import { OperatorController } from '../../placement/operator_controller.js';
import { cluster, key, nowMs, region, rid, sid } from './fixtures.js';

test('holds one operator per region, a merge holding its target too, and drops finished ones', () => {
  const a = region(1, [1, 2, 3], { start: key(0), end: key(10) });
  const b = region(2, [1, 2, 3], { start: key(10), end: key(20) });
  const ctl = new OperatorController();
  const merge = newOperator({
    info: b,
    kind: 'merge',
    desc: 'merge 2 into 1',
    steps: [{ type: 'MergeRegion', sourceId: rid(2), targetId: rid(1), targetEpoch: a.region.epoch }],
    nowMs,
  });
  ctl.add(merge);
  assert.equal(ctl.holding(rid(1)), merge);
  assert.equal(ctl.stepFor(rid(2))?.type, 'MergeRegion');
  assert.equal(ctl.stepFor(rid(1)), undefined, 'the target is told nothing');
  const leader = newOperator({ info: a, kind: 'balance-leader', desc: 'x', steps: [{ type: 'TransferLeader', toStore: sid(2) }], nowMs });
  assert.throws(() => ctl.add(leader), AssertionFailure);

  assert.deepEqual(ctl.check(cluster({ stores: [1, 2, 3], regions: [a, b] })), []);
  const merged = { ...a, region: { ...a.region, end: key(20), epoch: { confVer: 5, version: 6 } } };
  const events = ctl.check(cluster({ stores: [1, 2, 3], regions: [merged] }));
  assert.deepEqual(events.map((e) => e.status), ['finished']);
  assert.equal(ctl.inFlight().length, 0);
  ctl.add(leader);
  assert.equal(ctl.inFlight().length, 1);
});

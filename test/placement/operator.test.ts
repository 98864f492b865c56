import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegionPeer } from '../../src/cluster/region.js';
import { AssertionFailure } from '../../src/util/assert.js';
import type { RegionInfo } from '../../placement/cluster.js';
import { checkOperator, newOperator, operatorTimeoutMs, operatorTimeoutsDefault, stepIsFinished, type Operator } from '../../placement/operator.js';
import { operatorFromJson, operatorToJson } from '../../placement/operator_json.js';
import { cluster, key, MiB, nowMs, pid, region, rid, sid, store } from './fixtures.js';

/** Region 7 on stores 1 (leader), 2, 3 moving to store 4 as peer 704. */
function moveOp(info: RegionInfo): Operator {
  return newOperator({
    info,
    kind: 'balance-region',
    desc: 'move region 7 from store 1 to store 4',
    steps: [
      { type: 'AddLearner', storeId: sid(4), peerId: pid(704) },
      { type: 'PromoteLearner', peerId: pid(704) },
      { type: 'TransferLeader', toStore: sid(2) },
      { type: 'RemovePeer', storeId: sid(1) },
    ],
    nowMs,
  });
}

/** Region 7 after applying the move's first `n` steps, as its leader would report it. */
function after(n: number, o: { confVerExtra?: number; version?: number } = {}): RegionInfo {
  const base = region(7, [1, 2, 3]);
  const peers: RegionPeer[] = base.region.peers.map((p) => ({ ...p }));
  let leader = base.leader;
  if (n >= 1) peers.push({ id: pid(704), storeId: sid(4), role: 'learner' });
  if (n >= 2) peers[3]!.role = 'voter';
  if (n >= 3) leader = pid(702);
  if (n >= 4) peers.splice(0, 1);
  const confVer = 5 + Math.min(n, 2) + (n >= 4 ? 1 : 0) + (o.confVerExtra ?? 0);
  return { ...base, leader, region: { ...base.region, peers, epoch: { confVer, version: o.version ?? 5 } } };
}

const snapWith = (info: RegionInfo | undefined, now = nowMs) => cluster({ stores: [1, 2, 3, 4], regions: info ? [info] : [], now });

test('each step of a move is finished when the region report shows its effect', () => {
  const op = moveOp(region(7, [1, 2, 3]));
  const epoch = (n: number) => after(n).region.epoch;
  for (let i = 0; i < 4; i++) {
    assert.equal(stepIsFinished(op.steps[i]!, after(i).region, after(i).leader, epoch(i)), false, `step ${i} before`);
    assert.equal(stepIsFinished(op.steps[i]!, after(i + 1).region, after(i + 1).leader, epoch(i)), true, `step ${i} after`);
  }
});

test('the operator advances past finished steps and finishes with the last', () => {
  let op = moveOp(region(7, [1, 2, 3]));
  for (let n = 0; n < 4; n++) {
    const c = checkOperator(op, snapWith(after(n)));
    assert.equal(c.status, 'running');
    assert.equal(c.op.currentStep, n);
    op = c.op;
  }
  // A report can skip steps (heartbeats are periodic): two steps done at once.
  const skip = checkOperator(moveOp(region(7, [1, 2, 3])), snapWith(after(2)));
  assert.equal(skip.op.currentStep, 2);
  const done = checkOperator(op, snapWith(after(4)));
  assert.equal(done.status, 'finished');
});

test('is cancelled when the epoch moved in a way it did not cause', () => {
  const op = moveOp(region(7, [1, 2, 3]));
  const split = checkOperator(op, snapWith(after(1, { version: 6 })));
  assert.equal(split.status, 'cancelled');
  const other = checkOperator(op, snapWith(after(1, { confVerExtra: 1 })));
  assert.equal(other.status, 'cancelled');
  assert.match(other.reason!, /epoch moved/);
  assert.equal(checkOperator(op, snapWith(undefined)).status, 'cancelled');
});

test('is cancelled when the store it adds a learner to goes down', () => {
  const op = moveOp(region(7, [1, 2, 3]));
  const snap = cluster({ stores: [1, 2, 3, store(4, { ageMs: 3_600_000 })], regions: [region(7, [1, 2, 3])] });
  const c = checkOperator(op, snap);
  assert.equal(c.status, 'cancelled');
  assert.match(c.reason!, /store 4 is down/);
});

test('times out at its deadline, which grows with the region size', () => {
  const op = moveOp(region(7, [1, 2, 3]));
  assert.equal(checkOperator(op, snapWith(after(1), op.deadlineMs - 1)).status, 'running');
  assert.equal(checkOperator(op, snapWith(after(1), op.deadlineMs)).status, 'timedOut');
  const steps = op.steps;
  assert.equal(operatorTimeoutMs(steps, 96 * MiB, operatorTimeoutsDefault), 60_000 + 10_067 + 30_000);
});

test('a split is finished when the version grows; a merge when the source is gone', () => {
  const info = region(7, [1, 2, 3]);
  const split = newOperator({ info, kind: 'split', desc: 'split', steps: [{ type: 'SplitRegion', keys: 'approximate' }], nowMs });
  assert.equal(checkOperator(split, snapWith(info)).status, 'running');
  assert.equal(checkOperator(split, snapWith(after(0, { version: 6 }))).status, 'finished');

  const target = region(8, [1, 2, 3], { start: key(8000), end: key(9000) });
  const merge = newOperator({
    info,
    kind: 'merge',
    desc: 'merge',
    steps: [{ type: 'MergeRegion', sourceId: rid(7), targetId: rid(8), targetEpoch: target.region.epoch }],
    nowMs,
  });
  const both = cluster({ stores: [1, 2, 3], regions: [info, target] });
  assert.equal(checkOperator(merge, both).status, 'running');
  const merged = { ...target, region: { ...target.region, start: info.region.start, epoch: { confVer: 5, version: 6 } } };
  assert.equal(checkOperator(merge, cluster({ stores: [1, 2, 3], regions: [merged] })).status, 'finished');
  const targetSplit = { ...target, region: { ...target.region, epoch: { confVer: 5, version: 6 } } };
  assert.equal(checkOperator(merge, cluster({ stores: [1, 2, 3], regions: [info, targetSplit] })).status, 'cancelled');
});

test('asserts on steps that would break the region: two peers on a store, a leader removing itself', () => {
  const info = region(7, [1, 2, 3]);
  const mk = (steps: Operator['steps']) => () => newOperator({ info, kind: 'balance-region', desc: 'x', steps, nowMs });
  assert.throws(mk([{ type: 'AddLearner', storeId: sid(2), peerId: pid(999) }]), AssertionFailure);
  assert.throws(mk([{ type: 'RemovePeer', storeId: sid(1) }]), AssertionFailure);
  assert.throws(mk([{ type: 'PromoteLearner', peerId: pid(702) }]), AssertionFailure);
  assert.throws(mk([{ type: 'TransferLeader', toStore: sid(4) }]), AssertionFailure);
  assert.throws(mk([{ type: 'SplitRegion', keys: 'approximate' }, { type: 'TransferLeader', toStore: sid(2) }]), AssertionFailure);
  assert.throws(mk([]), AssertionFailure);
});

test('round-trips through JSON, split keys as base64', () => {
  const op = newOperator({ info: region(7, [1, 2, 3]), kind: 'split', desc: 'split at k1', steps: [{ type: 'SplitRegion', keys: [new Uint8Array([0x6b, 0x31])] }], nowMs });
  const json = JSON.parse(JSON.stringify(operatorToJson(op)));
  assert.deepEqual(json.steps[0], { type: 'SplitRegion', keys: ['azE='] });
  assert.deepEqual(operatorFromJson(json), op);
  const move = moveOp(region(7, [1, 2, 3]));
  assert.deepEqual(operatorFromJson(JSON.parse(JSON.stringify(operatorToJson(move)))), move);
});

test('is cancelled when Raft elects a leader on the store whose peer it is about to remove', () => {
  const info = region(7, [1, 2, 3], { leader: 2 });
  const op = newOperator({
    info,
    kind: 'balance-region',
    desc: 'move region 7 from store 1 to store 4',
    steps: [
      { type: 'AddLearner', storeId: sid(4), peerId: pid(704) },
      { type: 'PromoteLearner', peerId: pid(704) },
      { type: 'RemovePeer', storeId: sid(1) },
    ],
    nowMs,
  });
  const promoted = after(2);
  assert.equal(checkOperator(op, snapWith({ ...promoted, leader: pid(702) })).status, 'running');
  const c = checkOperator(op, snapWith({ ...promoted, leader: pid(701) }));
  assert.equal(c.status, 'cancelled');
  assert.match(c.reason!, /leader is on store 1/);
});

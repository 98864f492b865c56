// Smoke tests of the Raft core benchmarks: each runs a tiny amount of work and checks what was
// done, never how fast (timings do not belong in tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runThroughput, type ProposeStyle } from '../../bench/raft/throughput.js';
import { createIdleGroups, idleTicksPerBlock, measureIdle, type IdleKind } from '../../bench/raft/idle.js';

function throughput(perTurn: number, style: ProposeStyle) {
  return runThroughput({ voters: 3, perTurn, style, payloadBytes: 128, seed: 7, entriesMax: 200 });
}

test('unbatched throughput run commits and applies all 200 proposed entries on every node', () => {
  const r = throughput(1, 'propose');
  assert.equal(r.entries, 200);
  assert.equal(r.turns, 200);
  assert.deepEqual(r.appliedPerNode, [200, 200, 200]);
  assert.ok(r.messages > 0);
});

for (const style of ['propose', 'proposeBatch'] as const) {
  test(`batched throughput run (64 per turn, ${style}) applies every proposed entry on every node`, () => {
    const r = throughput(64, style);
    // 200 rounded up to whole turns of 64.
    assert.equal(r.entries, 256);
    assert.equal(r.turns, 4);
    assert.deepEqual(r.appliedPerNode, [256, 256, 256]);
  });
}

test('a turn of 64 proposals sends no more messages than a turn of one', () => {
  // The core batches a turn's proposals into one append per follower.
  const one = throughput(1, 'propose');
  for (const style of ['propose', 'proposeBatch'] as const) {
    const many = throughput(64, style);
    assert.equal(many.messages / many.turns, one.messages / one.turns, style);
  }
});

for (const kind of ['leader-1', 'follower-3'] as IdleKind[]) {
  test(`ticks 100 idle groups (${kind}) without any of them getting work`, () => {
    const groups = createIdleGroups(kind, 100, 1);
    assert.equal(groups.nodes.length, 100);
    // measureIdle asserts that no tick left a Ready and that every group kept its role.
    const r = measureIdle(groups, { blocksMax: 3 });
    assert.equal(r.groups, 100);
    assert.equal(r.groupTicks, 100 * 3 * idleTicksPerBlock);
    assert.equal(r.heartbeats, kind === 'follower-3' ? 300 : 0);
  });
}

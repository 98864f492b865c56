// The deterministic simulator run by `npm test`: at least 300 seeds with every invariant
// checked after every event, determinism of traces, and proof that the checks can fail
// (deliberately broken Raft variants are caught).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Raft, type Message } from '../../src/raft/index.js';
import { RaftLog } from '../../src/raft/log.js';
import { replayCommand, runSeed, defaultRunOptions, type RunResult } from './run.js';

const seeds = Number(process.env.FLOTILLA_SIM_SEEDS ?? 300);

test(`${seeds} seeds keep every safety invariant and recover once faults heal`, () => {
  const failures: string[] = [];
  const faults: Record<string, number> = {};
  let steps = 0;
  let applied = 0;
  let reads = 0;
  for (let s = 1; s <= seeds; s++) {
    const r = runSeed(s);
    steps += r.steps;
    applied += r.applied;
    reads += r.readsServed;
    for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
    if (!r.ok) failures.push(`seed ${s}: ${r.violation}\n  replay: ${replayCommand(s, defaultRunOptions)}`);
  }
  assert.deepEqual(failures, []);
  // The run must actually have exercised the faults and the workload it claims to.
  for (const k of ['crash', 'restart', 'partition', 'one-way cut', 'link faults', 'slow disk', 'membership', 'transfer']) {
    assert.ok((faults[k] ?? 0) > 0, `no '${k}' fault was injected`);
  }
  assert.ok(applied > seeds * 50, `only ${applied} proposals applied`);
  assert.ok(reads > seeds * 10, `only ${reads} reads served`);
  assert.ok(steps > seeds * 1000, `only ${steps} steps`);
});

test('the same seed replays the same trace, and another seed does not', () => {
  const a = runSeed(42);
  const b = runSeed(42);
  const c = runSeed(43);
  assert.equal(a.traceHash, b.traceHash);
  assert.equal(a.steps, b.steps);
  assert.notEqual(a.traceHash, c.traceHash);
});

/** Runs seeds until one fails; returns the failure (or undefined). */
function firstFailure(maxSeeds: number): RunResult | undefined {
  for (let s = 1; s <= maxSeeds; s++) {
    const r = runSeed(s);
    if (!r.ok) return r;
  }
  return undefined;
}

test('catches a leader that counts its own log toward commit before it is durable', () => {
  const proto = Raft.prototype as unknown as { send(m: Message): void };
  const original = proto.send;
  // The broken rule: the leader's self-acknowledgement is stepped at once, not after advance().
  proto.send = function (this: Raft, m: Message) {
    if (m.to === this.id && m.type === 'app-resp') {
      m.from = this.id;
      m.term = this.term;
      this.step(m);
      return;
    }
    original.call(this, m);
  };
  try {
    const r = firstFailure(100);
    assert.ok(r, 'no seed caught the early self-acknowledgement');
    assert.match(r.violation!, /durable/);
  } finally {
    proto.send = original;
  }
});

test('catches voters that ignore the election restriction (log up-to-date check)', () => {
  const original = RaftLog.prototype.isUpToDate;
  RaftLog.prototype.isUpToDate = () => true;
  try {
    const r = firstFailure(400);
    assert.ok(r, 'no seed caught the broken vote rule');
    assert.match(r.violation!, /leader completeness|log matching|state machine safety|durable|exception/);
  } finally {
    RaftLog.prototype.isUpToDate = original;
  }
});

// The multi-raft simulator run by `npm test`: seeds with every invariant checked after every
// event, determinism of traces, and proof that the checks can fail (deliberate bugs are caught).
// More seeds: `npm run sim:multiraft -- --seeds 1000`, or FLOTILLA_MULTIRAFT_SEEDS here.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultRunOptions, replayCommand, runSeed, type RunResult } from './run.js';
import type { Bug } from './store.js';

const seeds = Number(process.env.FLOTILLA_MULTIRAFT_SEEDS ?? 40);

test(`${seeds} seeds keep every region invariant and converge once faults heal`, () => {
  const failures: string[] = [];
  const seen: Record<string, number> = {};
  let acked = 0;
  let reads = 0;
  for (let s = 1; s <= seeds; s++) {
    const r = runSeed(s);
    if (!r.ok) failures.push(`seed ${s} (${r.settings}): ${r.violation}\n  replay: ${replayCommand(s, defaultRunOptions)}`);
    acked += r.client?.acked ?? 0;
    reads += r.client?.readsChecked ?? 0;
    for (const [k, v] of Object.entries({ ...r.events, ...r.faults, ...r.driver })) seen[k] = (seen[k] ?? 0) + v;
  }
  assert.deepEqual(failures, []);
  // The runs must have exercised what they claim to.
  const exercised = [
    'applied batch-split',
    'applied change-peer',
    'applied prepare-merge',
    'applied commit-merge',
    'applied rollback-merge',
    'movesDone',
    'transfers',
    'snapshot installed',
    'snapshot refused (overlap)',
    'uninitialized peer initialized by split',
    'put refused at apply: EpochNotMatch',
    'stale command',
    'staleDestroyed',
    'crash',
    'restart',
    'partition',
    'link faults',
    'slow disk',
  ];
  if (seeds >= 40) exercised.push('merged source destroyed by snapshot', 'admin refused: commit-merge EpochNotMatch');
  for (const k of exercised) assert.ok((seen[k] ?? 0) > 0, `no '${k}' in ${seeds} seeds`);
  assert.ok(acked > seeds * 100, `only ${acked} puts acknowledged`);
  assert.ok(reads > seeds * 50, `only ${reads} reads checked`);
});

test('the same seed replays the same trace, and another seed does not', () => {
  const a = runSeed(7);
  const b = runSeed(7);
  const c = runSeed(8);
  assert.equal(a.traceHash, b.traceHash);
  assert.equal(a.steps, b.steps);
  assert.notEqual(a.traceHash, c.traceHash);
});

/** Runs seeds with a deliberate bug until one fails. */
function firstFailure(bug: Bug, maxSeeds: number): RunResult | undefined {
  for (let s = 1; s <= maxSeeds; s++) {
    const r = runSeed(s, { ...defaultRunOptions, bugs: new Set([bug]) });
    if (!r.ok) return r;
  }
  return undefined;
}

const caught: Array<[Bug, RegExp]> = [
  ['apply-ignores-epoch', /acknowledged puts are readable|data stays in its region/],
  ['split-keeps-data', /acknowledged puts are readable|data stays in its region/],
  ['merge-drops-source', /acknowledged puts are readable/],
  ['commit-without-wait', /merge source ready/],
  ['eager-source-gc', /merge source ready/],
  ['snapshot-ignores-overlap', /overlap/],
];

for (const [bug, pattern] of caught) {
  test(`catches the deliberate bug '${bug}'`, () => {
    const r = firstFailure(bug, 10);
    assert.ok(r, `no seed caught '${bug}'`);
    assert.match(r.violation!, pattern);
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegister, jepsenLog } from './support.js';

const staleRead = jepsenLog(
  '0 :invoke :write 1', // line 1
  '0 :ok :write 1',
  '1 :invoke :write 2', // line 3
  '1 :ok :write 2',
  '2 :invoke :read nil', // line 5
  '2 :ok :read 1',
);

test('a violation names the operation that cannot be placed and where the prefix ends', () => {
  const { result } = checkRegister(staleRead);
  assert.ok(result.verdict === 'not linearizable');
  const v = result.violation;
  assert.deepEqual(v.stuck.input, { f: 'read' });
  assert.deepEqual(v.stuck.lines, { invoke: 5, complete: 6 });
  assert.deepEqual(
    v.prefix.map((p) => [p.op.input, p.stateAfter]),
    [
      [{ f: 'write', value: 1 }, 1],
      [{ f: 'write', value: 2 }, 2],
    ],
  );
  assert.deepEqual(v.unplaced, [v.stuck]);
  assert.equal(v.state, 2);
});

test('the printed explanation lists the offending operations with their lines', () => {
  const { report } = checkRegister(staleRead);
  const lines = report.split('\n');
  assert.equal(lines[0], 'not linearizable');
  assert.match(lines[1]!, /up to line 6\b/);
  assert.match(report, /p2 +read → 1 +lines 5–6/);
  assert.match(report, /p0 +write 1 +lines 1–2 +1/);
  assert.match(report, /p1 +write 2 +lines 3–4 +2/);
  assert.match(report, /the state is 2/);
});

test('the explanation stops at the shortest prefix that cannot be linearized', () => {
  // The read on line 6 is already impossible; the later impossible read on line 8 is not reported.
  const { result } = checkRegister(staleRead + jepsenLog('2 :invoke :read nil', '2 :ok :read 7'));
  assert.ok(result.verdict === 'not linearizable');
  assert.equal(result.violation.stuck.lines?.complete, 6);
});

test('an operation with an unknown outcome is shown as such', () => {
  const { report } = checkRegister(
    jepsenLog('1 :invoke :write 2', '1 :info :write :timed-out', '2 :invoke :read nil', '2 :ok :read 3'),
  );
  assert.match(report, /p1 +write 2 → \? +lines 1–2/);
});

test('a linearizable history prints only the verdict', () => {
  const { report } = checkRegister(jepsenLog('0 :invoke :write 1', '0 :ok :write 1'));
  assert.equal(report, 'linearizable\n');
});

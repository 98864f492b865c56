import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegister, jepsenLog } from './support.js';

test('accepts a read of the last completed write', () => {
  const { result } = checkRegister(
    jepsenLog('0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :read nil', '1 :ok :read 1'),
  );
  assert.equal(result.verdict, 'linearizable');
});

test('accepts nil from a read before any write', () => {
  const { result } = checkRegister(jepsenLog('0 :invoke :read nil', '0 :ok :read nil'));
  assert.equal(result.verdict, 'linearizable');
});

test('catches a stale read', () => {
  const { result } = checkRegister(
    jepsenLog(
      '0 :invoke :write 1',
      '0 :ok :write 1',
      '1 :invoke :write 2',
      '1 :ok :write 2',
      '2 :invoke :read nil',
      '2 :ok :read 1',
    ),
  );
  assert.equal(result.verdict, 'not linearizable');
});

test('catches a read of a value nobody wrote', () => {
  const { result } = checkRegister(jepsenLog('0 :invoke :read nil', '0 :ok :read 3'));
  assert.equal(result.verdict, 'not linearizable');
});

for (const seen of ['1', '2']) {
  test(`accepts concurrent writes taking effect in either order (a later read sees ${seen})`, () => {
    const { result } = checkRegister(
      jepsenLog(
        '0 :invoke :write 1',
        '1 :invoke :write 2',
        '0 :ok :write 1',
        '1 :ok :write 2',
        '2 :invoke :read nil',
        `2 :ok :read ${seen}`,
      ),
    );
    assert.equal(result.verdict, 'linearizable');
  });
}

test('rejects two later reads that see concurrent writes in both orders', () => {
  const { result } = checkRegister(
    jepsenLog(
      '0 :invoke :write 1',
      '1 :invoke :write 2',
      '0 :ok :write 1',
      '1 :ok :write 2',
      '2 :invoke :read nil',
      '2 :ok :read 1',
      '2 :invoke :read nil',
      '2 :ok :read 2',
    ),
  );
  assert.equal(result.verdict, 'not linearizable');
});

for (const seen of ['1', '2']) {
  test(`accepts an :info write that may or may not have happened (a later read sees ${seen})`, () => {
    const { result } = checkRegister(
      jepsenLog(
        '0 :invoke :write 1',
        '0 :ok :write 1',
        '1 :invoke :write 2',
        '1 :info :write :timed-out',
        '2 :invoke :read nil',
        `2 :ok :read ${seen}`,
      ),
    );
    assert.equal(result.verdict, 'linearizable');
  });
}

test('rejects a read that undoes an :info write already seen to have happened', () => {
  const { result } = checkRegister(
    jepsenLog(
      '0 :invoke :write 1',
      '0 :ok :write 1',
      '1 :invoke :write 2',
      '1 :info :write :timed-out',
      '2 :invoke :read nil',
      '2 :ok :read 2',
      '2 :invoke :read nil',
      '2 :ok :read 1',
    ),
  );
  assert.equal(result.verdict, 'not linearizable');
});

test('rejects a read of an :info write before it was invoked', () => {
  const { result } = checkRegister(
    jepsenLog('2 :invoke :read nil', '2 :ok :read 2', '1 :invoke :write 2', '1 :info :write :timed-out'),
  );
  assert.equal(result.verdict, 'not linearizable');
});

test('treats an invoke that never completes like :info', () => {
  const history = ['0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :write 2', '2 :invoke :read nil'];
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 2')).result.verdict, 'linearizable');
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 1')).result.verdict, 'linearizable');
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 3')).result.verdict, 'not linearizable');
});

test('treats a failed cas as not having happened', () => {
  const history = ['0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :cas [1 2]', '1 :fail :cas [1 2]', '2 :invoke :read nil'];
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 1')).result.verdict, 'linearizable');
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 2')).result.verdict, 'not linearizable');
});

test('applies a successful cas', () => {
  const history = ['0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :cas [1 2]', '1 :ok :cas [1 2]', '2 :invoke :read nil'];
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 2')).result.verdict, 'linearizable');
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 1')).result.verdict, 'not linearizable');
});

test('rejects a successful cas whose compare could not have held', () => {
  const { result } = checkRegister(
    jepsenLog('0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :cas [3 4]', '1 :ok :cas [3 4]'),
  );
  assert.equal(result.verdict, 'not linearizable');
});

test('accepts an :info cas either way', () => {
  const history = ['0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :cas [1 2]', '1 :info :cas :timed-out', '2 :invoke :read nil'];
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 2')).result.verdict, 'linearizable');
  assert.equal(checkRegister(jepsenLog(...history, '2 :ok :read 1')).result.verdict, 'linearizable');
});

test('ignores a read whose outcome is unknown', () => {
  const { result } = checkRegister(
    jepsenLog('0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :read nil', '1 :info :read :timed-out'),
  );
  assert.equal(result.verdict, 'linearizable');
});

test('answers unknown when the time bound runs out', () => {
  // Sixteen concurrent writes that may or may not have happened and a read of a value none of
  // them wrote: deciding this means trying every subset of the writes, far more than the
  // search does between two looks at the clock. The clock never moves, so the bound of 0 ms is
  // already reached at the first look.
  const lines: string[] = [];
  for (let p = 0; p < 16; p++) lines.push(`${p} :invoke :write ${p}`);
  lines.push('99 :invoke :read nil', '99 :ok :read 100');
  const { result, report } = checkRegister(jepsenLog(...lines), { timeoutMs: 0, clock: () => 0 });
  assert.equal(result.verdict, 'unknown');
  assert.match(report, /^unknown\n/);
});

test('decides the same history when time does not run out', () => {
  const lines: string[] = [];
  for (let p = 0; p < 6; p++) lines.push(`${p} :invoke :write ${p}`);
  lines.push('99 :invoke :read nil', '99 :ok :read 100');
  const { result } = checkRegister(jepsenLog(...lines), { timeoutMs: Infinity });
  assert.equal(result.verdict, 'not linearizable');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKv, kvHistory } from './support.js';

test('reads a key that was never written as the empty string', () => {
  const { result } = checkKv(kvHistory([0, 'invoke', 'get', 'a', null], [0, 'ok', 'get', 'a', '']));
  assert.equal(result.verdict, 'linearizable');
});

test('put replaces the value and append extends it', () => {
  const { result } = checkKv(
    kvHistory(
      [0, 'invoke', 'append', 'a', 'x'],
      [0, 'ok', 'append', 'a', 'x'],
      [0, 'invoke', 'put', 'a', 'p'],
      [0, 'ok', 'put', 'a', 'p'],
      [0, 'invoke', 'append', 'a', 'q'],
      [0, 'ok', 'append', 'a', 'q'],
      [1, 'invoke', 'get', 'a', null],
      [1, 'ok', 'get', 'a', 'pq'],
    ),
  );
  assert.equal(result.verdict, 'linearizable');
});

for (const seen of ['xy', 'yx']) {
  test(`accepts concurrent appends in either order (a later get sees ${JSON.stringify(seen)})`, () => {
    const { result } = checkKv(
      kvHistory(
        [0, 'invoke', 'append', 'a', 'x'],
        [1, 'invoke', 'append', 'a', 'y'],
        [0, 'ok', 'append', 'a', 'x'],
        [1, 'ok', 'append', 'a', 'y'],
        [2, 'invoke', 'get', 'a', null],
        [2, 'ok', 'get', 'a', seen],
      ),
    );
    assert.equal(result.verdict, 'linearizable');
  });
}

test('catches a stale get', () => {
  const { result } = checkKv(
    kvHistory(
      [0, 'invoke', 'append', 'a', 'x'],
      [0, 'ok', 'append', 'a', 'x'],
      [0, 'invoke', 'append', 'a', 'y'],
      [0, 'ok', 'append', 'a', 'y'],
      [1, 'invoke', 'get', 'a', null],
      [1, 'ok', 'get', 'a', 'x'],
    ),
  );
  assert.equal(result.verdict, 'not linearizable');
});

test('accepts an :info append that may or may not have happened', () => {
  const history: Parameters<typeof kvHistory> = [
    [0, 'invoke', 'append', 'a', 'x'],
    [0, 'info', 'append', 'a', 'x'],
    [1, 'invoke', 'get', 'a', null],
  ];
  assert.equal(checkKv(kvHistory(...history, [1, 'ok', 'get', 'a', ''])).result.verdict, 'linearizable');
  assert.equal(checkKv(kvHistory(...history, [1, 'ok', 'get', 'a', 'x'])).result.verdict, 'linearizable');
  assert.equal(checkKv(kvHistory(...history, [1, 'ok', 'get', 'a', 'xx'])).result.verdict, 'not linearizable');
});

test('checks each key on its own and names the key that fails', () => {
  // Each key alone is fine except "b", whose get misses an append that completed before it.
  const { result, report } = checkKv(
    kvHistory(
      [0, 'invoke', 'append', 'a', '1'],
      [1, 'invoke', 'append', 'b', '2'],
      [0, 'ok', 'append', 'a', '1'],
      [1, 'ok', 'append', 'b', '2'],
      [0, 'invoke', 'get', 'a', null],
      [0, 'ok', 'get', 'a', '1'],
      [1, 'invoke', 'get', 'b', null],
      [1, 'ok', 'get', 'b', ''],
    ),
  );
  assert.equal(result.verdict, 'not linearizable');
  assert.equal(result.partitions, 2);
  assert.ok(result.verdict === 'not linearizable' && result.partition === 'key "b"');
  assert.match(report, /key "b"/);
});

test('does not let operations on one key explain a read of another', () => {
  // Read of "a" returns what was appended to "b": a whole-map model would also reject it, and so
  // must the per-key check.
  const { result } = checkKv(
    kvHistory([0, 'invoke', 'append', 'b', 'z'], [0, 'ok', 'append', 'b', 'z'], [1, 'invoke', 'get', 'a', null], [1, 'ok', 'get', 'a', 'z']),
  );
  assert.equal(result.verdict, 'not linearizable');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  casRegisterCodec,
  HistoryParseError,
  keyword,
  operationsFromEvents,
  parseEdnHistory,
  parseJepsenLog,
  readEdn,
} from '../../src/lincheck/index.js';

test('reads the EDN values Jepsen histories use', () => {
  assert.equal(readEdn('nil'), null);
  assert.equal(readEdn(' -42 '), -42);
  assert.equal(readEdn('"a \\"b\\"\\n"'), 'a "b"\n');
  assert.equal(readEdn(':timed-out'), keyword('timed-out'));
  assert.deepEqual(readEdn('[3 0]'), [3, 0]);
  const m = readEdn('{:process 0, :type :ok, :value [1 nil]}');
  assert.ok(m instanceof Map);
  assert.equal(m.get(keyword('type')), keyword('ok'));
  assert.deepEqual(m.get(keyword('value')), [1, null]);
});

test('rejects malformed EDN', () => {
  assert.throws(() => readEdn('[1 2'), /expected '\]'/);
  assert.throws(() => readEdn('"open'), /unterminated string/);
  assert.throws(() => readEdn('{:a}'), /has no value/);
  assert.throws(() => readEdn('1 2'), /after the value/);
});

test('parses Jepsen log lines separated by tabs or by spaces', () => {
  const tabs = 'INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\nINFO  jepsen.util - 2\t:fail\t:cas\t[3 0]\n';
  const spaces = 'INFO  jepsen.util - 2   :invoke :cas    [3 0]\n\nINFO  jepsen.util - 2   :fail   :cas    [3 0]\n';
  for (const text of [tabs, spaces]) {
    const events = parseJepsenLog(text);
    assert.deepEqual(
      events.map((e) => [e.process, e.type, e.f, e.value]),
      [
        [2, 'invoke', 'cas', [3, 0]],
        [2, 'fail', 'cas', [3, 0]],
      ],
    );
  }
});

test('skips other loggers and nemesis events in a Jepsen log', () => {
  const events = parseJepsenLog(
    [
      'INFO  jepsen.core - Running test',
      'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
    ].join('\n'),
  );
  assert.equal(events.length, 1);
  assert.equal(events[0]!.line, 3);
});

function parseErrorLine(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HistoryParseError, `expected a HistoryParseError, got ${String(err)}`);
    assert.match(err.message, new RegExp(`^line ${err.line}: `));
    return err.line;
  }
  assert.fail('expected a parse error');
}

test('a parse error in a Jepsen log names its line', () => {
  const ok = 'INFO  jepsen.util - 0\t:invoke\t:read\tnil';
  assert.equal(parseErrorLine(() => parseJepsenLog(`${ok}\nthis is not a log line\n`)), 2);
  assert.equal(parseErrorLine(() => parseJepsenLog(`${ok}\n\nINFO  jepsen.util - 0\t:ok\t:read\t[1\n`)), 3);
  assert.equal(parseErrorLine(() => parseJepsenLog(`INFO  jepsen.util - 0\t:done\t:read\tnil`)), 1);
});

test('a parse error in an EDN history names its line', () => {
  const ok = '{:process 0, :type :invoke, :f :get, :key "a", :value nil}';
  assert.equal(parseErrorLine(() => parseEdnHistory(`${ok}\n{:process 0, :type :ok, :f :get`)), 2);
  assert.equal(parseErrorLine(() => parseEdnHistory(`${ok}\n${ok}\n{:process "x", :type :ok, :f :get}`)), 3);
});

test('an operation the model does not know is a parse error on its line', () => {
  const text = 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:frob\t1\n';
  assert.equal(parseErrorLine(() => operationsFromEvents(parseJepsenLog(text), casRegisterCodec)), 2);
});

test('a process invoking twice without completing is a parse error', () => {
  const text = 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:write\t1\n';
  assert.equal(parseErrorLine(() => operationsFromEvents(parseJepsenLog(text), casRegisterCodec)), 2);
});

test('a completion without an invocation is a parse error', () => {
  const text = 'INFO  jepsen.util - 0\t:ok\t:read\tnil\n';
  assert.equal(parseErrorLine(() => operationsFromEvents(parseJepsenLog(text), casRegisterCodec)), 1);
});

test('pairs invocations with completions, drops failures, and leaves unknown outcomes open', () => {
  const text = [
    '0 :invoke :write 3',
    '1 :invoke :cas [3 4]',
    '0 :ok :write 3',
    '2 :invoke :cas [1 2]',
    '2 :fail :cas [1 2]',
    '1 :info :cas :timed-out',
    '3 :invoke :write 5',
  ]
    .map((l) => `INFO  jepsen.util - ${l}`)
    .join('\n');
  const ops = operationsFromEvents(parseJepsenLog(text), casRegisterCodec);
  assert.deepEqual(
    ops.map((op) => [op.id, op.input, op.outcome.known, op.call, op.ret]),
    [
      [0, { f: 'write', value: 3 }, true, 0, 2],
      [1, { f: 'cas', from: 3, to: 4 }, false, 1, Infinity],
      [2, { f: 'write', value: 5 }, false, 6, Infinity],
    ],
  );
});

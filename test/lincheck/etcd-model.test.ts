import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOperations, describeResult, HistoryParseError, historyCheckers, operationsFromEvents } from '../../src/lincheck/index.js';
import { etcd, etcdCodec, parseJsonHistory } from '../../src/lincheck/models/etcd.js';
import { repoRoot } from './support.js';

type Row = [process: number, type: 'invoke' | 'ok' | 'fail' | 'info', f: 'get' | 'put' | 'delete' | 'cas', key: string, value?: unknown];

/** A JSON-lines history from `[process, type, f, key, value]` rows. */
function history(...rows: Row[]): string {
  return rows.map(([process, type, f, key, value]) => JSON.stringify({ process, type, f, key, value: value ?? null })).join('\n') + '\n';
}

function check(text: string) {
  const result = checkOperations(etcd, operationsFromEvents(parseJsonHistory(text), etcdCodec));
  return { verdict: result.verdict, report: describeResult(etcd, result) };
}

const cas = (from: string, to: string, succeeded?: boolean) => (succeeded === undefined ? { from, to } : { from, to, succeeded });

test('a key that was never written reads as nil', () => {
  assert.equal(check(history([0, 'invoke', 'get', 'x'], [0, 'ok', 'get', 'x', null])).verdict, 'linearizable');
  assert.equal(check(history([0, 'invoke', 'get', 'x'], [0, 'ok', 'get', 'x', ''])).verdict, 'not linearizable');
});

test('put, get and delete in sequence', () => {
  const h = history(
    [0, 'invoke', 'put', 'x', '1'],
    [0, 'ok', 'put', 'x', '1'],
    [0, 'invoke', 'get', 'x'],
    [0, 'ok', 'get', 'x', '1'],
    [0, 'invoke', 'delete', 'x'],
    [0, 'ok', 'delete', 'x'],
    [1, 'invoke', 'get', 'x'],
    [1, 'ok', 'get', 'x', null],
  );
  assert.equal(check(h).verdict, 'linearizable');
});

test('catches a stale read', () => {
  const { verdict, report } = check(
    history(
      [0, 'invoke', 'put', 'x', '1'],
      [0, 'ok', 'put', 'x', '1'],
      [0, 'invoke', 'put', 'x', '2'],
      [0, 'ok', 'put', 'x', '2'],
      [1, 'invoke', 'get', 'x'],
      [1, 'ok', 'get', 'x', '1'],
    ),
  );
  assert.equal(verdict, 'not linearizable');
  assert.match(report, /get "x" → "1"/);
});

test('a read concurrent with a put may see either value', () => {
  for (const seen of ['1', '2']) {
    const h = history(
      [0, 'invoke', 'put', 'x', '1'],
      [0, 'ok', 'put', 'x', '1'],
      [0, 'invoke', 'put', 'x', '2'],
      [1, 'invoke', 'get', 'x'],
      [1, 'ok', 'get', 'x', seen],
      [0, 'ok', 'put', 'x', '2'],
    );
    assert.equal(check(h).verdict, 'linearizable', `get saw ${seen}`);
  }
});

test('an :info put may have happened', () => {
  const h = history([0, 'invoke', 'put', 'x', '1'], [0, 'info', 'put', 'x', '1'], [1, 'invoke', 'get', 'x'], [1, 'ok', 'get', 'x', '1']);
  assert.equal(check(h).verdict, 'linearizable');
});

test('an :info put may not have happened', () => {
  const h = history([0, 'invoke', 'put', 'x', '1'], [0, 'info', 'put', 'x', '1'], [1, 'invoke', 'get', 'x'], [1, 'ok', 'get', 'x', null]);
  assert.equal(check(h).verdict, 'linearizable');
});

test('an :info put cannot be seen, then unseen', () => {
  const h = history(
    [0, 'invoke', 'put', 'x', '1'],
    [0, 'info', 'put', 'x', '1'],
    [1, 'invoke', 'get', 'x'],
    [1, 'ok', 'get', 'x', '1'],
    [1, 'invoke', 'get', 'x'],
    [1, 'ok', 'get', 'x', null],
  );
  assert.equal(check(h).verdict, 'not linearizable');
});

test('a cas that returned false changes nothing', () => {
  const h = history(
    [0, 'invoke', 'put', 'x', '1'],
    [0, 'ok', 'put', 'x', '1'],
    [0, 'invoke', 'cas', 'x', cas('0', '2')],
    [0, 'ok', 'cas', 'x', cas('0', '2', false)],
    [1, 'invoke', 'get', 'x'],
    [1, 'ok', 'get', 'x', '2'],
  );
  assert.equal(check(h).verdict, 'not linearizable');
});

test('a cas that returned false saw another value', () => {
  const h = history([0, 'invoke', 'put', 'x', '1'], [0, 'ok', 'put', 'x', '1'], [0, 'invoke', 'cas', 'x', cas('1', '2')], [0, 'ok', 'cas', 'x', cas('1', '2', false)]);
  assert.equal(check(h).verdict, 'not linearizable');
});

test('a cas that returned true replaced the value it compared', () => {
  const ok = history(
    [0, 'invoke', 'put', 'x', '1'],
    [0, 'ok', 'put', 'x', '1'],
    [0, 'invoke', 'cas', 'x', cas('1', '2')],
    [0, 'ok', 'cas', 'x', cas('1', '2', true)],
    [1, 'invoke', 'get', 'x'],
    [1, 'ok', 'get', 'x', '2'],
  );
  assert.equal(check(ok).verdict, 'linearizable');
  const impossible = history([0, 'invoke', 'cas', 'x', cas('1', '2')], [0, 'ok', 'cas', 'x', cas('1', '2', true)]);
  assert.equal(check(impossible).verdict, 'not linearizable');
});

test('a cas on an absent key fails, as a value compare on a missing key does in etcd', () => {
  const h = history([0, 'invoke', 'cas', 'x', cas('', 'a')], [0, 'ok', 'cas', 'x', cas('', 'a', false)]);
  assert.equal(check(h).verdict, 'linearizable');
});

test('an :info cas may or may not have happened', () => {
  for (const seen of ['1', '2']) {
    const h = history(
      [0, 'invoke', 'put', 'x', '1'],
      [0, 'ok', 'put', 'x', '1'],
      [0, 'invoke', 'cas', 'x', cas('1', '2')],
      [0, 'info', 'cas', 'x', cas('1', '2')],
      [1, 'invoke', 'get', 'x'],
      [1, 'ok', 'get', 'x', seen],
    );
    assert.equal(check(h).verdict, 'linearizable', `get saw ${seen}`);
  }
});

test('a :fail put did not happen', () => {
  const h = history([0, 'invoke', 'put', 'x', '1'], [0, 'fail', 'put', 'x', '1'], [1, 'invoke', 'get', 'x'], [1, 'ok', 'get', 'x', '1']);
  assert.equal(check(h).verdict, 'not linearizable');
});

test('checks keys independently', () => {
  const h = history([0, 'invoke', 'put', 'x', '1'], [0, 'ok', 'put', 'x', '1'], [1, 'invoke', 'get', 'y'], [1, 'ok', 'get', 'y', null]);
  const ops = operationsFromEvents(parseJsonHistory(h), etcdCodec);
  assert.deepEqual(etcd.partition!(ops).map((p) => p.name), ['key "x"', 'key "y"']);
  assert.equal(check(h).verdict, 'linearizable');
});

test('names the line of a malformed event', () => {
  const bad = '{"process":0,"type":"invoke","f":"put","key":"x","value":"1"}\n{"process":0,"type":"done","f":"put","key":"x"}\n';
  assert.throws(() => parseJsonHistory(bad), (err: unknown) => err instanceof HistoryParseError && err.line === 2);
  const noSucceeded = history([0, 'invoke', 'cas', 'x', cas('1', '2')], [0, 'ok', 'cas', 'x', cas('1', '2')]);
  assert.throws(() => operationsFromEvents(parseJsonHistory(noSucceeded), etcdCodec), /succeeded/);
});

test('flotilla check-history --model etcd reads a JSON-lines file', () => {
  assert.ok(historyCheckers.has('etcd'));
  const dir = mkdtempSync(join(tmpdir(), 'etcd-model-'));
  try {
    const file = join(dir, 'history.jsonl');
    writeFileSync(file, history([0, 'invoke', 'put', 'x', '1'], [0, 'ok', 'put', 'x', '1'], [1, 'invoke', 'get', 'x'], [1, 'ok', 'get', 'x', null]));
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'flotilla'), 'check-history', '--model', 'etcd', file], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^not linearizable/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

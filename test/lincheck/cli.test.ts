// `flotilla check-history`, run as a user would: the exit code is the verdict (0, 1, 2), and 3
// means the check could not run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jepsenLog, repoRoot } from './support.js';

function flotilla(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/flotilla', 'check-history', ...args], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.error, undefined);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withFile(text: string, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-check-history-'));
  try {
    const path = join(dir, 'history.log');
    writeFileSync(path, text);
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const jepsen = 'test/data/linearizability/jepsen-etcd';

test('exits 0 and prints "linearizable" for a linearizable history', () => {
  const r = flotilla('--model', 'cas-register', `${jepsen}/etcd_002.log`);
  assert.equal(r.stdout, 'linearizable\n');
  assert.equal(r.code, 0);
});

test('exits 1 and explains a history that is not linearizable', () => {
  const r = flotilla('--model', 'cas-register', `${jepsen}/etcd_000.log`);
  assert.equal(r.code, 1);
  const [verdict, ...why] = r.stdout.split('\n');
  assert.equal(verdict, 'not linearizable');
  assert.match(why.join('\n'), /up to line \d+, where this returned/);
});

test('checks kv histories with --model kv', () => {
  assert.equal(flotilla('--model', 'kv', 'test/data/linearizability/kv/c01-ok.txt').code, 0);
  const bad = flotilla('--model=kv', 'test/data/linearizability/kv/c01-bad.txt');
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^not linearizable\nIn key "\d+"/);
});

test('exits 2 and prints "unknown" when the time bound runs out', () => {
  // Eighteen writes with unknown outcomes and an impossible read: deciding it means trying about
  // 2^18 subsets of the writes, which takes far longer than the 1 ms allowed.
  const lines: string[] = [];
  for (let p = 0; p < 18; p++) lines.push(`${p} :invoke :write ${p}`);
  lines.push('99 :invoke :read nil', '99 :ok :read 100');
  withFile(jepsenLog(...lines), (path) => {
    const r = flotilla('--model', 'cas-register', '--timeout', '0.001', path);
    assert.match(r.stdout, /^unknown\n/);
    assert.equal(r.code, 2);
  });
});

test('--help prints the usage and exits 0', () => {
  const r = flotilla('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: flotilla check-history --model NAME/);
  assert.match(r.stdout, /cas-register/);
  assert.match(r.stdout, /kv/);
});

for (const [what, args, message] of [
  ['a missing --model', [`${jepsen}/etcd_000.log`], /--model is required/],
  ['an unknown model', ['--model', 'queue', `${jepsen}/etcd_000.log`], /unknown model 'queue'/],
  ['a missing file argument', ['--model', 'cas-register'], /no history file/],
  ['two file arguments', ['--model', 'cas-register', 'a', 'b'], /expected one history file, got 2/],
  ['a bad --timeout', ['--model', 'cas-register', '--timeout', 'soon', 'a'], /--timeout takes a positive number/],
  ['an unknown option', ['--model', 'cas-register', '--fast', 'a'], /unknown option '--fast'/],
  ['a file that does not exist', ['--model', 'cas-register', 'no/such/history.log'], /cannot read no\/such\/history\.log/],
] as const) {
  test(`exits 3 with a message on stderr for ${what}`, () => {
    const r = flotilla(...args);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
  });
}

test('exits 3 and names the line of a parse error', () => {
  withFile(jepsenLog('0 :invoke :read nil', '0 :ok :read nil') + 'garbage here\n', (path) => {
    const r = flotilla('--model', 'cas-register', path);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /line 3: /);
  });
});

test('exits 3 when a history is given to the wrong model', () => {
  const r = flotilla('--model', 'kv', `${jepsen}/etcd_000.log`);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /line 1: /);
});

// The recorded histories in test/data/linearizability, each checked against its known verdict
// (see the README there for where they come from). Each must be decided, not `unknown`, under
// the default 10 s bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyCheckers, type Verdict } from '../../src/lincheck/index.js';
import { dataDir } from './support.js';

const jepsenDir = join(dataDir, 'jepsen-etcd');
const kvDir = join(dataDir, 'kv');

function readVerdicts(): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>();
  for (const line of readFileSync(join(jepsenDir, 'verdicts.tsv'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [file, linearizable] = line.split('\t');
    assert.ok(linearizable === 'true' || linearizable === 'false', `bad verdicts.tsv line '${line}'`);
    verdicts.set(file!, linearizable === 'true' ? 'linearizable' : 'not linearizable');
  }
  return verdicts;
}

const verdicts = readVerdicts();

function check(model: string, path: string, expected: Verdict): void {
  const { verdict, report } = historyCheckers.get(model)!.check(readFileSync(path, 'utf8'));
  assert.notEqual(verdict, 'unknown', 'the check ran out of time');
  assert.equal(verdict, expected, report);
}

test('verdicts.tsv has a verdict for every jepsen-etcd log and no others', () => {
  const logs = readdirSync(jepsenDir).filter((f) => f.endsWith('.log'));
  assert.deepEqual([...verdicts.keys()].sort(), logs.sort());
  assert.ok(logs.length > 0);
});

for (const [file, expected] of verdicts) {
  test(`jepsen-etcd/${file} is ${expected}`, () => {
    check('cas-register', join(jepsenDir, file), expected);
  });
}

for (const file of readdirSync(kvDir).filter((f) => f.endsWith('.txt')).sort()) {
  const expected: Verdict = file.endsWith('-ok.txt') ? 'linearizable' : 'not linearizable';
  test(`kv/${file} is ${expected}`, () => {
    assert.ok(/-(ok|bad)\.txt$/.test(file), `kv file ${file} is neither -ok nor -bad`);
    check('kv', join(kvDir, file), expected);
  });
}

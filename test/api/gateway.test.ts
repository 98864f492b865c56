// The JSON gateway answers exactly as real etcd 3.4.23's did (fixtures/gateway.json, recorded by
// record-fixtures.ts): same HTTP status, same body byte for byte, for each step in order.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gatewaySteps, type Recorded } from './gateway-scenario.js';
import { httpRequest, startHarness, streamLines, type Harness } from './harness.js';

const fixturePath = join(dirname(fileURLToPath(import.meta.url)), '../../../test/api/fixtures/gateway.json');
const recorded: Recorded[] = JSON.parse(readFileSync(fixturePath, 'utf8'));

describe('gateway answers as recorded from etcd 3.4.23', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('has a recording for every step', () => {
    assert.deepEqual(recorded.map((r) => r.name), gatewaySteps.map((s) => s.name));
  });

  for (const [i, step] of gatewaySteps.entries()) {
    it(step.name, async () => {
      const want = recorded[i];
      if (step.lines) {
        const lines = await streamLines(h.port, step.path, step.body ?? '', step.lines);
        assert.equal(lines.join('\n'), want.body);
        return;
      }
      const got = await httpRequest(h.port, step.method ?? 'POST', step.path, step.body);
      assert.equal(got.body, want.body);
      assert.equal(got.status, want.status);
    });
  }
});

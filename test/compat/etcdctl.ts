// The etcdctl compatibility suite, for any target: runs each script of etcdctl-script.ts against
// a fresh local cluster and compares its normalized transcript, step by step, with the one
// recorded from real etcd in fixtures/. etcdctl.test.ts runs it on etcd (proving the harness and
// the fixtures), etcdctl.flotilla.test.ts on Flotilla.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot, startCluster, type Cluster, type Target } from '../support/servers.js';
import { runScript, type Script } from './etcdctl-runner.js';
import { scripts } from './etcdctl-script.js';
import { readTranscript, type Block } from './transcript.js';

/** Where recorded transcripts live, in the source tree (tests run from dist/). */
export const fixturesDir = join(repoRoot, 'test', 'compat', 'fixtures');

export function fixturePath(name: string): string {
  return join(fixturesDir, `${name}.txt`);
}

/** Declares one test per recorded step of every script, run against `target`. */
export function etcdctlCompatSuite(target: Target, options: { skip?: string | false } = {}): void {
  for (const script of scripts) scriptSuite(target, script, options.skip ?? false);
}

function scriptSuite(target: Target, script: Script, skip: string | false): void {
  const expected = readTranscript(fixturePath(script.name));
  describe(`etcdctl ${script.name} on ${target} prints what etcd printed`, { skip }, () => {
    let cluster: Cluster | undefined;
    let actual = new Map<string, Block>();
    let failure: Error | undefined;

    before(async () => {
      cluster = await startCluster(target, { members: script.members });
      try {
        const blocks = await runScript(cluster, script);
        actual = new Map(blocks.map((b) => [b.name, b]));
      } catch (err) {
        // Keep going: the steps that ran are still compared, the others report this error.
        failure = err as Error;
      }
    });
    after(async () => {
      await cluster?.stop();
    });

    for (const want of expected) {
      test(want.name, () => {
        const got = actual.get(want.name);
        if (got === undefined) assert.fail(`the step did not run: ${failure?.message ?? 'it is not in the script'}`);
        assert.deepEqual({ command: got.command, lines: got.lines }, { command: want.command, lines: want.lines });
      });
    }
    test('runs every step of the recorded script', () => {
      if (failure !== undefined) throw failure;
      assert.deepEqual([...actual.keys()], expected.map((b) => b.name));
    });
  });
}

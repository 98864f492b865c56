// Records real etcd's normalized outputs as the fixtures the compatibility tests compare with:
//
//   npm run build && node dist/test/compat/record.js            # every fixture
//   node dist/test/compat/record.js etcdctl-1                   # one of them
//
// Review the diff of test/compat/fixtures/ before committing it. Needs etcd and etcdctl 3.4 on
// PATH (or ETCD_BIN / ETCDCTL).

import { mkdirSync } from 'node:fs';
import { startEtcd } from '../support/servers.js';
import { runEtcd3Scenario, etcd3FixtureName } from './etcd3-client.js';
import { runScript } from './etcdctl-runner.js';
import { scripts } from './etcdctl-script.js';
import { fixturePath, fixturesDir } from './etcdctl.js';
import { writeTranscript } from './transcript.js';

async function main(argv: string[]): Promise<number> {
  const wanted = (name: string) => argv.length === 0 || argv.includes(name);
  mkdirSync(fixturesDir, { recursive: true });
  for (const script of scripts) {
    if (!wanted(script.name)) continue;
    const cluster = await startEtcd({ members: script.members });
    try {
      const blocks = await runScript(cluster, script);
      writeTranscript(fixturePath(script.name), blocks);
      process.stdout.write(`${fixturePath(script.name)}: ${blocks.length} steps\n`);
    } finally {
      await cluster.stop();
    }
  }
  if (wanted(etcd3FixtureName)) {
    const cluster = await startEtcd({ members: 1 });
    try {
      const blocks = await runEtcd3Scenario(cluster);
      writeTranscript(fixturePath(etcd3FixtureName), blocks);
      process.stdout.write(`${fixturePath(etcd3FixtureName)}: ${blocks.length} steps\n`);
    } finally {
      await cluster.stop();
    }
  }
  return 0;
}

// NB: `npm test` runs every .js under dist/test/ as a test file, this one included; recording
// there would overwrite the fixtures the tests compare with, so it only runs when started directly.
if (process.env.NODE_TEST_CONTEXT === undefined) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`record: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

// Linearizability through a leader crash, for any target: clients put / get / delete / cas on a
// few keys of a 3-member cluster while the leader is killed with SIGKILL and restarted; the
// recorded history must be linearizable under the etcd model. leader-kill.test.ts runs it on
// etcd, leader-kill.flotilla.test.ts on Flotilla.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { checkEtcdHistory, runClients, withStaleRead, type RunClientsResult } from '../support/history.js';
import { startCluster, type Cluster, type Target } from '../support/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks member `i` who leads; undefined when it does not know or does not answer. */
async function leaderSeenBy(cluster: Cluster, i: number): Promise<number | undefined> {
  const client = new Etcd3({ hosts: cluster.clientUrls[i]!, dialTimeout: 1000, defaultCallOptions: () => ({ deadline: Date.now() + 1000 }) });
  try {
    const status = await client.maintenance.status({});
    const ids = await Promise.all(cluster.clientUrls.map((_, j) => memberId(cluster, j)));
    const at = ids.indexOf(status.leader);
    return at < 0 ? undefined : at;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

const memberIds = new WeakMap<Cluster, string[]>();

/** Member `j`'s ID, as the decimal string etcd3 gives; learned once while all members run. */
async function memberId(cluster: Cluster, j: number): Promise<string> {
  let ids = memberIds.get(cluster);
  if (ids === undefined) {
    const client = new Etcd3({ hosts: cluster.clientUrls[0]!, dialTimeout: 2000 });
    try {
      const list = await client.cluster.memberList({});
      ids = cluster.members.map((m) => list.members.find((x) => x.name === m.name)?.ID ?? '?');
      memberIds.set(cluster, ids);
    } finally {
      client.close();
    }
  }
  return ids[j]!;
}

/** Polls the members in `among` until one of them names a leader in `allowed`. */
async function waitForLeader(cluster: Cluster, among: readonly number[], allowed: (i: number) => boolean, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const i of among) {
      const l = await leaderSeenBy(cluster, i);
      if (l !== undefined && allowed(l)) return l;
    }
    if (Date.now() > deadline) throw new Error(`no leader among ${among.map((i) => cluster.members[i]!.name).join(', ')} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export function leaderKillSuite(target: Target, options: { skip?: string | false } = {}): void {
  describe(`${target}: a history through a leader crash is linearizable`, { skip: options.skip ?? false }, () => {
    let cluster: Cluster | undefined;
    before(async () => {
      cluster = await startCluster(target, { members: 3 });
    });
    after(async () => {
      await cluster?.stop();
    });

    test('clients on every member stay linearizable while the leader is SIGKILLed and restarted', async () => {
      const c = cluster!;
      const all = c.members.map((_, i) => i);
      const oldLeader = await waitForLeader(c, all, () => true);
      await memberId(c, 0);
      const run: Promise<RunClientsResult> = runClients({ endpoints: c.clientUrls, clients: 4, seconds: 8, keys: 3, seed: 7 });
      await sleep(2000);
      await c.kill(oldLeader, 'SIGKILL');
      const survivors = all.filter((i) => i !== oldLeader);
      const newLeader = await waitForLeader(c, survivors, (i) => i !== oldLeader);
      await sleep(1000);
      await c.restart(oldLeader);
      const { history, recorder } = await run;

      assert.notEqual(newLeader, oldLeader);
      // The run must have done something on both sides of the crash to prove anything.
      assert.ok(recorder.count('ok', 'put') + recorder.count('ok', 'cas') > 20, `too few writes completed:\n${history.slice(0, 2000)}`);
      assert.ok(recorder.count('ok', 'get') > 20, 'too few reads completed');
      const { verdict, report } = checkEtcdHistory(history);
      process.stdout.write(
        `# leader kill (${target}): ${recorder.count('ok', 'put')} puts, ${recorder.count('ok', 'cas')} cas, ` +
          `${recorder.count('ok', 'get')} gets ok; ${recorder.count('info', 'put') + recorder.count('info', 'cas')} writes of unknown outcome; verdict ${verdict}\n`,
      );
      if (verdict !== 'linearizable') {
        const file = join(mkdtempSync(join(tmpdir(), 'leader-kill-')), 'history.jsonl');
        writeFileSync(file, history);
        assert.fail(`${verdict} (history kept in ${file}; flotilla check-history --model etcd ${file}):\n${report}`);
      }
      // The same history with one stale read added must fail: the check has teeth on it.
      assert.equal(checkEtcdHistory(withStaleRead(history)).verdict, 'not linearizable');
    });
  });
}

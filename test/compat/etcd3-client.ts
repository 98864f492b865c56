// The etcd3 npm client's view of a server: a scripted scenario over kv, txn, watch, lease, lock
// and election whose normalized results are recorded from real etcd (fixtures/etcd3-client.txt)
// and compared step by step for any target. etcd3-client.test.ts runs it on etcd,
// etcd3-client.flotilla.test.ts on Flotilla.
//
// Each step records what the client returned, as JSON with Buffers shown as strings:
//
//   ### put a key
//   $ client.put("foo").value("bar")
//   {"header":{"cluster_id":"<cluster>","member_id":"<member:m0>","revision":"2","raft_term":"<term>"}}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3, EtcdLockFailedError, type IKeyValue, type Watcher } from 'etcd3';
import { startCluster, type Cluster, type Target } from '../support/servers.js';
import { fixturePath } from './etcdctl.js';
import { identitiesFromMemberList, Normalizer } from './normalize.js';
import { readTranscript, type Block } from './transcript.js';

export const etcd3FixtureName = 'etcd3-client';

const waitTimeoutMs = 15_000;
const stepTimeoutMs = 60_000;

/** JSON of a client result, with Buffers as UTF-8 strings and keys in a stable order. */
export function show(v: unknown): string {
  const plain = (x: unknown): unknown => {
    if (Buffer.isBuffer(x)) return x.toString('utf8');
    if (Array.isArray(x)) return x.map(plain);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== undefined).map(([k, y]) => [k, plain(y)]));
    }
    return x;
  };
  return JSON.stringify(plain(v) ?? null);
}

/** Resolves when `cond()` holds; rejects after `timeoutMs` with `what`. */
async function until(what: string, cond: () => boolean, timeoutMs = waitTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function eventsOf(w: Watcher): unknown[] {
  const seen: unknown[] = [];
  const kv = (k: IKeyValue | null | undefined) =>
    k == null ? undefined : { key: k.key, value: k.value, create_revision: k.create_revision, mod_revision: k.mod_revision, version: k.version };
  w.on('put', (k, prev) => seen.push({ type: 'put', kv: kv(k), prev: kv(prev) }));
  w.on('delete', (k, prev) => seen.push({ type: 'delete', kv: kv(k), prev: kv(prev) }));
  return seen;
}

/** Runs the scenario against `cluster` (member 0) and returns its normalized transcript. */
export async function runEtcd3Scenario(cluster: Cluster): Promise<Block[]> {
  const client = new Etcd3({ hosts: cluster.clientUrls[0]!, dialTimeout: 5000 });
  const blocks: Block[] = [];
  try {
    const members = await client.cluster.memberList({});
    const norm = new Normalizer(identitiesFromMemberList(show(members)));
    const step = async (name: string, command: string, fn: () => Promise<unknown>) => {
      let result: string;
      let timer: NodeJS.Timeout | undefined;
      try {
        // A step that never settles fails the run with its name instead of hanging it.
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`step "${name}" did not finish within ${stepTimeoutMs} ms`)), stepTimeoutMs);
        });
        result = show(await Promise.race([fn(), timeout]));
      } catch (err) {
        if ((err as Error).message.startsWith(`step "${name}" did not finish`)) throw err;
        result = `error ${(err as Error).constructor.name}: ${(err as Error).message}`;
      } finally {
        clearTimeout(timer);
      }
      blocks.push({ name, command, lines: [norm.normalize(result)] });
    };

    // kv
    await step('put a key', 'client.put("foo").value("bar")', () => client.put('foo').value('bar').exec());
    await step('put more keys', 'client.put("foo1").value("bar1")', () => client.put('foo1').value('bar1').exec());
    await step('put with the previous value', 'client.put("foo1").value("bar1-v2").getPrevious()', () => client.put('foo1').value('bar1-v2').getPrevious());
    await step('put outside the prefix', 'client.put("zoo").value("val")', () => client.put('zoo').value('val').exec());
    await step('get a value', 'client.get("foo").string()', () => client.get('foo').string());
    await step('get a missing key', 'client.get("nokey").string()', () => client.get('nokey').string());
    await step('get the whole response', 'client.get("foo1").exec()', () => client.get('foo1').exec());
    await step('get all by prefix', 'client.getAll().prefix("foo").strings()', () => client.getAll().prefix('foo').strings());
    await step('get all keys sorted descending', 'client.getAll().sort("Key", "Descend").keys()', () => client.getAll().sort('Key', 'Descend').keys());
    await step('count by prefix', 'client.getAll().prefix("foo").count()', () => client.getAll().prefix('foo').count());
    await step('get all with a limit', 'client.getAll().prefix("foo").limit(1).exec()', () => client.getAll().prefix('foo').limit(1).exec());
    await step('get at an old revision', 'client.get("foo1").revision(3).string()', () => client.get('foo1').revision(3).string());
    await step('delete a key', 'client.delete().key("foo").exec()', () => client.delete().key('foo').exec());
    await step('delete by prefix with previous values', 'client.delete().prefix("foo").getPrevious()', () => client.delete().prefix('foo').getPrevious());
    await step('get all by prefix after delete', 'client.getAll().prefix("foo").strings()', () => client.getAll().prefix('foo').strings());

    // txn
    await step(
      'txn whose compare holds',
      'client.if("zoo", "Value", "==", "val").then(put zoo val2).else(get zoo).commit()',
      () => client.if('zoo', 'Value', '==', 'val').then(client.put('zoo').value('val2')).else(client.get('zoo')).commit(),
    );
    await step(
      'txn whose compare fails',
      'client.if("zoo", "Version", ">", 5).then(put zoo never).else(get zoo).commit()',
      () => client.if('zoo', 'Version', '>', 5).then(client.put('zoo').value('never')).else(client.get('zoo')).commit(),
    );
    await step(
      'txn on create and mod revisions',
      'client.if("zoo", "Create", "<", 100).and("nokey", "Mod", "==", 0).then(put made it).commit()',
      () => client.if('zoo', 'Create', '<', 100).and('nokey', 'Mod', '==', 0).then(client.put('made').value('it')).commit(),
    );

    // watch
    const start = (await client.get('zoo').exec()).header.revision;
    await step('watch a prefix live', 'client.watch().prefix("w/").create(); put, put, delete', async () => {
      // create() resolves once the server confirmed the watch, so these writes are seen live.
      const w = await client.watch().prefix('w/').create();
      const seen = eventsOf(w);
      await client.put('w/a').value('1');
      await client.put('w/a').value('2');
      await client.delete().key('w/a');
      await until('3 watch events', () => seen.length >= 3);
      await w.cancel();
      return seen;
    });
    await step('watch from a revision with previous values', `client.watch().key("w/a").startRevision(${start}+1).withPreviousKV().create()`, async () => {
      const w = await client.watch().key('w/a').startRevision(String(Number(start) + 1)).withPreviousKV().create();
      const seen = eventsOf(w);
      await until('3 watch events', () => seen.length >= 3);
      await w.cancel();
      return seen;
    });
    // NB: etcd3 1.1's ignore() does what only() does; only() sends the filter that drops the other type.
    await step('watch only deletes', 'client.watch().key("w/a").startRevision(...).only("delete").create()', async () => {
      const w = await client.watch().key('w/a').startRevision(String(Number(start) + 1)).only('delete').create();
      const seen = eventsOf(w);
      await until('1 watch event', () => seen.length >= 1);
      await w.cancel();
      return seen;
    });

    // lease
    const lease = client.lease(100, { autoKeepAlive: false });
    await step('lease grant', 'client.lease(100).grant()', async () => {
      const id = await lease.grant();
      return norm.learnLease(BigInt(id));
    });
    await step('put with a lease', 'lease.put("lk").value("lv")', () => lease.put('lk').value('lv').exec());
    await step('a leased key carries the lease', 'client.get("lk").exec()', () => client.get('lk').exec());
    await step('lease keep-alive once', 'lease.keepaliveOnce()', () => lease.keepaliveOnce());
    await step('lease time to live with keys', 'client.leaseClient.leaseTimeToLive({ ID, keys: true })', async () => {
      const r = await client.leaseClient.leaseTimeToLive({ ID: await lease.grant(), keys: true });
      return { ...r, TTL: Number(r.TTL) > 0 && Number(r.TTL) <= Number(r.grantedTTL) ? '<ttl>' : r.TTL };
    });
    await step('lease list', 'client.leaseClient.leaseLeases({})', () => client.leaseClient.leaseLeases({}));
    await step('automatic keep-alive', 'client.lease(3).on("keepaliveSucceeded")', async () => {
      const auto = client.lease(3);
      norm.learnLease(BigInt(await auto.grant()));
      const replies: unknown[] = [];
      auto.on('keepaliveSucceeded', (r) => replies.push({ ID: r.ID, TTL: r.TTL }));
      await until('a keep-alive reply', () => replies.length >= 1);
      await auto.revoke();
      return replies[0];
    });
    await step('lease revoke', 'lease.revoke()', () => lease.revoke());
    await step('keys of a revoked lease are gone', 'client.get("lk").string()', () => client.get('lk').string());
    await step('lease time to live after revoke', 'client.leaseClient.leaseTimeToLive({ ID })', async () =>
      client.leaseClient.leaseTimeToLive({ ID: await lease.grant(), keys: false }),
    );

    // lock
    await step('lock, then a second lock fails until release', 'client.lock("mylock").acquire() twice, release, acquire', async () => {
      const first = await client.lock('mylock').ttl(30).acquire();
      const holder = await client.get('mylock').exec();
      let second: string;
      try {
        await client.lock('mylock').acquire();
        second = 'acquired while held';
      } catch (err) {
        second = err instanceof EtcdLockFailedError ? 'EtcdLockFailedError' : `unexpected ${(err as Error).message}`;
      }
      norm.learnLease(BigInt((await first.leaseId())!));
      await first.release();
      const third = await client.lock('mylock').acquire();
      norm.learnLease(BigInt((await third.leaseId())!));
      const after = await client.get('mylock').exec();
      await third.release();
      return { holderLease: holder.kvs[0]?.lease, second, afterLease: after.kvs[0]?.lease, gone: await client.get('mylock').string() };
    });

    // election
    await step('election: campaign, leader, a second campaign waits, resign', 'client.election("myelection").campaign(...)', async () => {
      const election = client.election('myelection', 30);
      const first = election.campaign('p1');
      await first.wait();
      const leader1 = await election.leader();
      const second = client.election('myelection', 30).campaign('p2');
      let secondElected = false;
      second.on('elected', () => (secondElected = true));
      // The second campaign is behind the first in creation order: it cannot be elected yet.
      const leaderWhileWaiting = await election.leader();
      const electedEarly = secondElected;
      await first.resign();
      await second.wait();
      const leader2 = await election.leader();
      await second.resign();
      const leader3 = await election.leader();
      return { leader1, leaderWhileWaiting, electedEarly, leader2, leader3: leader3 ?? null };
    });
  } finally {
    client.close();
  }
  return blocks;
}

/** Declares one test per recorded step, run against `target`. */
export function etcd3CompatSuite(target: Target, options: { skip?: string | false } = {}): void {
  const expected = readTranscript(fixturePath(etcd3FixtureName));
  describe(`the etcd3 client on ${target} sees what it saw on etcd`, { skip: options.skip ?? false }, () => {
    let cluster: Cluster | undefined;
    let actual = new Map<string, Block>();
    let failure: Error | undefined;
    before(async () => {
      cluster = await startCluster(target, { members: 1 });
      try {
        actual = new Map((await runEtcd3Scenario(cluster)).map((b) => [b.name, b]));
      } catch (err) {
        failure = err as Error;
      }
    });
    after(async () => {
      await cluster?.stop();
    });
    for (const want of expected) {
      test(want.name, () => {
        const got = actual.get(want.name);
        if (got === undefined) assert.fail(`the step did not run: ${failure?.message ?? 'it is not in the scenario'}`);
        assert.deepEqual(got.lines, want.lines);
      });
    }
    test('runs every step of the recorded scenario', () => {
      if (failure !== undefined) throw failure;
      assert.deepEqual([...actual.keys()], expected.map((b) => b.name));
    });
  });
}

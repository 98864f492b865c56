// The etcdctl 3.4 commands that Flotilla must answer as etcd does, in two scripts: one member
// (the data commands) and three members (the cluster commands). Their normalized output from real
// etcd is recorded in fixtures/ by `node dist/test/compat/record.js`.
//
// Steps depend on the ones before them (revisions, leases), so edit the script, re-record, and
// review the fixture diff. Revisions are not normalized: Flotilla's unsharded mode numbers
// revisions exactly as etcd does.

import type { Script, Step } from './etcdctl-runner.js';

const next = (rev: string | undefined, by = 1) => String(Number(rev) + by);

// txn reads its input from stdin: compares, a blank line, success requests, a blank line, failure requests.
const txnSucceeds = ['value("zoo") = "val"', 'version("zoo") = "1"', '', 'put zoo val2', 'get zoo', '', 'get zoo', '', ''].join('\n');
const txnFails = ['create("zoo") = "0"', 'mod("zoo") > "1000"', '', 'put zoo never', '', 'put zoo/failed yes', 'get zoo --prefix', '', ''].join('\n');
const txnMissingKey = ['value("nokey") = "x"', '', 'put nokey x', '', 'del zoo/failed', '', ''].join('\n');

const kvSteps: Step[] = [
  { run: 'put a key', args: ['put', 'foo', 'bar'] },
  { run: 'put more keys', args: ['put', 'foo1', 'bar1'] },
  { run: 'put a key with a space in its value', args: ['put', 'foo2', 'bar 2'] },
  { run: 'put a key after the prefix', args: ['put', 'fop', 'after'] },
  { run: 'put an unrelated key', args: ['put', 'zoo', 'val'] },
  { run: 'put with --prev-kv', args: ['put', 'foo1', 'bar1-v2', '--prev-kv'] },
  { run: 'get one key', args: ['get', 'foo'] },
  { run: 'get a missing key prints nothing', args: ['get', 'nokey'] },
  { run: 'get by prefix', args: ['get', 'foo', '--prefix'] },
  { run: 'get from a key', args: ['get', '--from-key', 'foo1'] },
  { run: 'get a range [foo1, fop)', args: ['get', 'foo1', 'fop'] },
  { run: 'get with --limit', args: ['get', 'foo', '--prefix', '--limit=2'] },
  { run: 'get sorted by key, descending', args: ['get', 'f', '--prefix', '--sort-by=KEY', '--order=DESCEND'] },
  { run: 'get sorted by mod revision, descending', args: ['get', 'f', '--prefix', '--sort-by=MODIFY', '--order=DESCEND'] },
  { run: 'get sorted by version', args: ['get', 'f', '--prefix', '--sort-by=VERSION', '--order=DESCEND', '--keys-only'] },
  { run: 'get sorted by value, ascending', args: ['get', 'f', '--prefix', '--sort-by=VALUE', '--order=ASCEND'] },
  { run: 'get sorted by create revision', args: ['get', 'f', '--prefix', '--sort-by=CREATE', '--order=DESCEND', '--keys-only'] },
  { run: 'get keys only', args: ['get', 'foo', '--prefix', '--keys-only'] },
  { run: 'get values only', args: ['get', 'foo', '--prefix', '--print-value-only'] },
  { run: 'get everything', args: ['get', '', '--prefix'] },
  { run: 'get at an old revision', args: ['get', 'foo1', '--rev=3'] },
  { run: 'get at a future revision fails', args: ['get', 'foo1', '--rev=1000'] },
  { run: 'get serializable', args: ['get', 'foo', '--consistency=s'] },
  { run: 'get linearizable', args: ['get', 'foo', '--consistency=l'] },
  { run: 'get as json', args: ['get', 'foo', '-w', 'json'], capture: { rev: /"revision":(\d+)/ } },
  { run: 'get as json with --limit sets more', args: ['get', 'foo', '--prefix', '--limit=1', '-w', 'json'] },
  { run: 'get a missing key as json', args: ['get', 'nokey', '-w', 'json'] },
  { run: 'get keys only as json', args: ['get', 'f', '--prefix', '--keys-only', '-w', 'json'] },
  { run: 'put as json', args: ['put', 'foo2', 'bar2', '-w', 'json'] },
  { run: 'put without a value fails', args: ['put', 'foo'] },
  { run: 'put --ignore-value on a missing key fails', args: ['put', 'nokey', '--ignore-value'] },
  { run: 'put --ignore-value keeps the value', args: ['put', 'foo', '--ignore-value'] },
  { run: 'delete one key', args: ['del', 'fop'] },
  { run: 'delete a missing key', args: ['del', 'nokey'] },
  { run: 'delete by prefix with --prev-kv', args: ['del', 'foo', '--prefix', '--prev-kv'] },
  { run: 'get by prefix after delete', args: ['get', 'foo', '--prefix'] },
  { run: 'delete from a key as json', args: ['del', '--from-key', 'zzz', '-w', 'json'] },
  { run: 'txn whose compares hold', args: ['txn'], stdin: txnSucceeds },
  { run: 'txn whose compares fail', args: ['txn'], stdin: txnFails },
  { run: 'txn comparing the value of a missing key', args: ['txn'], stdin: txnMissingKey },
  { run: 'txn in interactive mode', args: ['txn', '-i'], stdin: ['mod("zoo") > "0"', '', 'del zoo/failed', 'put zoo val3', '', '', ''].join('\n') },
  { run: 'txn as json', args: ['txn', '-w', 'json'], stdin: ['value("zoo") = "val3"', '', 'get zoo', 'put zoo val4', '', '', ''].join('\n') },
];

const watchSteps: Step[] = [
  { run: 'revision before the watches', args: ['get', 'zoo', '-w', 'json'], capture: { rev: /"revision":(\d+)/ } },
  // Live: the watch starts before the writes; it is given the next revision so that it sees the
  // same events even if it registers late.
  { start: 'live', args: (v) => ['watch', 'w/', '--prefix', `--rev=${next(v.rev)}`], settleMs: 500 },
  { start: 'live-json', args: (v) => ['watch', 'w/b', '-w', 'json', `--rev=${next(v.rev)}`], settleMs: 500 },
  { run: 'put for the watch', args: ['put', 'w/a', '1'] },
  { run: 'put another for the watch', args: ['put', 'w/b', '2'] },
  { run: 'overwrite for the watch', args: ['put', 'w/a', '3'] },
  { run: 'delete for the watch', args: ['del', 'w/a'] },
  { stop: 'live', name: 'watch a prefix live', until: /^DELETE\nw\/a\n/m },
  { stop: 'live-json', name: 'watch one key live as json', until: /"Events"/ },
  { start: 'past', args: (v) => ['watch', 'w/a', '--prev-kv', `--rev=${next(v.rev)}`] },
  { stop: 'past', name: 'watch from a revision with --prev-kv', until: /^DELETE\nw\/a\n/m },
  { start: 'range', args: (v) => ['watch', 'w/a', 'w/c', `--rev=${next(v.rev, 2)}`] },
  { stop: 'range', name: 'watch a range from a revision', until: /^DELETE\nw\/a\n/m },
];

const leaseSteps: Step[] = [
  { run: 'lease grant', args: ['lease', 'grant', '100'], capture: { lease: /lease ([0-9a-f]+) granted/ } },
  { run: 'put with the lease', args: (v) => ['put', 'lk', 'lv', `--lease=${v.lease}`] },
  { run: 'put another key with the lease', args: (v) => ['put', 'lk2', 'lv2', `--lease=${v.lease}`] },
  { run: 'get a leased key as json', args: ['get', 'lk', '-w', 'json'] },
  { run: 'lease timetolive with keys', args: (v) => ['lease', 'timetolive', v.lease!, '--keys'] },
  { run: 'lease timetolive as json', args: (v) => ['lease', 'timetolive', v.lease!, '-w', 'json'] },
  { run: 'lease keep-alive once', args: (v) => ['lease', 'keep-alive', '--once', v.lease!] },
  { run: 'lease grant as json', args: ['lease', 'grant', '50', '-w', 'json'], capture: { lease2: /"ID":(\d+)/ } },
  { run: 'lease list', args: ['lease', 'list'], sort: true },
  { run: 'lease revoke', args: (v) => ['lease', 'revoke', v.lease!] },
  { run: 'keys of a revoked lease are gone', args: ['get', 'lk', '--prefix'] },
  { run: 'lease timetolive of a revoked lease', args: (v) => ['lease', 'timetolive', v.lease!] },
  { run: 'lease revoke of a revoked lease fails', args: (v) => ['lease', 'revoke', v.lease!] },
  { run: 'lease keep-alive of a revoked lease', args: (v) => ['lease', 'keep-alive', '--once', v.lease!] },
  { run: 'put with a revoked lease fails', args: (v) => ['put', 'lk', 'lv', `--lease=${v.lease}`] },
  { run: 'revoke the second lease', args: (v) => ['lease', 'revoke', BigInt(v.lease2!).toString(16)] },
  { run: 'lease list when empty', args: ['lease', 'list'] },
  { run: 'lease grant 1 gives the minimum TTL', args: ['lease', 'grant', '1'], capture: { short: /lease ([0-9a-f]+) granted/ } },
  { run: 'revoke the short lease', args: (v) => ['lease', 'revoke', v.short!] },
];

const compactionSteps: Step[] = [
  { run: 'compaction', args: ['compaction', '5'] },
  { run: 'get at a compacted revision fails', args: ['get', 'zoo', '--rev=4'] },
  { run: 'get at the compacted revision', args: ['get', 'f', '--prefix', '--rev=5'] },
  { run: 'compaction again fails', args: ['compaction', '5'] },
  { run: 'compaction to a future revision fails', args: ['compaction', '1000'] },
  { run: 'physical compaction', args: ['compaction', '--physical', '6'] },
  { run: 'watch from a compacted revision is canceled', args: ['watch', 'zoo', '--rev=2'] },
];

const lockSteps: Step[] = [
  { run: 'lock around a command', args: ['lock', 'mylock', 'echo', 'holding the lock'] },
  { start: 'holder', args: ['lock', 'mylock'], until: /^mylock\//m },
  { start: 'waiter', args: ['lock', 'mylock', 'echo', 'second holder'], settleMs: 500 },
  { run: 'lock keys while one waits', args: ['get', 'mylock', '--prefix', '--keys-only', '--sort-by=CREATE'] },
  { stop: 'holder', name: 'lock until interrupted' },
  { wait: 'waiter', name: 'lock waits for the holder' },
  { run: 'lock keys after release', args: ['get', 'mylock', '--prefix', '--keys-only'] },
  { start: 'leader', args: ['elect', 'myelection', 'p1'], until: /^p1$/m },
  { start: 'observer', args: ['elect', '-l', 'myelection'], until: /^p1$/m },
  { start: 'candidate', args: ['elect', 'myelection', 'p2'], settleMs: 500 },
  { run: 'election keys while one campaigns', args: ['get', 'myelection', '--prefix', '--sort-by=CREATE'] },
  { stop: 'leader', name: 'elect until interrupted' },
  { stop: 'candidate', name: 'elect after the leader resigned', until: /^p2$/m },
  { stop: 'observer', name: 'elect --listen sees both leaders', until: /^p2$/m },
  { run: 'election keys after resigning', args: ['get', 'myelection', '--prefix'] },
];

const maintenanceSteps: Step[] = [
  { run: 'endpoint health', args: ['endpoint', 'health'] },
  { run: 'endpoint health as json', args: ['endpoint', 'health', '-w', 'json'] },
  { run: 'endpoint status', args: ['endpoint', 'status'] },
  { run: 'endpoint status as json', args: ['endpoint', 'status', '-w', 'json'] },
  { run: 'endpoint hashkv', args: ['endpoint', 'hashkv'] },
  { run: 'endpoint hashkv at a revision as json', args: ['endpoint', 'hashkv', '--rev=8', '-w', 'json'] },
  { run: 'member list', args: ['member', 'list'] },
  { run: 'member list as json', args: ['member', 'list', '-w', 'json'] },
  { run: 'alarm list', args: ['alarm', 'list'] },
  { run: 'alarm list as json', args: ['alarm', 'list', '-w', 'json'] },
];

export const oneMemberScript: Script = {
  name: 'etcdctl-1',
  members: 1,
  leaseKeyPrefixes: ['mylock/', 'myelection/'],
  steps: [...kvSteps, ...watchSteps, ...leaseSteps, ...compactionSteps, ...lockSteps, ...maintenanceSteps],
};

export const threeMemberScript: Script = {
  name: 'etcdctl-3',
  members: 3,
  leaseKeyPrefixes: [],
  steps: [
    {
      setup: 'make m0 the leader, so that who leads is the same in every run',
      async action(ctx) {
        const status = await ctx.etcdctl(['endpoint', 'status', '-w', 'json'], { on: 0 });
        const m = /"member_id":(\d+).*?"leader":(\d+)/.exec(status.stdout);
        if (m === null) throw new Error(`endpoint status: ${status.stdout}${status.stderr}`);
        if (m[1] === m[2]) return;
        const out = await ctx.etcdctl(['move-leader', BigInt(m[1]!).toString(16)], { on: 'all' });
        if (out.code !== 0) throw new Error(`move-leader: ${out.stdout}${out.stderr}`);
      },
    },
    { run: 'member list', args: ['member', 'list'], sort: true, capture: { m1: /^([0-9a-f]+), started, m1,/m } },
    { run: 'put on m0', args: ['put', 'k', 'v'] },
    { run: 'get on m1', args: ['get', 'k', '-w', 'json'], on: 1 },
    { run: 'get on m2', args: ['get', 'k'], on: 2 },
    { run: 'put on a follower', args: ['put', 'k2', 'v2'], on: 2 },
    { run: 'get everything from the cluster', args: ['get', 'k', '--prefix'], on: 'all' },
    { run: 'linearizable get on the leader', args: ['get', 'k2'] },
    { run: 'serializable get on the leader', args: ['get', 'k', '--prefix', '--consistency=s'] },
    { run: 'get on m1 again, so it has applied everything', args: ['get', 'k2'], on: 1 },
    { run: 'endpoint health of the cluster', args: ['endpoint', 'health', '--cluster'], sort: true },
    { run: 'endpoint status of the cluster', args: ['endpoint', 'status', '--cluster'], sort: true },
    { run: 'endpoint hashkv of the cluster', args: ['endpoint', 'hashkv', '--cluster'], sort: true },
    { run: 'endpoint status of each endpoint', args: ['endpoint', 'status'], on: 'all', sort: true },
    { run: 'move-leader to m1', args: (v) => ['move-leader', v.m1!], on: 'all' },
    { run: 'endpoint status after move-leader', args: ['endpoint', 'status', '--cluster'], sort: true },
    { run: 'alarm list', args: ['alarm', 'list'] },
  ],
};

export const scripts: readonly Script[] = [oneMemberScript, threeMemberScript];

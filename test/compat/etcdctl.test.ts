// The etcdctl harness proven on real etcd: the normalizer on known outputs, then every recorded
// script step against a fresh etcd cluster (the same suite etcdctl.flotilla.test.ts runs on Flotilla).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Normalizer, identitiesFromMemberList } from './normalize.js';
import { outputLines, parseTranscript, renderTranscript } from './transcript.js';
import { etcdctlCompatSuite } from './etcdctl.js';

const m0 = { name: 'm0', id: 13668033151171901709n, clientUrl: 'http://127.0.0.1:41231', peerUrl: 'http://127.0.0.1:41232' };
const m1 = { name: 'm1', id: 0x0a15a1ffe65c3238n, clientUrl: 'http://127.0.0.1:41233', peerUrl: 'http://127.0.0.1:41234' };
const normalizer = () => new Normalizer({ members: [m0, m1], clusterId: 15118495548433857066n, leaseKeyPrefixes: ['mylock/'] });

test('names member IDs after their member, in hex and in decimal', () => {
  const n = normalizer();
  assert.equal(n.normalize('bdae9bbc11dd390d, started, m0, http://127.0.0.1:41232, http://127.0.0.1:41231, false'), '<member:m0>, started, m0, <peer:m0>, <client:m0>, false');
  assert.equal(n.normalize('Leadership transferred from a15a1ffe65c3238 to bdae9bbc11dd390d'), 'Leadership transferred from <member:m1> to <member:m0>');
  assert.equal(
    n.normalize('{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":9,"raft_term":2}}'),
    '{"header":{"cluster_id":"<cluster>","member_id":"<member:m0>","revision":9,"raft_term":"<term>"}}',
  );
});

test('keeps revisions, versions, keys and values', () => {
  const n = normalizer();
  const line = '{"header":{"revision":16},"kvs":[{"key":"em9v","create_revision":6,"mod_revision":16,"version":4,"value":"dmFsNA=="}],"count":1}';
  assert.equal(n.normalize(line), line);
  assert.equal(n.normalize('deadbeef\n1234'), 'deadbeef\n1234');
});

test('numbers lease IDs by first appearance, the same in hex, padded hex and decimal', () => {
  const n = normalizer();
  assert.equal(n.normalize('lease 0694d7c8a2b0a4c0 granted with TTL(60s)'), 'lease <lease-1> granted with TTL(60s)');
  assert.equal(n.normalize('lease 390da200411ea03a granted with TTL(2s)'), 'lease <lease-2> granted with TTL(2s)');
  assert.equal(n.normalize('mylock/694d7c8a2b0a4c0'), 'mylock/<lease-1>');
  assert.equal(n.normalize(`{"kvs":[{"key":"bGs=","lease":${0x390da200411ea03an}}]}`), '{"kvs":[{"key":"bGs=","lease":"<lease-2>"}]}');
  assert.equal(n.normalize('mylock/77'), 'mylock/<lease-3>');
});

test('hides what varies: sizes, indexes, terms, durations, remaining TTLs, unknown ports', () => {
  const n = normalizer();
  assert.equal(
    n.normalize('http://127.0.0.1:41231, bdae9bbc11dd390d, 3.4.23, 57 kB, true, false, 2, 36, 36, '),
    '<client:m0>, <member:m0>, 3.4.23, <db-size>, true, false, <term>, <raft-index>, <raft-index>, ',
  );
  assert.equal(n.normalize('http://127.0.0.1:41233 is healthy: successfully committed proposal: took = 1.130872ms'), '<client:m1> is healthy: successfully committed proposal: took = <duration>');
  assert.equal(n.normalize('lease 1f granted with TTL(100s), remaining(99s), attached keys([b a])'), 'lease <lease-1> granted with TTL(100s), remaining(<ttl>), attached keys([a b])');
  assert.equal(n.normalize('--endpoints=[127.0.0.1:2379]'), '--endpoints=[127.0.0.1:<port>]');
});

test('numbers hashes so that equal hashes stay equal', () => {
  const n = normalizer();
  assert.deepEqual(
    ['http://127.0.0.1:41231, 706661207', 'http://127.0.0.1:41233, 706661207', 'http://127.0.0.1:41233, 12'].map((l) => n.normalize(l)),
    ['<client:m0>, <hash-1>', '<client:m1>, <hash-1>', '<client:m1>, <hash-2>'],
  );
});

test('reads exact 64-bit IDs from a member list', () => {
  const ids = identitiesFromMemberList(
    '{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"raft_term":2},"members":[{"ID":13668033151171901709,"name":"m0","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]}]}',
  );
  assert.equal(ids.clusterId, 15118495548433857066n);
  assert.deepEqual(ids.members, [{ id: 13668033151171901709n, name: 'm0', peerUrl: 'http://127.0.0.1:23801', clientUrl: 'http://127.0.0.1:23791' }]);
});

test('a transcript reads back as it was written, blank lines included', () => {
  const blocks = [
    { name: 'txn', command: 'etcdctl txn', lines: ['< x', 'SUCCESS', '', 'OK', ''] },
    { name: 'empty', command: 'etcdctl get nokey', lines: [] },
    { name: 'last', command: 'etcdctl get k', lines: ['k', ''] },
  ];
  assert.deepEqual(parseTranscript(renderTranscript(blocks)), blocks);
});

test('output lines drop the Go client retry logs and show a failing exit code', () => {
  const lines = outputLines({ stdout: '', stderr: '{"level":"warn","msg":"retrying of unary invoker failed"}\nError: etcdserver: no leader\n', code: 1 });
  assert.deepEqual(lines, ['stderr: Error: etcdserver: no leader', '! exit 1']);
});

etcdctlCompatSuite('etcd');

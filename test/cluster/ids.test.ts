import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  clusterIdFromMemberIds,
  formatIdHex,
  idsOfNewCluster,
  memberIdForRuntimeAdd,
  memberIdFromPeerUrls,
  parseUint64Decimal,
} from '../../src/cluster/ids.js';

interface Fixture {
  clusters: {
    token: string;
    clusterId: string;
    members: { name: string; peerUrls: string[]; id: string }[];
  }[];
  runtimeAdds: { peerUrls: string[]; unixSeconds: number; id: string }[];
}

const fixture = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../test/cluster/fixtures/etcd-3.4-member-ids.json', import.meta.url)),
    'utf8',
  ),
) as Fixture;

test('derives the one-member IDs of the ETCD-WIRE test vector', () => {
  const id = memberIdFromPeerUrls(['http://127.0.0.1:16380'], 'etcd-cluster');
  assert.equal(id, 1518530654159652862n);
  assert.equal(clusterIdFromMemberIds([id]), 8824506472088007024n);
});

test('derives the member and cluster IDs real etcd 3.4 gave each recorded cluster', () => {
  assert.ok(fixture.clusters.length >= 3);
  for (const c of fixture.clusters) {
    const got = idsOfNewCluster(c.members, c.token);
    assert.deepEqual(
      got.members.map((m) => [m.name, m.id.toString()]),
      c.members.map((m) => [m.name, m.id]),
    );
    assert.equal(got.clusterId.toString(), c.clusterId);
  }
});

test('sorts peer URLs before hashing, so their order in the flags does not matter', () => {
  const a = memberIdFromPeerUrls(['http://127.0.0.1:23812', 'http://127.0.0.1:23811'], 'flotilla-test');
  const b = memberIdFromPeerUrls(['http://127.0.0.1:23811', 'http://127.0.0.1:23812'], 'flotilla-test');
  assert.equal(a, b);
});

test('a different cluster token gives a different member ID for the same URLs', () => {
  const urls = ['http://127.0.0.1:16380'];
  assert.notEqual(memberIdFromPeerUrls(urls, 'etcd-cluster'), memberIdFromPeerUrls(urls, 'other'));
});

test('the cluster ID does not depend on the order of member IDs', () => {
  const ids = [17302801732653476889n, 13822187967963654688n, 13893005767132613710n];
  assert.equal(clusterIdFromMemberIds(ids), 4078837258665226448n);
  assert.equal(clusterIdFromMemberIds([...ids].reverse()), 4078837258665226448n);
});

test('a member added at runtime hashes its URLs with the add time and no token, as etcd 3.4 does', () => {
  for (const add of fixture.runtimeAdds) {
    assert.equal(memberIdForRuntimeAdd(add.peerUrls, add.unixSeconds).toString(), add.id);
    assert.notEqual(memberIdForRuntimeAdd(add.peerUrls, add.unixSeconds + 1).toString(), add.id);
  }
});

test('parses decimal uint64 IDs and rejects anything else', () => {
  assert.equal(parseUint64Decimal('18446744073709551615'), (1n << 64n) - 1n);
  assert.equal(parseUint64Decimal('0'), 0n);
  for (const bad of ['18446744073709551616', '-1', '01', '1e3', '', ' 1', '0x10']) {
    assert.equal(parseUint64Decimal(bad), undefined, bad);
  }
  assert.equal(formatIdHex(13668033151171901709n), 'bdae9bbc11dd390d');
});

// Each gRPC method through a real grpc-js client built from our .proto files.

import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeClusterId, fakeMemberId } from './fake-backend.js';
import { grpcClient, startHarness, unary, type Harness, type Msg } from './harness.js';

const key = (s: string) => Buffer.from(s);

describe('gRPC services', () => {
  let h: Harness;
  let kv: Msg;
  let lease: Msg;
  let watch: Msg;
  let cluster: Msg;
  let maint: Msg;
  let auth: Msg;
  before(async () => {
    h = await startHarness();
    kv = grpcClient('etcdserverpb.KV', h.port);
    lease = grpcClient('etcdserverpb.Lease', h.port);
    watch = grpcClient('etcdserverpb.Watch', h.port);
    cluster = grpcClient('etcdserverpb.Cluster', h.port);
    maint = grpcClient('etcdserverpb.Maintenance', h.port);
    auth = grpcClient('etcdserverpb.Auth', h.port);
  });
  after(async () => {
    for (const c of [kv, lease, watch, cluster, maint, auth]) c.close();
    await h.close();
  });

  it('puts a key and reads it back with a full header', async () => {
    const put = await unary(kv, 'Put', { key: key('a'), value: key('1') });
    assert.deepEqual(put.header, {
      cluster_id: fakeClusterId.toString(),
      member_id: fakeMemberId.toString(),
      revision: '2',
      raft_term: '2',
    });
    const got = await unary(kv, 'Range', { key: key('a') });
    assert.equal(got.count, '1');
    assert.equal(got.kvs[0].value.toString(), '1');
    assert.equal(got.kvs[0].create_revision, '2');
  });

  it('answers a put with prev_kv and a lease ID beyond 2^53 intact', async () => {
    const id = '7587869720405312999';
    const g = await unary(lease, 'LeaseGrant', { TTL: '60', ID: id });
    assert.equal(g.ID, id);
    assert.equal(g.TTL, '60');
    await unary(kv, 'Put', { key: key('leased'), value: key('v'), lease: id });
    const r = await unary(kv, 'Put', { key: key('leased'), value: key('w'), lease: id, prev_kv: true });
    assert.equal(r.prev_kv.value.toString(), 'v');
    assert.equal(r.prev_kv.lease, id);
    const ttl = await unary(lease, 'LeaseTimeToLive', { ID: id, keys: true });
    assert.equal(ttl.grantedTTL, '60');
    assert.deepEqual(ttl.keys.map(String), ['leased']);
    const leases = await unary(lease, 'LeaseLeases', {});
    assert.ok(leases.leases.some((l: Msg) => l.ID === id));
    await unary(lease, 'LeaseRevoke', { ID: id });
    const gone = await unary(lease, 'LeaseTimeToLive', { ID: id });
    assert.equal(gone.TTL, '-1');
  });

  it('deletes a range and returns the deleted key-values', async () => {
    await unary(kv, 'Put', { key: key('d1'), value: key('x') });
    await unary(kv, 'Put', { key: key('d2'), value: key('y') });
    const r = await unary(kv, 'DeleteRange', { key: key('d'), range_end: key('e'), prev_kv: true });
    assert.equal(r.deleted, '2');
    assert.deepEqual(r.prev_kvs.map((p: Msg) => p.key.toString()), ['d1', 'd2']);
  });

  it('runs a txn whose inner responses carry only a revision header', async () => {
    await unary(kv, 'Put', { key: key('t'), value: key('0') });
    const r = await unary(kv, 'Txn', {
      compare: [{ key: key('t'), target: 'VALUE', result: 'EQUAL', value: key('0') }],
      success: [{ request_put: { key: key('t'), value: key('1') } }, { request_range: { key: key('t') } }],
      failure: [],
    });
    assert.equal(r.succeeded, true);
    assert.equal(r.responses[0].response_put.header.cluster_id, '0');
    assert.equal(r.responses[0].response_put.header.revision, r.header.revision);
  });

  it('compacts, and refuses to compact the same revision twice', async () => {
    await unary(kv, 'Compact', { revision: '2' });
    await assert.rejects(unary(kv, 'Compact', { revision: '2' }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.OUT_OF_RANGE);
      assert.equal(e.details, 'etcdserver: mvcc: required revision has been compacted');
      return true;
    });
  });

  it('streams watch responses: created, then events with watch_id', async () => {
    const call = watch.Watch() as grpc.ClientDuplexStream<Msg, Msg>;
    call.on('error', () => {}); // the client's own cancel
    const got: Msg[] = [];
    const twoResponses = new Promise<void>((resolve) =>
      call.on('data', (m: Msg) => {
        got.push(m);
        if (got.length === 1) void unary(kv, 'Put', { key: key('w'), value: key('v') });
        if (got.length === 2) resolve();
      }),
    );
    call.write({ create_request: { key: key('w'), watch_id: '5' } });
    await twoResponses;
    call.cancel();
    assert.equal(got[0].created, true);
    assert.equal(got[0].watch_id, '5');
    assert.equal(got[1].watch_id, '5');
    assert.equal(got[1].events[0].type, 'PUT');
    assert.equal(got[1].events[0].kv.key.toString(), 'w');
  });

  it('closes the watch session when the client cancels the stream', async () => {
    const call = watch.Watch() as grpc.ClientDuplexStream<Msg, Msg>;
    call.on('error', () => {}); // the client's own cancel
    await new Promise<void>((resolve) => {
      call.once('data', () => resolve());
      call.write({ create_request: { key: key('x') } });
    });
    assert.equal(h.backend.watchHub.openSessions, 1);
    call.cancel();
    for (let i = 0; i < 100 && h.backend.watchHub.openSessions > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.backend.watchHub.openSessions, 0);
  });

  it('answers keep-alives in order, with no TTL for a missing lease', async () => {
    await unary(lease, 'LeaseGrant', { TTL: '30', ID: '42' });
    const call = lease.LeaseKeepAlive() as grpc.ClientDuplexStream<Msg, Msg>;
    const got: Msg[] = [];
    const done = new Promise<void>((resolve) => {
      call.on('data', (m: Msg) => got.push(m));
      call.on('end', () => resolve());
    });
    call.write({ ID: '42' });
    call.write({ ID: '43' });
    call.end();
    await done;
    assert.deepEqual(got.map((m) => [m.ID, m.TTL]), [['42', '30'], ['43', '0']]);
  });

  it('lists members without a revision in the header', async () => {
    const r = await unary(cluster, 'MemberList', {});
    assert.equal(r.header.revision, '0');
    assert.equal(r.members[0].ID, fakeMemberId.toString());
    assert.deepEqual(r.members[0].peerURLs, ['http://127.0.0.1:16380']);
  });

  it('answers Status, Hash, HashKV, Alarm and Defragment', async () => {
    const s = await unary(maint, 'Status', {});
    assert.equal(s.version, '3.4.23');
    assert.equal(s.leader, fakeMemberId.toString());
    assert.equal((await unary(maint, 'Hash', {})).hash, 1084519789);
    const hkv = await unary(maint, 'HashKV', { revision: '0' });
    assert.equal(hkv.hash, 3000000000);
    assert.deepEqual((await unary(maint, 'Alarm', { action: 'GET' })).alarms, []);
    assert.equal((await unary(maint, 'Defragment', {})).header, null);
  });

  it('answers Unimplemented for membership changes, snapshots and user management', async () => {
    for (const [client, method] of [
      [cluster, 'MemberAdd'],
      [auth, 'UserAdd'],
    ] as const) {
      await assert.rejects(unary(client, method, {}), (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED);
    }
    const snap = maint.Snapshot({}) as grpc.ClientReadableStream<Msg>;
    await assert.rejects(
      new Promise((_, reject) => {
        snap.on('data', () => {});
        snap.on('error', reject);
      }),
      (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED,
    );
  });

  it('answers Authenticate as etcd does with auth disabled', async () => {
    await assert.rejects(unary(auth, 'Authenticate', { name: 'root', password: 'x' }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(e.details, 'etcdserver: authentication is not enabled');
      return true;
    });
  });
});

// Each etcd error reaches clients with etcd's message, gRPC code and gateway HTTP status, and
// the server keeps serving afterwards.

import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EtcdError, type EtcdErrorCode } from '../../src/mvcc/errors.js';
import { b64, grpcClient, post, startHarness, unary, type Harness, type Msg } from './harness.js';

// [etcd error, gRPC code, HTTP status] as etcd 3.4 answers them.
const table: [EtcdErrorCode, number, number][] = [
  ['KeyNotProvided', grpc.status.INVALID_ARGUMENT, 400],
  ['KeyNotFound', grpc.status.INVALID_ARGUMENT, 400],
  ['TooManyOps', grpc.status.INVALID_ARGUMENT, 400],
  ['DuplicateKey', grpc.status.INVALID_ARGUMENT, 400],
  ['RequestTooLarge', grpc.status.INVALID_ARGUMENT, 400],
  ['Compacted', grpc.status.OUT_OF_RANGE, 400],
  ['FutureRev', grpc.status.OUT_OF_RANGE, 400],
  ['LeaseTTLTooLarge', grpc.status.OUT_OF_RANGE, 400],
  ['LeaseNotFound', grpc.status.NOT_FOUND, 404],
  ['MemberNotFound', grpc.status.NOT_FOUND, 404],
  ['LeaseExist', grpc.status.FAILED_PRECONDITION, 412],
  ['NoSpace', grpc.status.RESOURCE_EXHAUSTED, 429],
  ['NoLeader', grpc.status.UNAVAILABLE, 503],
  ['Timeout', grpc.status.UNAVAILABLE, 503],
  ['Stopped', grpc.status.UNAVAILABLE, 503],
];

describe('error mapping', () => {
  let h: Harness;
  let kv: Msg;
  before(async () => {
    h = await startHarness({ txnOpsMax: 4, requestBytesMax: 1024 });
    kv = grpcClient('etcdserverpb.KV', h.port);
  });
  after(async () => {
    kv.close();
    await h.close();
  });

  for (const [code, grpcCode, httpStatus] of table) {
    it(`maps ${code} to gRPC ${grpcCode} and HTTP ${httpStatus} with etcd's message`, async () => {
      const err = new EtcdError(code);
      h.backend.failures.set('range', err);
      try {
        await assert.rejects(unary(kv, 'Range', { key: Buffer.from('k') }), (e: grpc.ServiceError) => {
          assert.equal(e.code, grpcCode);
          assert.equal(e.details, err.message);
          return true;
        });
        const r = await post(h.port, '/v3/kv/range', `{"key":"${b64('k')}"}`);
        assert.equal(r.status, httpStatus);
        const m = JSON.stringify(err.message);
        assert.equal(r.body, `{"error":${m},"message":${m},"code":${grpcCode}}`);
      } finally {
        h.backend.failures.delete('range');
      }
      assert.equal((await unary(kv, 'Range', { key: Buffer.from('k') })).count, '0');
    });
  }

  it('answers an unexpected backend failure with Unknown and keeps serving', async () => {
    h.backend.failures.set('put', new TypeError('boom'));
    try {
      await assert.rejects(unary(kv, 'Put', { key: Buffer.from('k') }), (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.UNKNOWN);
        assert.equal(e.details, 'boom');
        return true;
      });
      assert.equal((await post(h.port, '/v3/kv/put', `{"key":"${b64('k')}"}`)).status, 500);
    } finally {
      h.backend.failures.delete('put');
    }
    await unary(kv, 'Put', { key: Buffer.from('k') });
  });

  const invalid = async (method: string, req: Msg, message: string) =>
    assert.rejects(unary(kv, method, req), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(e.details, message);
      return true;
    });

  it('refuses an empty key in range, put, delete and inside txn ops', async () => {
    const noKey = 'etcdserver: key is not provided';
    await invalid('Range', {}, noKey);
    await invalid('Put', { value: Buffer.from('v') }, noKey);
    await invalid('DeleteRange', {}, noKey);
    await invalid('Txn', { success: [{ request_put: { value: Buffer.from('v') } }] }, noKey);
    await invalid('Txn', { compare: [{ target: 'VERSION' }] }, noKey);
    await invalid('Txn', { failure: [{ request_txn: { success: [{ request_range: {} }] } }] }, noKey);
  });

  it('rejects a txn with more ops than txnOpsMax in one branch', async () => {
    const op = { request_put: { key: Buffer.from('k'), value: Buffer.from('v') } };
    await unary(kv, 'Txn', { success: [op, op, op, op], failure: [op, op, op, op] });
    await invalid('Txn', { success: [op, op, op, op, op] }, 'etcdserver: too many operations in txn request');
  });

  it('rejects a put larger than requestBytesMax with etcd error, and larger still with the transport error', async () => {
    await invalid('Put', { key: Buffer.from('k'), value: Buffer.alloc(2000) }, 'etcdserver: request is too large');
    await assert.rejects(
      unary(kv, 'Put', { key: Buffer.from('k'), value: Buffer.alloc(1024 + 512 * 1024 + 1) }),
      (e: grpc.ServiceError) => e.code === grpc.status.RESOURCE_EXHAUSTED,
    );
    // Reads are not proposals: etcd does not limit their size.
    await unary(kv, 'Range', { key: Buffer.alloc(2000, 1) });
  });

  it('refuses a value or lease given with ignore_value or ignore_lease', async () => {
    await invalid('Put', { key: Buffer.from('k'), value: Buffer.from('v'), ignore_value: true }, 'etcdserver: value is provided');
    await invalid('Put', { key: Buffer.from('k'), lease: '5', ignore_lease: true }, 'etcdserver: lease is provided');
  });
});

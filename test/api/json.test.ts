// proto3 JSON as etcd's gateway prints and parses it, and Go's strict base64.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64Std } from '../../src/api/gateway/base64.js';
import { decodeJson, encodeJson } from '../../src/api/gateway/json.js';
import { loadProtos } from '../../src/api/grpc-server.js';

const { schema } = loadProtos();

describe('gateway JSON', () => {
  it('prints a DELETE event with only key and mod_revision, and PUT as the omitted zero enum', () => {
    const kv = (mod: string, value: string) => ({ key: Buffer.from('k'), create_revision: '0', mod_revision: mod, version: '0', value: Buffer.from(value), lease: '0' });
    const text = encodeJson(schema, 'etcdserverpb.WatchResponse', {
      header: { revision: '9' },
      watch_id: '0',
      created: false,
      events: [
        { type: 'PUT', kv: kv('8', 'v') },
        { type: 'DELETE', kv: kv('9', '') },
      ],
    });
    assert.equal(
      text,
      '{"header":{"revision":"9"},"events":[{"kv":{"key":"aw==","mod_revision":"8","value":"dg=="}},{"type":"DELETE","kv":{"key":"aw==","mod_revision":"9"}}]}',
    );
  });

  it('prints uint32 as a number and uint64 as a string', () => {
    assert.equal(
      encodeJson(schema, 'etcdserverpb.HashKVResponse', { header: { member_id: '18446744073709551615' }, hash: 4294967295, compact_revision: '3' }),
      '{"header":{"member_id":"18446744073709551615"},"hash":4294967295,"compact_revision":"3"}',
    );
  });

  it('parses lowerCamel names, int64 numbers beyond 2^53 as strings, packed enum lists and oneofs', () => {
    const m = decodeJson(schema, 'etcdserverpb.WatchRequest', {
      createRequest: { key: 'aw==', startRevision: 5, filters: ['NOPUT', 1], prevKv: true, watchId: '9007199254740993' },
    });
    const c = m.create_request as Record<string, unknown>;
    assert.equal(c.start_revision, '5');
    assert.deepEqual(c.filters, ['NOPUT', 'NODELETE']);
    assert.equal(c.watch_id, '9007199254740993');
    assert.equal(c.fragment, false);
    assert.equal(m.cancel_request, null);
  });

  it('decodes base64 only in the standard alphabet with padding, naming the bad byte as Go does', () => {
    assert.equal(decodeBase64Std('Zm9vYg==').toString(), 'foob');
    assert.equal(decodeBase64Std('Zm9vYmE=').toString(), 'fooba');
    assert.equal(decodeBase64Std('').length, 0);
    assert.throws(() => decodeBase64Std('Zm9v!'), /input byte 4$/);
    assert.throws(() => decodeBase64Std('Zm9vYg'), /input byte 4$/);
    assert.throws(() => decodeBase64Std('Zm9v_-'), /input byte 4$/);
    assert.throws(() => decodeBase64Std('Zg==Zg=='), /input byte 4$/);
    assert.throws(() => decodeBase64Std('Z==='), /input byte 1$/);
  });
});

// The gateway requests whose answers were recorded from real etcd 3.4.23 (record-fixtures.ts)
// into fixtures/gateway.json; gateway.test.ts replays them against our server over a
// FakeBackend and compares status and body byte for byte. Steps run in order on one store.

import { b64 } from './harness.js';

export interface Step {
  name: string;
  method?: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: string;
  /** A streaming answer: keep the first `lines` lines, then hang up. */
  lines?: number;
}

const op = (key: string, value: string) => ({ request_put: { key: b64(key), value: b64(value) } });
const bigValue = (bytes: number) => JSON.stringify({ key: b64('big'), value: Buffer.alloc(bytes, 97).toString('base64') });

export const gatewaySteps: Step[] = [
  { name: 'put', path: '/v3/kv/put', body: `{"key":"${b64('foo')}","value":"${b64('bar')}"}` },
  { name: 'range hit', path: '/v3/kv/range', body: `{"key":"${b64('foo')}"}` },
  { name: 'range miss', path: '/v3/kv/range', body: `{"key":"${b64('nope')}"}` },
  { name: 'put second', path: '/v3/kv/put', body: `{"key":"${b64('foo2')}","value":"${b64('baz')}","prev_kv":true}` },
  { name: 'put overwrite prev_kv', path: '/v3/kv/put', body: `{"key":"${b64('foo2')}","value":"${b64('baz2')}","prev_kv":true}` },
  { name: 'range limit more count', path: '/v3/kv/range', body: `{"key":"${b64('fo')}","range_end":"${b64('fp')}","limit":"1"}` },
  { name: 'range count_only', path: '/v3/kv/range', body: `{"key":"${b64('fo')}","range_end":"${b64('fp')}","count_only":true}` },
  {
    name: 'range lowerCamel names and enum names',
    path: '/v3/kv/range',
    body: `{"key":"${b64('fo')}","rangeEnd":"${b64('fp')}","sortOrder":"DESCEND","keysOnly":true}`,
  },
  {
    name: 'range enum numbers and int64 numbers',
    path: '/v3/kv/range',
    body: `{"key":"${b64('fo')}","range_end":"${b64('fp')}","sort_order":2,"limit":1}`,
  },
  { name: 'range unknown fields ignored', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","bogus":{"x":[1]},"limit":null}` },
  { name: 'range through v3beta', path: '/v3beta/kv/range', body: `{"key":"${b64('foo')}"}` },
  {
    name: 'txn succeeded',
    path: '/v3/kv/txn',
    body: JSON.stringify({
      compare: [{ key: b64('foo'), target: 'VERSION', result: 'EQUAL', version: '1' }],
      success: [{ request_range: { key: b64('foo') } }, op('foo', 'qux')],
    }),
  },
  {
    name: 'txn failed',
    path: '/v3/kv/txn',
    body: JSON.stringify({
      compare: [{ key: b64('foo'), target: 'VALUE', result: 'EQUAL', value: b64('nothing') }],
      failure: [{ request_delete_range: { key: b64('nope') } }],
    }),
  },
  {
    name: 'watch history from revision 2',
    path: '/v3/watch',
    body: `{"create_request":{"key":"${b64('fo')}","range_end":"${b64('fp')}","start_revision":"2"}}`,
    lines: 2,
  },
  { name: 'deleterange prev_kv', path: '/v3/kv/deleterange', body: `{"key":"${b64('foo2')}","prev_kv":true}` },
  { name: 'deleterange miss', path: '/v3/kv/deleterange', body: `{"key":"${b64('nope')}"}` },
  { name: 'lease grant', path: '/v3/lease/grant', body: '{"TTL":60,"ID":1000}' },
  { name: 'lease grant existing', path: '/v3/lease/grant', body: '{"TTL":60,"ID":"1000"}' },
  { name: 'put with lease', path: '/v3/kv/put', body: `{"key":"${b64('leased')}","value":"${b64('v')}","lease":"1000"}` },
  { name: 'lease timetolive keys', path: '/v3/lease/timetolive', body: '{"ID":"1000","keys":true}' },
  { name: 'lease timetolive missing', path: '/v3/kv/lease/timetolive', body: '{"ID":"999"}' },
  { name: 'lease leases', path: '/v3/lease/leases', body: '{}' },
  { name: 'lease keepalive stream', path: '/v3/lease/keepalive', body: '{"ID":"1000"}{"ID":"999"}', lines: 2 },
  { name: 'lease revoke', path: '/v3/lease/revoke', body: '{"ID":"1000"}' },
  { name: 'lease revoke missing', path: '/v3/kv/lease/revoke', body: '{"ID":"1000"}' },
  { name: 'empty body', path: '/v3/kv/range', body: '' },
  { name: 'put empty key', path: '/v3/kv/put', body: `{"value":"${b64('v')}"}` },
  { name: 'bad base64', path: '/v3/kv/range', body: '{"key":"Zm9v!"}' },
  { name: 'base64 missing padding', path: '/v3/kv/range', body: '{"key":"Zm9vYg"}' },
  { name: 'unknown enum name', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","sort_order":"BAD"}` },
  { name: 'fractional int64', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","limit":1.5}` },
  { name: 'body not an object', path: '/v3/kv/range', body: '[]' },
  { name: 'future revision', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","revision":"1000"}` },
  { name: 'ignore_value with a value', path: '/v3/kv/put', body: `{"key":"${b64('foo')}","value":"${b64('v')}","ignore_value":true}` },
  { name: 'txn with 129 ops', path: '/v3/kv/txn', body: JSON.stringify({ success: Array.from({ length: 129 }, () => op('k', 'v')) }) },
  { name: 'put over max-request-bytes', path: '/v3/kv/put', body: bigValue(1.6 * 1024 * 1024) },
  { name: 'put over the transport limit', path: '/v3/kv/put', body: bigValue(2.1 * 1024 * 1024) },
  { name: 'compaction', path: '/v3/kv/compaction', body: '{"revision":"4"}' },
  { name: 'compaction again', path: '/v3/kv/compaction', body: '{"revision":4}' },
  { name: 'range at a compacted revision', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","revision":"3"}` },
  { name: 'watch from a compacted revision', path: '/v3/watch', body: `{"create_request":{"key":"${b64('foo')}","start_revision":"2"}}`, lines: 2 },
  { name: 'unknown path', path: '/v3/kv/nope', body: '{}' },
  { name: 'GET on a POST path', method: 'GET', path: '/v3/kv/range' },
  { name: 'health', method: 'GET', path: '/health' },
  { name: 'version', method: 'GET', path: '/version' },
];

export interface Recorded {
  name: string;
  status: number;
  body: string;
}

/**
 * etcd's IDs and term differ per run; the fixtures hold the fake's (ETCD-WIRE.md's test vector).
 * Also drops the Trailer text etcd's gateway appends after an error body.
 */
export function normalize(body: string, ids: { clusterId: string; memberId: string; raftTerm: string }): string {
  return body
    .replace(/"cluster_id":"\d+"/g, `"cluster_id":"${ids.clusterId}"`)
    .replace(/"member_id":"\d+"/g, `"member_id":"${ids.memberId}"`)
    .replace(/"raft_term":"\d+"/g, `"raft_term":"${ids.raftTerm}"`);
}

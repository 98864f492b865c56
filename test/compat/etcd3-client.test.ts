// The etcd3 client harness proven on real etcd: every recorded step of fixtures/etcd3-client.txt
// against a fresh etcd (the same suite etcd3-client.flotilla.test.ts runs on Flotilla).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcd3CompatSuite, show } from './etcd3-client.js';

test('shows client results as JSON with Buffers as text', () => {
  assert.equal(show({ key: Buffer.from('k'), n: '7', gone: undefined, list: [Buffer.from('v')] }), '{"key":"k","n":"7","list":["v"]}');
});

etcd3CompatSuite('etcd');

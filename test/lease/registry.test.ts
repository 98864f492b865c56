// The replicated half of the lessor: grant, revoke, the MVCC hooks, persistence and restore.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leaseTtlMaxSeconds, minLeaseTtlSeconds } from '../../src/lease/limits.js';
import { LeaseRegistry } from '../../src/lease/registry.js';
import { MemoryLeaseTable } from '../../src/lease/table.js';
import { EtcdError } from '../../src/mvcc/errors.js';

const b = (s: string) => new TextEncoder().encode(s);
const s = (k: Uint8Array) => new TextDecoder().decode(k);

function registry(table = new MemoryLeaseTable()) {
  return { table, reg: new LeaseRegistry({ table, minTtlSeconds: 2 }) };
}

function etcdCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof EtcdError, `expected an EtcdError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected a throw');
}

describe('lease registry', () => {
  test('the minimum TTL follows etcd: defaults (100 ms heartbeat, 1000 ms election) give 2 s', () => {
    assert.equal(minLeaseTtlSeconds(1000, 100), 2);
    // 5000 ms election, 500 ms heartbeat: 10 ticks → 15 ticks x 500 ms = 7.5 s → 8 s.
    assert.equal(minLeaseTtlSeconds(5000, 500), 8);
    // 3 ticks → 4 ticks (integer division) x 100 ms = 0.4 s → 1 s.
    assert.equal(minLeaseTtlSeconds(300, 100), 1);
  });

  test('a TTL below the minimum is raised to it, as etcd grants TTL 1, 0 and -5 as 2', () => {
    const { reg } = registry();
    assert.deepEqual(reg.grant(1n, 1), { id: 1n, ttl: 2 });
    assert.deepEqual(reg.grant(2n, 0), { id: 2n, ttl: 2 });
    assert.deepEqual(reg.grant(3n, -5), { id: 3n, ttl: 2 });
    assert.deepEqual(reg.grant(4n, 60), { id: 4n, ttl: 60 });
    assert.equal(reg.get(1n)?.ttl, 2);
  });

  test('a TTL above 9000000000 s fails with LeaseTTLTooLarge and the maximum itself is granted', () => {
    const { reg, table } = registry();
    assert.equal(etcdCode(() => reg.grant(1n, leaseTtlMaxSeconds + 1)), 'LeaseTTLTooLarge');
    assert.equal(reg.exists(1n), false);
    assert.equal(table.get(1n), undefined);
    assert.equal(reg.grant(1n, leaseTtlMaxSeconds).ttl, leaseTtlMaxSeconds);
    assert.equal(new EtcdError('LeaseTTLTooLarge').message, 'etcdserver: too large lease TTL');
  });

  test('granting an ID that exists fails with LeaseExist and leaves the first lease alone', () => {
    const { reg } = registry();
    reg.grant(7n, 10);
    reg.attach(7n, b('k'));
    assert.equal(etcdCode(() => reg.grant(7n, 99)), 'LeaseExist');
    assert.equal(reg.get(7n)?.ttl, 10);
    assert.deepEqual([...reg.get(7n)!.keys], ['k']);
  });

  test('IDs above 2^53 are kept exactly', () => {
    const { reg, table } = registry();
    const id = 0x7fff_ffff_ffff_fff1n;
    reg.grant(id, 5);
    assert.ok(reg.exists(id));
    assert.equal(reg.exists(id - 1n), false);
    assert.deepEqual(table.get(id), { id, ttl: 5 });
  });

  test('revoke returns the attached keys in byte order and removes the lease from memory and the table', () => {
    const { reg, table } = registry();
    reg.grant(1n, 10);
    for (const k of ['b', 'a', 'c\u00ff', 'c']) reg.attach(1n, b(k));
    assert.deepEqual(reg.revoke(1n).map(s), ['a', 'b', 'c', 'c\u00ff']);
    assert.equal(reg.exists(1n), false);
    assert.equal(table.get(1n), undefined);
    assert.equal(etcdCode(() => reg.revoke(1n)), 'LeaseNotFound');
  });

  test('revoke orders keys by bytes, not by UTF-16 text', () => {
    const { reg } = registry();
    reg.grant(1n, 10);
    const hi = new Uint8Array([0xff]);
    const lo = new Uint8Array([0x7f]);
    reg.attach(1n, hi);
    reg.attach(1n, lo);
    assert.deepEqual(reg.revoke(1n), [lo, hi]);
  });

  test('detach removes one key, and detaching from a revoked lease does nothing', () => {
    const { reg } = registry();
    reg.grant(1n, 10);
    reg.attach(1n, b('a'));
    reg.attach(1n, b('b'));
    reg.detach(1n, b('a'));
    assert.deepEqual([...reg.get(1n)!.keys], ['b']);
    reg.revoke(1n);
    reg.detach(1n, b('b'));
    assert.equal(reg.exists(1n), false);
  });

  test('attaching the same key twice keeps one entry', () => {
    const { reg } = registry();
    reg.grant(1n, 10);
    reg.attach(1n, b('a'));
    reg.attach(1n, b('a'));
    assert.equal(reg.revoke(1n).length, 1);
  });

  test('attaching to a lease that does not exist is a bug MVCC must prevent', () => {
    const { reg } = registry();
    assert.throws(() => reg.attach(9n, b('a')), { name: 'AssertionFailure' });
  });

  test('a restart reloads leases from the table and their keys from MVCC, counting orphan keys', () => {
    const { reg, table } = registry();
    reg.grant(1n, 10);
    reg.grant(2n, 30);
    reg.revoke(1n);
    reg.grant(3n, 1);
    const again = new LeaseRegistry({ table, minTtlSeconds: 2 });
    assert.deepEqual(again.ids().sort(), [2n, 3n]);
    assert.equal(again.get(2n)?.ttl, 30);
    assert.equal(again.get(3n)?.ttl, 2);
    const r = again.restoreKeys([
      { key: b('x'), lease: 2n },
      { key: b('y'), lease: 2n },
      { key: b('z'), lease: 1n },
    ]);
    assert.equal(r.orphans, 1);
    assert.deepEqual(again.revoke(2n).map(s), ['x', 'y']);
  });

  test('two replicas applying the same log end with the same leases, keys and table', () => {
    const a = registry();
    const c = registry();
    const log: Array<(r: LeaseRegistry) => unknown> = [
      (r) => r.grant(5n, 10),
      (r) => r.grant(6n, 1),
      (r) => r.attach(5n, b('k1')),
      (r) => r.attach(6n, b('k2')),
      (r) => r.detach(5n, b('k1')),
      (r) => r.revoke(6n),
    ];
    for (const op of log) {
      op(a.reg);
      op(c.reg);
    }
    assert.deepEqual([...a.table.all()], [...c.table.all()]);
    assert.deepEqual(a.reg.ids(), c.reg.ids());
    assert.deepEqual([...a.reg.get(5n)!.keys], [...c.reg.get(5n)!.keys]);
  });
});

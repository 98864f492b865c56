// The lessor as the member uses it: replicated grants and revokes, leader-only deadlines.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Lessor } from '../../src/lease/lessor.js';
import { MemoryLeaseTable } from '../../src/lease/table.js';

const b = (s: string) => new TextEncoder().encode(s);
const s = (k: Uint8Array) => new TextDecoder().decode(k);

function lessor(opts: { revokeRetryMs?: number } = {}) {
  let now = 1_000_000;
  const l = new Lessor({ table: new MemoryLeaseTable(), minTtlSeconds: 2, clock: () => now, ...opts });
  return {
    l,
    now: () => now,
    advance(ms: number) {
      now += ms;
      return now;
    },
  };
}

describe('lessor', () => {
  test('a follower never expires leases', () => {
    const { l, advance } = lessor();
    l.grant(1n, 5);
    assert.deepEqual(l.expired(advance(3_600_000), 10), []);
  });

  test('a lease granted on the leader expires TTL seconds later, not before', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    l.grant(1n, 5);
    assert.deepEqual(l.expired(advance(4_999), 10), []);
    assert.deepEqual(l.expired(advance(1), 10), [1n]);
  });

  test('expired returns a lease once while its revoke is in flight, again after the retry interval', () => {
    const { l, now, advance } = lessor({ revokeRetryMs: 3_000 });
    l.promote(now());
    l.grant(1n, 5);
    assert.deepEqual(l.expired(advance(5_000), 10), [1n]);
    assert.deepEqual(l.expired(advance(2_999), 10), [], 'revoke in flight');
    assert.deepEqual(l.expired(advance(1), 10), [1n], 'the revoke was lost: try again');
  });

  test('an applied revoke removes the lease from the expiry queue', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    l.grant(1n, 5);
    assert.deepEqual(l.expired(advance(5_000), 10), [1n]);
    l.revoke(1n);
    assert.deepEqual(l.expired(advance(60_000), 10), []);
  });

  test('expired returns at most max leases, earliest first, and the rest on the next call', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    for (let i = 1; i <= 5; i++) l.grant(BigInt(i), 10 - i); // lease 5 expires first
    advance(10_000);
    assert.deepEqual(l.expired(now(), 2), [5n, 4n]);
    assert.deepEqual(l.expired(now(), 10), [3n, 2n, 1n]);
  });

  test('promote gives every lease a full TTL from now, so a new leader never expires a lease early', () => {
    const { l, now, advance } = lessor();
    l.grant(1n, 10); // applied while a follower: no deadline yet
    advance(9_000);
    l.promote(now());
    assert.deepEqual(l.expired(advance(9_999), 10), []);
    assert.deepEqual(l.expired(advance(1), 10), [1n]);
  });

  test('a leader that is demoted and promoted again restarts deadlines from the second promotion', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    l.grant(1n, 10);
    advance(8_000);
    l.demote();
    assert.deepEqual(l.expired(advance(5_000), 10), [], 'not leader');
    l.promote(now());
    assert.deepEqual(l.expired(advance(9_999), 10), []);
    assert.deepEqual(l.expired(advance(1), 10), [1n]);
  });

  test('renew restarts the deadline and returns the granted TTL', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    l.grant(1n, 5);
    advance(4_000);
    assert.equal(l.renew(1n, now()), 5);
    assert.deepEqual(l.expired(advance(4_999), 10), []);
    assert.equal(l.remainingTtl(1n, now()), 0, '1 ms left truncates to 0 s');
    assert.deepEqual(l.expired(advance(1), 10), [1n]);
  });

  test('renew of an unknown lease, or of one whose time is up, returns 0 and does not revive it', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    assert.equal(l.renew(42n, now()), 0);
    l.grant(1n, 5);
    advance(5_000);
    assert.equal(l.renew(1n, now()), 0);
    assert.deepEqual(l.expired(now(), 10), [1n]);
  });

  test('only the leader renews', () => {
    const { l, now } = lessor();
    l.grant(1n, 5);
    assert.throws(() => l.renew(1n, now()), { name: 'AssertionFailure' });
  });

  test('timeToLive reports whole seconds left, the granted TTL and the keys in byte order', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    l.grant(1n, 1); // raised to 2
    l.grant(2n, 60);
    l.attach(2n, b('b'));
    l.attach(2n, b('a'));
    advance(1_500);
    assert.deepEqual(l.timeToLive(1n, now(), false), { id: 1n, ttl: 0, grantedTtl: 2, keys: [] });
    const t = l.timeToLive(2n, now(), true);
    assert.equal(t.ttl, 58, '58.5 s left truncates to 58, as etcd');
    assert.equal(t.grantedTtl, 60);
    assert.deepEqual(t.keys.map(s), ['a', 'b']);
    assert.deepEqual(l.timeToLive(3n, now(), true), { id: 3n, ttl: -1, grantedTtl: 0, keys: [] });
  });

  test('an expired lease reports 0 seconds left until its revoke is applied', () => {
    const { l, now, advance } = lessor();
    l.promote(now());
    l.grant(1n, 5);
    advance(7_000);
    assert.equal(l.remainingTtl(1n, now()), 0);
    l.revoke(1n);
    assert.equal(l.remainingTtl(1n, now()), -1);
  });

  test('a follower reports the granted TTL for TimeToLive (the leader has the exact figure)', () => {
    const { l, now } = lessor();
    l.grant(1n, 30);
    assert.equal(l.remainingTtl(1n, now()), 30);
  });

  test('revoke hands back the keys MVCC attached, and later detaches are harmless', () => {
    const { l } = lessor();
    l.grant(1n, 5);
    l.attach(1n, b('x'));
    l.attach(1n, b('y'));
    l.detach(1n, b('y'));
    assert.deepEqual(l.revoke(1n).map(s), ['x']);
    l.detach(1n, b('x'));
    assert.equal(l.exists(1n), false);
  });

  test('leases lists IDs in grant order', () => {
    const { l } = lessor();
    l.grant(3n, 5);
    l.grant(1n, 5);
    l.grant(2n, 5);
    l.revoke(1n);
    assert.deepEqual(l.leases(), [3n, 2n]);
  });
});

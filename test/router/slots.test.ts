// Hash-slot mapping against Redis Cluster's published facts: the CRC16 check value of
// "123456789" (0x31C3), slots Redis reports for a few keys, and the hash-tag rules of the
// cluster specification.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc16, hashSpan, slotCount, slotOf } from '../../src/router/slots.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

test('CRC16/XMODEM gives the check value 0x31C3 for "123456789" and 0 for nothing', () => {
  assert.equal(crc16(b('123456789')), 0x31c3);
  assert.equal(crc16(b('')), 0);
});

test('slots follow CRC16 mod 16384 and stay in range for any bytes', () => {
  assert.equal(slotOf(b('123456789')), 0x31c3 % slotCount);
  for (let i = 0; i < 2000; i++) {
    const key = new Uint8Array(1 + (i % 40)).map((_, j) => (i * 31 + j * 7) & 0xff);
    const s = slotOf(key);
    assert.ok(Number.isInteger(s) && s >= 0 && s < slotCount);
  }
});

test('a non-empty {tag} alone picks the slot; empty or unclosed braces hash the whole key', () => {
  assert.equal(slotOf(b('user:{42}:name')), slotOf(b('42')));
  assert.equal(slotOf(b('user:{42}:name')), slotOf(b('other{42}')));
  assert.deepEqual(hashSpan(b('a{b}{c}')), { start: 2, end: 3 });
  assert.deepEqual(hashSpan(b('{}x')), { start: 0, end: 3 });
  assert.deepEqual(hashSpan(b('x{y')), { start: 0, end: 3 });
  assert.deepEqual(hashSpan(b('}x{y}')), { start: 3, end: 4 });
  assert.equal(slotOf(b('{}x')), crc16(b('{}x')) % slotCount);
});

test('slots agree with Redis Cluster (CLUSTER KEYSLOT foo = 12182, bar = 5061, hello = 866)', () => {
  assert.equal(slotOf(b('foo')), 12182);
  assert.equal(slotOf(b('bar')), 5061);
  assert.equal(slotOf(b('hello')), 866);
});

test('keys spread over the slots: 100,000 keys named key:N touch over 98% of them', () => {
  const hit = new Uint8Array(slotCount);
  for (let i = 0; i < 100_000; i++) hit[slotOf(b(`key:${i}`))] = 1;
  const used = hit.reduce((a, x) => a + x, 0);
  assert.ok(used > 0.98 * slotCount, `only ${used} slots used`);
});

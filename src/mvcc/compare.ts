// Txn compares, as etcd 3.4 evaluates them (etcdserver/apply.go applyCompare, compareKV): every
// key of the compare's range must satisfy it; a range with no keys compares the zero key-value
// (version 0, revisions 0, lease 0), except that a VALUE compare on no keys always fails.
// A compare's operand is the union field of its target; absent, it is zero (or empty).

import { assertNever } from '../util/assert.js';
import { compareBytes } from '../storage/index.js';
import { keyRange } from './key_range.js';
import { emptyBytes, type Compare, type KeyValue } from './types.js';
import type { MvccView } from './view.js';

export function applyCompare(view: MvccView, rev: number, c: Compare): boolean {
  let any = false;
  for (const { kv } of view.each(keyRange(c.key, c.rangeEnd), rev, c.target === 'VALUE')) {
    any = true;
    if (!compareKV(c, kv)) return false;
  }
  if (any) return true;
  if (c.target === 'VALUE') return false;
  return compareKV(c, { key: c.key, createRevision: 0, modRevision: 0, version: 0, value: emptyBytes, lease: 0n });
}

function compareKV(c: Compare, kv: KeyValue): boolean {
  let r: number;
  switch (c.target) {
    case 'VALUE':
      r = compareBytes(kv.value, c.value ?? emptyBytes);
      break;
    case 'CREATE':
      r = Math.sign(kv.createRevision - (c.createRevision ?? 0));
      break;
    case 'MOD':
      r = Math.sign(kv.modRevision - (c.modRevision ?? 0));
      break;
    case 'VERSION':
      r = Math.sign(kv.version - (c.version ?? 0));
      break;
    case 'LEASE': {
      const want = c.lease ?? 0n;
      r = kv.lease === want ? 0 : kv.lease < want ? -1 : 1;
      break;
    }
    default:
      return assertNever(c.target, 'compare target');
  }
  switch (c.result) {
    case 'EQUAL':
      return r === 0;
    case 'NOT_EQUAL':
      return r !== 0;
    case 'GREATER':
      return r > 0;
    case 'LESS':
      return r < 0;
    default:
      return assertNever(c.result, 'compare result');
  }
}

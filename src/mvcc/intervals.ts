// etcd's duplicate-key rule for txns (etcdserver/api/v3rpc/key.go checkIntervals): within one
// branch, no key may be put twice, and no put may fall in a range deleted in the same branch or
// in a nested txn's branch; a nested txn's then- and else-branches may put the same key, as only
// one runs. Deletes are intervals [key, rangeEnd) (a point when rangeEnd is empty). Faithful to
// etcd 3.4 down to a quirk: a "from key" delete (rangeEnd = [0]) is the interval [key, "\0"),
// empty for every key but "", so it never conflicts with a put.

import { compareBytes } from '../storage/index.js';
import { EtcdError } from './errors.js';
import type { RequestOp } from './types.js';

interface Interval {
  begin: Uint8Array;
  /** undefined = +infinity (etcd's empty affine string). */
  end: Uint8Array | undefined;
  point: boolean;
}

function intersectsPoint(iv: Interval, k: Uint8Array): boolean {
  if (iv.point) return compareBytes(iv.begin, k) === 0;
  return compareBytes(iv.begin, k) <= 0 && (iv.end === undefined || compareBytes(k, iv.end) < 0);
}

const hex = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex');

/** Throws DuplicateKey if ops (one branch) put a key twice or put into a deleted range. */
export function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    if (!('requestDeleteRange' in op)) continue;
    const d = op.requestDeleteRange;
    dels.push(d.rangeEnd.length !== 0 ? { begin: d.key, end: d.rangeEnd, point: false } : { begin: d.key, end: undefined, point: true });
  }
  const deleted = (k: string, list: Interval[]): boolean => list.some((iv) => intersectsPoint(iv, Buffer.from(k, 'hex')));

  const puts = new Set<string>();
  for (const op of ops) {
    if (!('requestTxn' in op)) continue;
    const thenSide = checkIntervals(op.requestTxn.success);
    const elseSide = checkIntervals(op.requestTxn.failure);
    for (const k of thenSide.puts) {
      if (puts.has(k) || deleted(k, dels)) throw new EtcdError('DuplicateKey');
      puts.add(k);
    }
    for (const k of elseSide.puts) {
      if (puts.has(k) && !thenSide.puts.has(k)) throw new EtcdError('DuplicateKey');
      if (deleted(k, dels)) throw new EtcdError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...thenSide.dels, ...elseSide.dels);
  }

  for (const op of ops) {
    if (!('requestPut' in op)) continue;
    const k = hex(op.requestPut.key);
    if (puts.has(k) || deleted(k, dels)) throw new EtcdError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}

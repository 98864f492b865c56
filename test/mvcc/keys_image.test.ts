// Hash mode moves the keys of some slots between tablets: an image of the keys a predicate
// accepts (their whole history), installed into another tablet, then dropped from the first.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newStore, putReq, rangeReq, s, delReq } from './helpers.js';

const odd = (k: Uint8Array) => (k[k.length - 1]! & 1) === 1;

test('moves the keys a predicate accepts, with their history, and leaves the others', (t) => {
  const from = newStore(t);
  const to = newStore(t);
  for (const k of ['a', 'b', 'c', 'd', 'e']) from.kv.put(putReq(k, `${k}1`));
  from.kv.put(putReq('a', 'a2'));
  from.kv.deleteRange(delReq('c'));
  // Revisions are unique across tablets in the sharded modes (the oracle's): so here too.
  to.kv.put(putReq('z', 'z1'), 1000);
  const revBefore = from.kv.currentRevision();

  to.kv.importKeys(odd, [...from.kv.exportKeys(odd)]);
  from.kv.dropKeys(odd);

  // 'a', 'c', 'e' are odd: they moved, with history ('a' at both versions, 'c' deleted).
  const keysOf = (kv: typeof from.kv) => kv.range(rangeReq('\0', { end: '\0' })).kvs.map((x) => `${s(x.key)}=${s(x.value)}`);
  assert.deepEqual(keysOf(from.kv), ['b=b1', 'd=d1']);
  assert.deepEqual(keysOf(to.kv), ['a=a2', 'e=e1', 'z=z1']);
  const aHist = to.kv.range(rangeReq('a', { revision: 2 }));
  assert.equal(s(aHist.kvs[0]!.value), 'a1');
  assert.ok(to.kv.currentRevision() >= revBefore);
  // Importing again replaces what the first import brought (no duplicates).
  to.kv.importKeys(odd, [...from.kv.exportKeys(odd)]);
  assert.deepEqual(keysOf(to.kv), ['z=z1']);
  assert.equal(to.kv.keyCount(), 1);
});

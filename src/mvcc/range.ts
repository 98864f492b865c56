// A Range request with etcd 3.4's exact semantics (etcdserver/apply.go Range over mvcc
// rangeKeys), including its quirks:
//   - count is the number of keys in the range at the revision, before limit and before the
//     min/max revision filters;
//   - with a sort order or any filter, every key is fetched, then filtered, sorted and cut to
//     limit; otherwise only limit + 1 keys are fetched, in key order;
//   - sort target other than KEY with order NONE sorts ASCEND (after the limit + 1 fetch!);
//   - more = after filtering and sorting, more than limit keys remained;
//   - count_only returns the count alone (no keys, more = false);
//   - keys_only blanks the values after sorting (so sorting by VALUE still works);
//   - the revision reported is the store's current one, whatever revision was read.
// Ties in sorts keep key order (etcd's sort is not stable, but is for up to 12 keys).

import { assertNever } from '../util/assert.js';
import { compareBytes } from '../storage/index.js';
import { EtcdError } from './errors.js';
import { keyRange } from './key_range.js';
import { emptyBytes, type KeyValue, type RangeRequest, type RangeResponse } from './types.js';
import type { MvccView } from './view.js';

/**
 * Runs req against view. `currentRev` is the revision reads see (inside a writing txn, the txn's
 * revision once it has written); `compactRev` the last compaction; `newestRev` the newest
 * revision in the tables (above currentRev inside a write at an explicit revision that another
 * region's writes passed): only a read at newestRev may count keys from the index alone.
 */
export function rangeKeys(view: MvccView, req: RangeRequest, currentRev: number, compactRev: number, newestRev = currentRev): RangeResponse {
  if (req.revision > currentRev) throw new EtcdError('FutureRev');
  const rev = req.revision <= 0 ? currentRev : req.revision;
  if (rev < compactRev) throw new EtcdError('Compacted');
  const r = keyRange(req.key, req.rangeEnd);
  const latest = rev >= newestRev;
  if (req.countOnly) return { kvs: [], more: false, count: view.count(r, rev, latest), revision: currentRev };

  const filtered = req.minModRevision !== 0 || req.maxModRevision !== 0 || req.minCreateRevision !== 0 || req.maxCreateRevision !== 0;
  let fetchLimit = req.sortOrder !== 'NONE' || filtered ? 0 : req.limit;
  if (fetchLimit > 0) fetchLimit++;
  const withValue = !req.keysOnly || req.sortTarget === 'VALUE';
  const got = view.range(r, rev, fetchLimit, withValue, latest);
  let kvs = got.kvs;

  if (filtered) {
    kvs = kvs.filter(
      (kv) =>
        !(req.maxModRevision !== 0 && kv.modRevision > req.maxModRevision) &&
        !(req.minModRevision !== 0 && kv.modRevision < req.minModRevision) &&
        !(req.maxCreateRevision !== 0 && kv.createRevision > req.maxCreateRevision) &&
        !(req.minCreateRevision !== 0 && kv.createRevision < req.minCreateRevision),
    );
  }

  let order = req.sortOrder;
  if (req.sortTarget !== 'KEY' && order === 'NONE') order = 'ASCEND';
  if (order !== 'NONE') {
    const cmp = comparator(req.sortTarget);
    kvs.sort(order === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
  }

  let more = false;
  if (req.limit > 0 && kvs.length > req.limit) {
    kvs = kvs.slice(0, req.limit);
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: emptyBytes }));
  return { kvs, more, count: got.count, revision: currentRev };
}

function comparator(target: RangeRequest['sortTarget']): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'KEY':
      return (a, b) => compareBytes(a.key, b.key);
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision;
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE':
      return (a, b) => compareBytes(a.value, b.value);
    default:
      return assertNever(target, 'sort target');
  }
}

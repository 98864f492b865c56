// Scatter-gather of a Range: what each region (range mode) or group (hash mode) is asked, and
// how their answers merge into the one a single store holding every key would give, with
// etcd 3.4's semantics as src/mvcc/range.ts implements them:
//
//   count  = keys in the range, before limit and filters     → the sum of the pieces' counts
//   kvs    = matching keys in the answer's order, cut to limit
//   more   = more keys matched (after filters) than limit     → a piece had more, or the pieces
//                                                               returned more than limit in all
//   header = the store's revision                             → the newest piece's revision
//
// The answer's order is a total order: the sort target (ascending or descending), then the key
// ascending (range.ts sorts key-ordered keys with a stable sort, so ties keep key order; order
// NONE with target KEY is key order; NONE with any other target sorts ASCEND).
//
// Sorted, filtered or plain, a piece asked with the client's limit L returns its first L keys
// in that order, having sorted (and filtered) before cutting. The answer's first L keys are
// among them: a key with fewer than L keys before it in the whole answer has fewer than L before
// it in its own piece. So merging the pieces in that order and taking L is exact. Sorting first
// matters: asked for MOD DESCEND with L = 2, a piece holding a (mod 5), b (mod 9), c (mod 7)
// sends b, c; had it cut in key order first it would send b, a, and the answer would lack c.
//
// One case breaks the rule, and its pieces are asked something else: order NONE, a target
// other than KEY, no filter and a limit. There range.ts fetches the first L + 1 keys in key
// order, sorts those by the target and cuts to L (etcd's quirk: sorting the keys it happened to
// fetch, not the range). The keys it sorts are the range's first L + 1 keys, which any piece may
// hold, so each piece is asked for its first L + 1 keys in key order, and the merge redoes the
// store's steps on the union. With L = 2 by VERSION:
//
//   region A: a (v9)     region B: b (v1), c (v5), d (v1)
//   one store: fetch a, b, c → sorted b (v1), c (v5), a (v9) → b, c; more
//   asked as the client asked, B would send b, d (the first three sorted, then cut): wrong keys;
//   asked for 3 keys in key order: A sends a, B sends b, c, d → merge fetches a, b, c → b, c; more
//
// keys_only with target VALUE: the pieces are asked for values (the merge sorts by them) and
// the merge blanks them, as range.ts blanks them after sorting.

import { assert, assertNever } from '../util/assert.js';
import { compareKeys } from '../cluster/region.js';
import {
  emptyBytes,
  type DeleteRangeResponse,
  type KeyValue,
  type RangeRequest,
  type RangeResponse,
  type SortTarget,
} from '../mvcc/types.js';
import { mergeSorted } from './kway_merge.js';

type KvOrder = (a: KeyValue, b: KeyValue) => number;

/** What each piece is asked (before clipping to its region), for `mergeRange(req, ...)`. */
export function rangePieceRequest(req: RangeRequest): RangeRequest {
  if (req.countOnly) return req;
  const ask = { ...req };
  if (req.keysOnly && req.sortTarget === 'VALUE') ask.keysOnly = false;
  if (sortsFirstKeysOnly(req)) {
    ask.sortTarget = 'KEY';
    ask.limit = req.limit + 1;
  }
  return ask;
}

/**
 * The answer to `req` (the client's request) from its pieces' answers to
 * rangePieceRequest(req), one per region or group, in any order.
 */
export function mergeRange(req: RangeRequest, pieces: readonly RangeResponse[]): RangeResponse {
  assert(pieces.length > 0, 'mergeRange: no pieces');
  let count = 0;
  let revision = 0;
  for (const p of pieces) {
    count += p.count;
    revision = Math.max(revision, p.revision);
  }
  if (req.countOnly) return { kvs: [], more: false, count, revision };

  const lists = pieces.map((p) => p.kvs);
  let kvs: KeyValue[];
  let more: boolean;
  if (sortsFirstKeysOnly(req)) {
    const fetched = mergeSorted(lists, byKey, req.limit + 1);
    more = fetched.length > req.limit;
    kvs = fetched.sort(orderOf(req)).slice(0, req.limit);
  } else {
    const limited = req.limit > 0;
    kvs = mergeSorted(lists, orderOf(req), limited ? req.limit : Infinity);
    let returned = 0;
    for (const l of lists) returned += l.length;
    more = limited && (returned > req.limit || pieces.some((p) => p.more));
  }
  if (req.keysOnly) kvs = kvs.map((kv) => (kv.value.length === 0 ? kv : { ...kv, value: emptyBytes }));
  return { kvs, more, count, revision };
}

/** A DeleteRange's pieces: the deletions summed, the previous key-values in key order. */
export function mergeDeleteRange(pieces: readonly DeleteRangeResponse[]): DeleteRangeResponse {
  assert(pieces.length > 0, 'mergeDeleteRange: no pieces');
  let deleted = 0;
  let revision = 0;
  for (const p of pieces) {
    deleted += p.deleted;
    revision = Math.max(revision, p.revision);
  }
  return { deleted, prevKvs: mergeSorted(pieces.map((p) => p.prevKvs), byKey), revision };
}

/** range.ts's quirk (see above): sort order NONE, target not KEY, no filter, a limit. */
function sortsFirstKeysOnly(req: RangeRequest): boolean {
  return req.sortOrder === 'NONE' && req.sortTarget !== 'KEY' && !filtered(req) && req.limit > 0;
}

function filtered(req: RangeRequest): boolean {
  return req.minModRevision !== 0 || req.maxModRevision !== 0 || req.minCreateRevision !== 0 || req.maxCreateRevision !== 0;
}

const byKey: KvOrder = (a, b) => compareKeys(a.key, b.key);

/** The answer's total order: the target in the request's direction, then the key ascending. */
function orderOf(req: RangeRequest): KvOrder {
  const order = req.sortTarget !== 'KEY' && req.sortOrder === 'NONE' ? 'ASCEND' : req.sortOrder;
  if (order === 'NONE') return byKey;
  const target = targetOrder(req.sortTarget);
  return order === 'ASCEND' ? (a, b) => target(a, b) || byKey(a, b) : (a, b) => target(b, a) || byKey(a, b);
}

function targetOrder(target: SortTarget): KvOrder {
  switch (target) {
    case 'KEY':
      return byKey;
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision;
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE':
      return (a, b) => compareKeys(a.value, b.value);
    default:
      return assertNever(target, 'sort target');
  }
}

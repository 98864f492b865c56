// Dropping a region's span from a tablet: every key of [start, end) leaves the index (and the
// graves), with its whole history and the revs entries of that history. Used alone when a peer
// leaves this store, and before an image of the span is installed. Other spans are untouched: a
// revs entry names one revision of one key, so removing a key's revisions removes only its own.

import { keyAfter, type KeyRange } from './key_range.js';
import type { IndexEntry } from './keyspace.js';
import { historyKey, revKey } from './records.js';
import type { SpanTables } from './writer.js';

/** Index entries removed per scan; each scan starts again at the span's start. */
const dropBatchKeys = 1000;

/**
 * Returns how many keys (alive or deleted) left the index. `only`, if given, drops just the keys
 * it accepts (hash mode: the keys of the slots moved away).
 */
export function dropSpan(t: SpanTables, r: KeyRange, only?: (key: Uint8Array) => boolean): number {
  let dropped = 0;
  let from = r.start;
  for (;;) {
    const batch: IndexEntry[] = [];
    let scanned = 0;
    let last: Uint8Array | undefined;
    for (const e of t.keyspace.scan(from, r.end)) {
      scanned++;
      last = e.key;
      if (!only || only(e.key)) batch.push(e);
      if (scanned >= dropBatchKeys) break;
    }
    for (const e of batch) dropKey(t, e);
    dropped += batch.length;
    if (scanned < dropBatchKeys) return dropped;
    // Kept keys stay in the index: the next scan starts after the last one looked at.
    if (only) from = keyAfter(last!);
  }
}


function dropKey(t: SpanTables, e: IndexEntry): void {
  const id = e.rec.id;
  for (const x of t.view.revisionsOf(id)) t.revs.remove(revKey(x.main, x.sub));
  t.history.removeRange(historyKey(id, 0, 0), historyKey(id + 1, 0, 0));
  t.keyspace.remove(e);
  if (!e.rec.alive) return;
  t.state.keys--;
  if (t.leases && e.rec.lease !== 0n) t.leases.detach(e.rec.lease, e.key);
}

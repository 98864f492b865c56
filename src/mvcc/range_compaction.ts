// Compaction of one region's span at revision C: what compaction.ts does for the whole tablet,
// done for the keys of [start, end) only, so regions sharing a tablet compact on their own
// schedules (each through its own log) and never touch each other's history.
//
// Per key, the same rule: history older than the newest revision at or below C goes, and that
// one too if it is a deletion (then the key leaves the index unless written again after C); the
// revs entries of every revision at or below C go, as the tablet-wide compaction leaves none.
// Worked example, span [a, m), C = 6 (other keys of the tablet, such as m, untouched):
//
//   key   generations before         after compactRange(6)
//   a     put 2, put 5, put 8        put 5, put 8         (5 is the newest <= 6)
//   b     put 3, del 4               -                    (a deletion: b leaves the index)
//   c     put 7                      put 7                (nothing <= 6)
//   m     put 6, put 9               put 6, put 9         (outside the span)
//
// NB: the walk is over the span's keys, not over the revs table: revs is shared by every region
// of the tablet, and walking it per region would read every other region's revisions too. Each
// key costs one seek; its revisions at or below C are few after the first compaction (the one
// kept, then only those written since).

import type { BinaryTable } from '../storage/index.js';
import { keyAfter, type KeyRange } from './key_range.js';
import type { IndexEntry, Keyspace } from './keyspace.js';
import { historyKey, revKey } from './records.js';
import type { MvccView } from './view.js';

/** Index entries handled per scan: deletions happen between scans. */
const compactBatchKeys = 1000;

export function compactSpan(keyspace: Keyspace, view: MvccView, history: BinaryTable, revs: BinaryTable, r: KeyRange, rev: number): void {
  let from = r.start;
  for (;;) {
    const batch: IndexEntry[] = [];
    for (const e of keyspace.scan(from, r.end)) {
      batch.push(e);
      if (batch.length >= compactBatchKeys) break;
    }
    for (const e of batch) compactKey(keyspace, view, history, revs, e, rev);
    if (batch.length < compactBatchKeys) return;
    from = keyAfter(batch[batch.length - 1]!.key);
  }
}

function compactKey(keyspace: Keyspace, view: MvccView, history: BinaryTable, revs: BinaryTable, e: IndexEntry, rev: number): void {
  const id = e.rec.id;
  const upTo = view.revisionsOf(id, rev);
  if (upTo.length === 0) return;
  for (const x of upTo) revs.remove(revKey(x.main, x.sub));
  const newest = upTo[upTo.length - 1]!;
  history.removeRange(historyKey(id, 0, 0), historyKey(id, newest.main, newest.sub));
  if (!view.historyAt(id, newest.main, newest.sub).tombstone) return;
  history.remove(historyKey(id, newest.main, newest.sub));
  if (e.rec.modMain === newest.main && e.rec.modSub === newest.sub) keyspace.remove(e);
}

// Physical compaction at revision C: for every key, history older than its newest revision at or
// below C is deleted, and that newest one too if it is a deletion (then the key leaves the index
// unless it was written again after C). The revs table keeps only revisions above C, so each
// compaction walks just the revisions written since the previous one.
//
// Worked example: key k put at 2, 3, deleted at 5, put at 7; key j put at 4.
//   compact(3): k keeps 3 (drops 2); j keeps 4 (nothing at or below 3 to drop; 4 > 3).
//   compact(6): k's newest at or below 6 is the deletion at 5: 3 and 5 go; k stays in the index
//               because of 7. j keeps 4. A read at revision 6 sees j only.

import type { BinaryTable } from '../storage/index.js';
import type { Keyspace } from './keyspace.js';
import { decodeRevValue, historyKey, parseRevKey, revKey } from './records.js';
import type { MvccView } from './view.js';

/** Revisions handled per scan of the revs table: deletions happen between scans. */
const compactBatchRevs = 1000;

export function compactHistory(keyspace: Keyspace, view: MvccView, history: BinaryTable, revs: BinaryTable, rev: number): void {
  const end = revKey(rev + 1, 0);
  for (;;) {
    const batch = [...revs.range({ end, limit: compactBatchRevs })];
    for (const e of batch) {
      const { main, sub } = parseRevKey(e.key);
      const { id, key } = decodeRevValue(e.value);
      revs.remove(e.key);
      const later = history.first({ start: historyKey(id, main, sub + 1), end: historyKey(id, rev + 1, 0) });
      if (later !== undefined) continue; // A later revision at or below rev covers this one.
      history.removeRange(historyKey(id, 0, 0), historyKey(id, main, sub));
      if (!view.historyAt(id, main, sub).tombstone) continue;
      history.remove(historyKey(id, main, sub));
      const entry = keyspace.find(key);
      if (entry !== undefined && entry.rec.id === id && entry.rec.modMain === main && entry.rec.modSub === sub) keyspace.remove(entry);
    }
    if (batch.length < compactBatchRevs) return;
  }
}

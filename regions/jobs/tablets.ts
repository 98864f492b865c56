// A job's view of a lane's tablets: a read-only engine on the lane's environment and an
// MvccStore per tablet read, over the environment's last committed transaction.
//
// Why the committed data is the right thing to read: the lane writes only inside engine.write(),
// one synchronous LMDB transaction per Ready loop, and between loops everything it applied is
// committed. The MvccStore of the lane keeps a few counters in memory (revision, compaction
// point, key count), but saves them in its meta table inside the same write, so the committed
// meta is the lane's memory as of its last loop. Its other memory (watch events not yet drained)
// is nothing a size or a split key depends on. So a reader sees the lane as it was after some
// loop, a few loops behind at most: enough for sizes and cut points, which are estimates anyway,
// and the lane checks a split key against the region as it is when the answer arrives.
//
// NB: a reader holds one LMDB read transaction for its whole scan, and pages the lane frees
// meanwhile are reused only after it ends: a long scan lets the file grow by what the lane
// rewrites during it.

import { MvccStore } from '../../src/mvcc/index.js';
import { openEngine } from '../../src/storage/index.js';

/** MvccStore opens five tables per store; a margin for more. */
const tablesPerTabletMax = 8;

/**
 * Opens the tablets `names` of the environment at `path` for reading, runs fn over them, and
 * closes the engine before resolving (so the lane's own handle is the last one when it closes:
 * the lane waits for its jobs first, see Lane.stop).
 */
export async function readTablets<T>(path: string, names: Iterable<string>, fn: (tablet: (name: string) => MvccStore) => T): Promise<T> {
  const wanted = [...new Set(names)];
  const engine = openEngine({ path, readOnly: true, tablesMax: tablesPerTabletMax * Math.max(1, wanted.length) });
  try {
    const stores = new Map<string, MvccStore>();
    for (const name of wanted) stores.set(name, new MvccStore(engine, { name }));
    // Opening a table begins a new read transaction (lmdb-js), and the scans run in the one begun
    // after the last open: reread each store's counters in that one too, so counters and tables
    // are of the same commit.
    for (const s of stores.values()) s.reload();
    return fn((name) => {
      const s = stores.get(name);
      if (s === undefined) throw new Error(`job reads tablet ${name}, which it did not open`);
      return s;
    });
  } finally {
    await engine.close();
  }
}

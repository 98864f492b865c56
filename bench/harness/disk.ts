// Database size: the space the files under a data dir take on disk, as `du -s` counts it
// (allocated 512-byte blocks, so sparse files and preallocated WAL segments count as allocated).

import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

export function diskUsage(dir: string): number {
  let bytes = 0;
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = join(d, name);
      try {
        const st = lstatSync(p);
        bytes += st.blocks * 512;
        if (st.isDirectory()) walk(p);
      } catch {
        // A file removed while we walk (compaction, WAL rotation) simply no longer counts.
      }
    }
  };
  walk(dir);
  return bytes;
}

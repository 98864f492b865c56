// The splitKey job: where to cut a region "near the middle" (a split PD asks for without keys,
// as TiKV's half split). Off the lane because it reads the most of any region operation: the
// region's size first, then every key in order, weighing each by its whole history, until half
// of the bytes are behind. On the lane thread that held up every region of the lane for as long.

import type { MvccStore } from '../../src/mvcc/index.js';
import type { JobAnswers, TabletSpan } from './jobs.js';
import { readTablets } from './tablets.js';

/** The first cut that leaves about half of [start, end)'s bytes on each side; undefined if none. */
export function splitKeyNearMiddleOf(kv: MvccStore, start: Uint8Array, end: Uint8Array): Uint8Array | undefined {
  const half = Math.max(1, Math.floor(kv.approximateBytes(start, end) / 2));
  return kv.splitKeys(start, end, half)[0];
}

export function splitKeyNearMiddle(path: string, span: TabletSpan): Promise<JobAnswers['splitKey']> {
  return readTablets(path, [span.tablet], (tablet) => ({ key: splitKeyNearMiddleOf(tablet(span.tablet), span.start, span.end) }));
}

// Replaying history for watchers: the events of revisions >= fromRev on a key range, read from
// the revs table (revision order) and each key's history (for the event and the key-value before
// it). A revision's events are never split across calls.

import type { BinaryTable } from '../storage/index.js';
import { inRange, keyRange } from './key_range.js';
import { decodeRevValue, parseRevKey, revKey, subMax } from './records.js';
import type { Event, KeyValue } from './types.js';
import type { MvccView } from './view.js';
import { tombstoneKv } from './writer.js';

export function eventsSince(
  view: MvccView,
  revs: BinaryTable,
  key: Uint8Array,
  rangeEnd: Uint8Array,
  fromRev: number,
  limit: number,
): Event[] {
  const r = keyRange(key, rangeEnd);
  const out: Event[] = [];
  let pending: Event[] = [];
  let pendingRev = 0;
  const flush = (): boolean => {
    if (out.length > 0 && out.length + pending.length > limit) return false;
    out.push(...pending);
    pending = [];
    return true;
  };
  for (const e of revs.range({ start: revKey(Math.max(fromRev, 1), 0) })) {
    const { main, sub } = parseRevKey(e.key);
    if (main !== pendingRev) {
      if (!flush() || out.length >= limit) return out;
      pendingRev = main;
    }
    const { id, key: k } = decodeRevValue(e.value);
    if (!inRange(r, k)) continue;
    pending.push(eventAt(view, id, k, main, sub));
  }
  flush();
  return out;
}

function eventAt(view: MvccView, id: number, key: Uint8Array, main: number, sub: number): Event {
  const h = view.historyAt(id, main, sub);
  const before = sub > 0 ? view.latestAtOrBefore(id, main, sub - 1) : view.latestAtOrBefore(id, main - 1, subMax);
  let prevKv: KeyValue | undefined;
  if (before !== undefined && !before.rec.tombstone) {
    prevKv = {
      key,
      createRevision: before.rec.createRev,
      modRevision: before.main,
      version: before.rec.version,
      value: before.rec.value,
      lease: before.rec.lease,
    };
  }
  const kv: KeyValue = h.tombstone
    ? tombstoneKv(key, main)
    : { key, createRevision: h.createRev, modRevision: main, version: h.version, value: h.value, lease: h.lease };
  const ev: Event = { type: h.tombstone ? 'DELETE' : 'PUT', kv };
  if (prevKv) ev.prevKv = prevKv;
  return ev;
}


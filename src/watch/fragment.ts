// Splitting one watch response into fragments, for watchers that asked (fragment: true). Without
// fragmenting, the events of one revision always travel in one response, however large; with it,
// a response over fragmentBytesMax is cut into pieces marked fragment: true except the last, each
// holding at least one event, so the client can reassemble the revision. As etcd does it, only a
// response with two or more events is split.

import type { Event, KeyValue } from '../mvcc/types.js';

/** Protobuf framing of a KeyValue beyond its key and value: five int64 fields and tags. */
const kvOverheadBytes = 48;
/** Header, watch ID and flags of a response. */
const responseOverheadBytes = 64;

function kvBytes(kv: KeyValue): number {
  return kv.key.length + kv.value.length + kvOverheadBytes;
}

/** An estimate of an event's encoded size (close to, not exactly, its protobuf size). */
export function eventBytes(e: Event): number {
  return kvBytes(e.kv) + (e.prevKv === undefined ? 0 : kvBytes(e.prevKv)) + 8;
}

/** events cut into consecutive runs of at most bytesMax each (a single large event stands alone). */
export function fragmentEvents(events: Event[], bytesMax: number): Event[][] {
  let total = responseOverheadBytes;
  for (const e of events) total += eventBytes(e);
  if (total <= bytesMax || events.length < 2) return [events];
  const out: Event[][] = [];
  let cur: Event[] = [];
  let size = responseOverheadBytes;
  for (const e of events) {
    const b = eventBytes(e);
    if (cur.length > 0 && size + b > bytesMax) {
      out.push(cur);
      cur = [];
      size = responseOverheadBytes;
    }
    cur.push(e);
    size += b;
  }
  out.push(cur);
  return out;
}

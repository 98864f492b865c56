// A test double of the parts of MVCC the watch hub reads: a list of events, one revision per
// write, with prevKv, following KvStore.eventsSince's contract. Writes are "applied" here and
// handed to the hub only when the test publishes, so the store can run ahead of the hub as it
// does between an apply and its commit.

import { EtcdError } from '../../src/mvcc/errors.js';
import type { KvStore } from '../../src/mvcc/kv.js';
import type { Event, KeyValue } from '../../src/mvcc/types.js';

const enc = new TextEncoder();

export type Write = { put: string; value?: string } | { del: string };

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  if (end.length === 0) return cmpBytes(key, start) === 0;
  if (end.length === 1 && end[0] === 0) return cmpBytes(key, start) >= 0;
  return cmpBytes(key, start) >= 0 && cmpBytes(key, end) < 0;
}

export class FakeKv implements Pick<KvStore, 'eventsSince' | 'currentRevision' | 'compactRevision'> {
  rev = 1;
  compacted = 0;
  readonly log: Event[] = [];
  private readonly live = new Map<string, KeyValue>();
  private unpublished: Event[] = [];
  /** eventsSince calls, for tests that count reads. */
  reads = 0;

  currentRevision(): number {
    return this.rev;
  }

  compactRevision(): number {
    return this.compacted;
  }

  /** Applies writes as one revision (a txn when more than one); returns the revision. */
  apply(...writes: Write[]): number {
    const rev = this.rev + 1;
    const evs: Event[] = [];
    for (const w of writes) {
      const key = enc.encode('put' in w ? w.put : w.del);
      const k = 'put' in w ? w.put : w.del;
      const prev = this.live.get(k);
      if ('put' in w) {
        const kv: KeyValue = {
          key,
          createRevision: prev?.createRevision ?? rev,
          modRevision: rev,
          version: (prev?.version ?? 0) + 1,
          value: enc.encode(w.value ?? `${k}@${rev}`),
          lease: 0n,
        };
        this.live.set(k, kv);
        evs.push(prev === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv: prev });
      } else {
        if (prev === undefined) continue;
        this.live.delete(k);
        const kv: KeyValue = { key, createRevision: 0, modRevision: rev, version: 0, value: new Uint8Array(0), lease: 0n };
        evs.push({ type: 'DELETE', kv, prevKv: prev });
      }
    }
    if (evs.length === 0) return this.rev;
    this.rev = rev;
    this.log.push(...evs);
    this.unpublished.push(...evs);
    return rev;
  }

  /** Events applied since the last call (what the member passes to publish). */
  drain(): Event[] {
    const out = this.unpublished;
    this.unpublished = [];
    return out;
  }

  compact(rev: number): void {
    this.compacted = rev;
  }

  eventsSince(key: Uint8Array, rangeEnd: Uint8Array, fromRev: number, limit: number): Event[] {
    this.reads++;
    if (fromRev <= this.compacted) throw new EtcdError('Compacted');
    const out: Event[] = [];
    let i = 0;
    while (i < this.log.length && this.log[i]!.kv.modRevision < fromRev) i++;
    while (i < this.log.length) {
      const rev = this.log[i]!.kv.modRevision;
      const one: Event[] = [];
      for (; i < this.log.length && this.log[i]!.kv.modRevision === rev; i++) {
        if (inRange(this.log[i]!.kv.key, key, rangeEnd)) one.push(this.log[i]!);
      }
      if (out.length > 0 && out.length + one.length > limit) break;
      out.push(...one);
      if (out.length >= limit) break;
    }
    return out;
  }
}

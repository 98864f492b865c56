// The writes of one revision: every put and delete of one Put, DeleteRange or Txn shares the main
// revision beginRev + 1, with sub-revisions 0, 1, 2 ... in order. Each write updates three tables
// (history, revs, index: see records.ts), the store's counters, lease attachments, and records
// the event for watchers, with the previous key-value.
//
// beginRev is the store's revision (unsharded) or atRev - 1 (an explicit revision, which may lie
// below the store's revision when regions share a tablet). Either way a key's history must only
// grow: its newest (main, sub) is below the one written, asserted on every write.

import type { BinaryTable } from '../storage/index.js';
import { assert } from '../util/assert.js';
import type { IndexEntry, Keyspace } from './keyspace.js';
import type { LeaseHooks } from './kv.js';
import { encodeHistory, encodeRevValue, historyKey, revKey } from './records.js';
import { emptyBytes, type Event, type KeyValue } from './types.js';
import type { MvccView } from './view.js';

/** The store's counters, persisted with every write. */
export interface MvccState {
  /** The current main revision. */
  rev: number;
  compactRev: number;
  /** The next key id to hand out. */
  nextId: number;
  /** Keys alive now. */
  keys: number;
}

export interface WriterDeps {
  keyspace: Keyspace;
  view: MvccView;
  history: BinaryTable;
  revs: BinaryTable;
  state: MvccState;
  events: Event[];
  leases: LeaseHooks | undefined;
}

/** The tables and counters the span operations of a tablet change (range_drop, range_image). */
export type SpanTables = Omit<WriterDeps, 'events'>;

export class RevisionWriter {
  readonly main: number;
  private sub = 0;

  constructor(
    private readonly d: WriterDeps,
    readonly beginRev: number,
  ) {
    this.main = beginRev + 1;
  }

  /** Whether anything was written (then the revision moves to `main`). */
  get changed(): boolean {
    return this.sub > 0;
  }

  /** The revision reads see: the writes made so far included. */
  get readRev(): number {
    return this.changed ? this.main : this.beginRev;
  }

  /** The current key-value of key, if alive, with its index entry. */
  current(key: Uint8Array): { entry: IndexEntry; kv: KeyValue } | undefined {
    const entry = this.d.keyspace.find(key);
    if (entry === undefined) return undefined;
    const kv = this.d.view.kvAt(entry, Number.MAX_SAFE_INTEGER, true);
    return kv === undefined ? undefined : { entry, kv };
  }

  put(key: Uint8Array, value: Uint8Array, lease: bigint): void {
    const d = this.d;
    const entry = d.keyspace.find(key);
    const prev = entry === undefined ? undefined : d.view.kvAt(entry, Number.MAX_SAFE_INTEGER, true);
    const id = entry === undefined ? d.state.nextId++ : entry.rec.id;
    const createRev = prev ? prev.createRevision : this.main;
    const version = prev ? prev.version + 1 : 1;
    const sub = this.sub++;
    if (entry !== undefined) this.assertAfter(entry, sub);
    d.history.put(historyKey(id, this.main, sub), encodeHistory({ tombstone: false, createRev, version, lease, value }));
    d.revs.put(revKey(this.main, sub), encodeRevValue(id, key));
    const rec = { id, createRev, modMain: this.main, modSub: sub, version, lease, alive: true };
    if (entry === undefined) d.keyspace.insert(key, rec);
    else d.keyspace.update(entry, rec);
    if (prev === undefined) d.state.keys++;
    if (d.leases) {
      if (prev && prev.lease !== 0n) d.leases.detach(prev.lease, key);
      if (lease !== 0n) d.leases.attach(lease, key);
    }
    const kv: KeyValue = { key, createRevision: createRev, modRevision: this.main, version, value, lease };
    d.events.push(prev ? { type: 'PUT', kv, prevKv: prev } : { type: 'PUT', kv });
  }

  /** Deletes an alive key (prev is its current key-value). */
  delete(entry: IndexEntry, prev: KeyValue): void {
    const d = this.d;
    const sub = this.sub++;
    this.assertAfter(entry, sub);
    const id = entry.rec.id;
    d.history.put(historyKey(id, this.main, sub), encodeHistory({ tombstone: true, createRev: 0, version: 0, lease: 0n, value: emptyBytes }));
    d.revs.put(revKey(this.main, sub), encodeRevValue(id, entry.key));
    d.keyspace.update(entry, { id, createRev: 0, modMain: this.main, modSub: sub, version: 0, lease: 0n, alive: false });
    d.state.keys--;
    if (d.leases && prev.lease !== 0n) d.leases.detach(prev.lease, entry.key);
    d.events.push({ type: 'DELETE', kv: tombstoneKv(entry.key, this.main), prevKv: prev });
  }

  private assertAfter(entry: IndexEntry, sub: number): void {
    const r = entry.rec;
    assert(
      r.modMain < this.main || (r.modMain === this.main && r.modSub < sub),
      `write at ${this.main}.${sub} is not after the key's revision ${r.modMain}.${r.modSub}`,
    );
  }
}

export function tombstoneKv(key: Uint8Array, rev: number): KeyValue {
  return { key, createRevision: 0, modRevision: rev, version: 0, value: emptyBytes, lease: 0n };
}

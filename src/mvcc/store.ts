// MvccStore: etcd's MVCC key-value store over the storage engine. All history lives in LMDB
// tables (see records.ts); the only state in memory is a handful of counters and the events not
// yet drained, so memory does not grow with the number of keys or revisions.
//
// Writes run inside the caller's engine.write() when there is one (the apply loop batches many
// entries and the Raft state into one durable transaction), or in a write of their own. They
// check everything that can fail before writing, so an EtcdError leaves the transaction usable.
// If the surrounding write rolls back, the counters are reloaded and that write's events dropped.
//
// One store is etcd's whole key space (unsharded mode) or a tablet shared by the regions of one
// lane (sharded modes: writes at explicit revisions, and the span operations of RangeTablet,
// each in a file of its own: range_compaction, range_drop, range_image, range_size).

import type { BinaryTable, Engine, Table } from '../storage/index.js';
import { assert } from '../util/assert.js';
import { compactHistory } from './compaction.js';
import { EtcdError } from './errors.js';
import { hashHistory, hashKeys, hashRangeHistory } from './hash.js';
import { eventsSince } from './history.js';
import { Keyspace } from './keyspace.js';
import { spanRange } from './key_range.js';
import type { HashKVResult, KvStore, LeaseHooks, RangeTablet, SplitTarget } from './kv.js';
import { deleteRange, putAlone, range, type OpContext } from './ops.js';
import { compactSpan } from './range_compaction.js';
import { dropSpan } from './range_drop.js';
import { exportSpan, importSpan, rangeImageChunkBytesMax } from './range_image.js';
import { approximateSpanBytes, splitSpan } from './range_size.js';
import { revKey } from './records.js';
import { txn } from './txn.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './types.js';
import { MvccView } from './view.js';
import { RevisionWriter, type MvccState, type SpanTables } from './writer.js';

export interface MvccStoreOptions {
  /** Prefix of the store's table names, so several stores can share one engine. Default 'mvcc'. */
  name?: string;
  leases?: LeaseHooks;
  /**
   * Keys up to this many bytes sit in their index slot; longer ones go to prefix buckets (see
   * keyspace.ts). Must stay below the engine's key limit minus 9. Fixed for the life of the data.
   */
  inlineKeyBytesMax?: number;
}

const stateKey = 'state';

/** The counters as stored, with the layout facts fixed for the life of the data. */
type StoredState = MvccState & { inlineKeyBytesMax: number; graves?: boolean };
const inlineKeyBytesDefault = 511;

export class MvccStore implements KvStore, RangeTablet {
  private readonly keyspace: Keyspace;
  private readonly view: MvccView;
  private readonly history: BinaryTable;
  private readonly revs: BinaryTable;
  private readonly meta: Table<string, StoredState>;
  private readonly graves: BinaryTable;
  private readonly ctx: OpContext;
  private state: MvccState;
  private events: Event[] = [];
  /** engine.writeSeq of the write that last appended events, and how many events were there before it. */
  private eventsSeq = -1;
  private eventsMark = 0;

  constructor(
    private readonly engine: Engine,
    opts: MvccStoreOptions = {},
  ) {
    const name = opts.name ?? 'mvcc';
    this.meta = engine.table(`${name}.meta`, { keys: 'string' });
    this.history = engine.binaryTable(`${name}.history`);
    this.revs = engine.binaryTable(`${name}.revs`);
    const stored = this.meta.get(stateKey);
    const inline = stored?.inlineKeyBytesMax ?? opts.inlineKeyBytesMax ?? inlineKeyBytesDefault;
    assert(inline + 9 <= engine.keyBytesMax, `inlineKeyBytesMax ${inline} too large for LMDB keys of ${engine.keyBytesMax} bytes`);
    assert(
      opts.inlineKeyBytesMax === undefined || opts.inlineKeyBytesMax === inline,
      `store ${name} was created with inlineKeyBytesMax ${inline}`,
    );
    this.graves = engine.binaryTable(`${name}.graves`);
    this.keyspace = new Keyspace(engine.binaryTable(`${name}.index`), inline, this.graves);
    this.view = new MvccView(this.keyspace, this.history);
    // etcd starts at revision 1 with no keys.
    this.state = stored ?? { rev: 1, compactRev: 0, nextId: 1, keys: 0 };
    if (stored === undefined) engine.write(() => this.meta.put(stateKey, { ...this.state, inlineKeyBytesMax: inline, graves: true }));
    else if (stored.graves !== true) {
      // Written before tombstones were tracked apart: find them once.
      engine.write(() => {
        this.keyspace.rebuildGraves();
        this.meta.put(stateKey, { ...stored, graves: true });
      });
    }
    this.ctx = { view: this.view, state: this.state, leases: opts.leases };
    engine.onRollback(() => this.onRollback());
  }

  currentRevision(): number {
    return this.state.rev;
  }

  compactRevision(): number {
    return this.state.compactRev;
  }

  keyCount(): number {
    return this.state.keys;
  }

  range(req: RangeRequest): RangeResponse {
    return range(this.ctx, req, this.state.rev);
  }

  put(req: PutRequest, atRev?: number): PutResponse {
    return this.writeRevision((w) => putAlone(this.ctx, w, req), atRev);
  }

  deleteRange(req: DeleteRangeRequest, atRev?: number): DeleteRangeResponse {
    if (req.key.length === 0) throw new EtcdError('KeyNotProvided');
    return this.writeRevision((w) => deleteRange(this.ctx, w, req), atRev);
  }

  txn(req: TxnRequest, atRev?: number): TxnResponse {
    return this.writeRevision((w) => txn(this.ctx, w, req), atRev);
  }

  compact(rev: number): void {
    if (rev <= this.state.compactRev) throw new EtcdError('Compacted');
    if (rev > this.state.rev) throw new EtcdError('FutureRev');
    this.inWrite(() => {
      compactHistory(this.keyspace, this.view, this.history, this.revs, rev);
      this.state.compactRev = rev;
      this.saveState();
    });
  }

  drainEvents(): Event[] {
    const out = this.events;
    this.events = [];
    this.eventsMark = 0;
    return out;
  }

  eventsSince(key: Uint8Array, rangeEnd: Uint8Array, fromRev: number, limit: number): Event[] {
    if (fromRev <= this.state.compactRev) throw new EtcdError('Compacted');
    return eventsSince(this.view, this.revs, key, rangeEnd, fromRev, limit);
  }

  hash(): number {
    return hashKeys(this.keyspace, this.view);
  }

  hashKV(rev: number): HashKVResult {
    const compactRevision = this.state.compactRev;
    if (rev > 0 && rev <= compactRevision) throw new EtcdError('Compacted');
    if (rev > this.state.rev) throw new EtcdError('FutureRev');
    const at = rev > 0 ? rev : this.state.rev;
    return { hash: hashHistory(this.history, at, compactRevision), compactRevision, revision: this.state.rev };
  }

  // ---- spans of a tablet (RangeTablet, kv.ts) ----

  countRange(start: Uint8Array, end: Uint8Array, rev = 0): number {
    if (rev > this.state.rev) throw new EtcdError('FutureRev');
    if (rev > 0 && rev < this.state.compactRev) throw new EtcdError('Compacted');
    const at = rev > 0 ? rev : this.state.rev;
    return this.view.count(spanRange(start, end), at, at === this.state.rev);
  }

  approximateBytes(start: Uint8Array, end: Uint8Array): number {
    return approximateSpanBytes(this.keyspace, this.view, spanRange(start, end));
  }

  splitKeys(start: Uint8Array, end: Uint8Array, target: SplitTarget): Uint8Array[] {
    return splitSpan(this.keyspace, this.view, spanRange(start, end), target);
  }

  hashRange(start: Uint8Array, end: Uint8Array, rev: number): number {
    if (rev > 0 && rev <= this.state.compactRev) throw new EtcdError('Compacted');
    if (rev > this.state.rev) throw new EtcdError('FutureRev');
    return hashRangeHistory(this.keyspace, this.view, spanRange(start, end), rev > 0 ? rev : this.state.rev);
  }

  compactRange(rev: number, start: Uint8Array, end: Uint8Array): void {
    if (rev > this.state.rev) throw new EtcdError('FutureRev');
    if (rev <= this.state.compactRev) return; // The tablet-wide compaction went further already.
    this.inWrite(() => compactSpan(this.keyspace, this.view, this.history, this.revs, spanRange(start, end), rev));
  }

  dropRange(start: Uint8Array, end: Uint8Array): void {
    this.inWrite(() => {
      dropSpan(this.spanTables(), spanRange(start, end));
      this.saveState();
    });
  }

  exportRange(start: Uint8Array, end: Uint8Array, opts: { chunkBytesMax?: number } = {}): Iterable<Uint8Array> {
    return exportSpan(this.spanTables(), start, end, opts.chunkBytesMax ?? rangeImageChunkBytesMax);
  }

  importRange(start: Uint8Array, end: Uint8Array, chunks: Iterable<Uint8Array>): void {
    this.inWrite(() => {
      const t = this.spanTables();
      dropSpan(t, spanRange(start, end));
      const newest = importSpan(t, start, end, chunks);
      this.state.rev = Math.max(this.state.rev, newest);
      this.saveState();
    });
  }

  /**
   * Hash mode's slot moves: the image of the keys `only` accepts (with their whole history),
   * installed elsewhere by importKeys, and dropped here by dropKeys once the move is done.
   */
  exportKeys(only: (key: Uint8Array) => boolean, opts: { chunkBytesMax?: number } = {}): Iterable<Uint8Array> {
    const all = new Uint8Array(0);
    return exportSpan(this.spanTables(), all, all, opts.chunkBytesMax ?? rangeImageChunkBytesMax, only);
  }

  /** Installs an exportKeys image: first drops the keys `only` accepts, then inserts the image's. */
  importKeys(only: (key: Uint8Array) => boolean, chunks: Iterable<Uint8Array>): void {
    this.inWrite(() => {
      const t = this.spanTables();
      const all = new Uint8Array(0);
      dropSpan(t, spanRange(all, all), only);
      const newest = importSpan(t, all, all, chunks);
      this.state.rev = Math.max(this.state.rev, newest);
      this.saveState();
    });
  }

  dropKeys(only: (key: Uint8Array) => boolean): void {
    this.inWrite(() => {
      const all = new Uint8Array(0);
      dropSpan(this.spanTables(), spanRange(all, all), only);
      this.saveState();
    });
  }

  /** Keys alive now that have a lease, to rebuild the lessor's attachments at start. */
  *leasedKeys(): Iterable<{ key: Uint8Array; lease: bigint }> {
    for (const e of this.keyspace.scan(new Uint8Array(0), undefined)) {
      if (e.rec.alive && e.rec.lease !== 0n) yield { key: e.key, lease: e.rec.lease };
    }
  }

  // ---- internals ----

  /**
   * Runs one revision's writes; the revision moves only if something was written. With atRev the
   * writes are at atRev, and the store's revision becomes the larger of the two (kv.ts).
   */
  private writeRevision<T>(fn: (w: RevisionWriter) => T, atRev?: number): T {
    return this.inWrite(() => {
      const beginRev = atRev === undefined ? this.state.rev : this.beginAt(atRev);
      const w = new RevisionWriter(
        {
          keyspace: this.keyspace,
          view: this.view,
          history: this.history,
          revs: this.revs,
          state: this.state,
          events: this.events,
          leases: this.ctx.leases,
        },
        beginRev,
      );
      const result = fn(w);
      if (w.changed) {
        this.state.rev = Math.max(this.state.rev, w.main);
        this.saveState();
      }
      return result;
    });
  }

  /** The revision a write at atRev begins from, once the caller's guarantees are checked. */
  private beginAt(atRev: number): number {
    assert(Number.isSafeInteger(atRev) && atRev > 1, `explicit revision ${atRev} is not a revision above 1`);
    assert(atRev > this.state.compactRev, `explicit revision ${atRev} is not above the compaction at ${this.state.compactRev}`);
    const taken = this.revs.first({ start: revKey(atRev, 0), end: revKey(atRev + 1, 0) });
    assert(taken === undefined, `explicit revision ${atRev} is already used on this tablet`);
    return atRev - 1;
  }

  private spanTables(): SpanTables {
    return { keyspace: this.keyspace, view: this.view, history: this.history, revs: this.revs, state: this.state, leases: this.ctx.leases };
  }

  private inWrite<T>(fn: () => T): T {
    const run = (): T => {
      if (this.eventsSeq !== this.engine.writeSeq) {
        this.eventsSeq = this.engine.writeSeq;
        this.eventsMark = this.events.length;
      }
      return fn();
    };
    return this.engine.inWrite() ? run() : this.engine.write(run);
  }

  /** Every table the store keeps its state in (for an image of the state machine). */
  get tables(): BinaryTable[] {
    return [this.meta.binary, this.history, this.revs, this.keyspace.table, this.graves];
  }

  /**
   * The tables were replaced underneath (a Raft snapshot was installed, its write committed):
   * reread the counters; events not yet drained belong to the replaced state and are dropped.
   */
  reload(): void {
    const stored = this.meta.get(stateKey);
    assert(stored !== undefined, 'mvcc state missing after a snapshot install');
    assert(stored.inlineKeyBytesMax === this.keyspace.inlineBytesMax, `installed mvcc state has inlineKeyBytesMax ${stored.inlineKeyBytesMax}, this store ${this.keyspace.inlineBytesMax}`);
    assert(stored.graves === true, 'installed mvcc state has no graves');
    const { inlineKeyBytesMax: _inline, graves: _graves, ...state } = stored;
    Object.assign(this.state, state);
    this.events = [];
    this.eventsSeq = -1;
    this.eventsMark = 0;
  }

  private saveState(): void {
    this.meta.put(stateKey, { ...this.state, inlineKeyBytesMax: this.keyspace.inlineBytesMax, graves: true });
  }

  private onRollback(): void {
    const stored = this.meta.get(stateKey);
    assert(stored !== undefined, 'mvcc state missing after rollback');
    const { inlineKeyBytesMax: _inline, graves: _graves, ...state } = stored;
    Object.assign(this.state, state);
    if (this.eventsSeq === this.engine.writeSeq) this.events.length = this.eventsMark;
  }
}

// The storage engine of one member: one LMDB environment (a directory) holding named tables for
// the Raft logs of many groups, the MVCC store and metadata. Every change goes through write(),
// which runs synchronously inside ONE LMDB write transaction and returns only once that
// transaction is durable (see lmdb.ts for exactly why). Callers batch: a lane persists the Ready
// of all its peers and applies their committed entries in one write() (group commit), and only
// then acknowledges anything that depends on those bytes.

import { assert } from '../util/assert.js';
import { LmdbEnv } from './lmdb.js';
import { BinaryTable, Table, type TableKey } from './table.js';

export interface EngineOptions {
  /** Directory of the environment; created if missing. */
  path: string;
  /** Skip fsync: commits survive a process crash, not a machine crash. Tests and benchmarks only. */
  noSync?: boolean;
  /**
   * Blocks this long after every commit, on top of the real fsync: emulates a slower disk for
   * benchmarks (this machine's disk acknowledges fsync in ~50 us, a real SSD takes ~1 ms).
   */
  flushDelayMs?: number;
  /** Initial map size; lmdb-js grows the map on demand, so this is a hint. */
  mapSizeBytes?: number;
  /** Named tables the environment can hold. */
  tablesMax?: number;
  /**
   * Reads an environment that exists (maybe open for writing in another thread of this process:
   * lmdb.ts says how they share it): write() refuses, tables must exist. For jobs that scan a
   * lane's committed data off the lane's thread (regions/jobs).
   */
  readOnly?: boolean;
}

export interface TableOptions {
  /** 'string' keys are UTF-8 encoded; 'binary' keys are Uint8Arrays. Default 'binary'. */
  keys?: 'string' | 'binary';
}

export class Engine {
  private readonly env: LmdbEnv;
  private readonly tables = new Map<string, BinaryTable>();
  private readonly rollbackListeners = new Set<() => void>();
  private writing = false;
  private closed = false;
  private seq = 0;
  private rollbacks = 0;
  private readonly flushDelayMs: number;
  private readonly readOnly: boolean;
  private readonly delayCell = new Int32Array(new SharedArrayBuffer(4));

  constructor(opts: EngineOptions) {
    this.env = new LmdbEnv({
      path: opts.path,
      noSync: opts.noSync ?? false,
      ...(opts.mapSizeBytes === undefined ? {} : { mapSizeBytes: opts.mapSizeBytes }),
      dbsMax: opts.tablesMax ?? 64,
      ...(opts.readOnly === true ? { readOnly: true } : {}),
    });
    this.readOnly = opts.readOnly === true;
    this.flushDelayMs = opts.flushDelayMs ?? 0;
  }

  /** The largest LMDB key this environment takes (lmdb-js maxKeySize; 1978 with 4 KiB pages). */
  get keyBytesMax(): number {
    return this.env.maxKeyBytes;
  }

  /**
   * Runs fn inside one write transaction and commits it durably before returning fn's result.
   * If fn throws, nothing it wrote is kept, rollback listeners run, and the error propagates.
   * fn must be synchronous; write() is not reentrant.
   */
  write<T>(fn: () => T): T {
    assert(!this.closed, 'engine is closed');
    assert(!this.readOnly, 'engine.write on an engine opened read-only');
    assert(!this.writing, 'engine.write is not reentrant');
    this.writing = true;
    this.seq++;
    try {
      const result = this.env.transactionSync(() => {
        const r = fn();
        assert(!(r instanceof Promise), 'engine.write callbacks must be synchronous');
        return r;
      });
      // The commit blocks as a slower fsync would (the emulated disk holds up the thread).
      if (this.flushDelayMs > 0) Atomics.wait(this.delayCell, 0, 0, this.flushDelayMs);
      return result;
    } catch (e) {
      this.rollbacks++;
      for (const l of this.rollbackListeners) l();
      throw e;
    } finally {
      this.writing = false;
    }
  }

  /**
   * Runs fn for reads. Reads outside write() see the last committed state, one consistent snapshot
   * until the current synchronous turn ends; inside write() they see the transaction's own writes.
   */
  read<T>(fn: () => T): T {
    assert(!this.closed, 'engine is closed');
    return fn();
  }

  inWrite(): boolean {
    return this.writing;
  }

  /** Increments at the start of every write(); lets caches tell transactions apart. */
  get writeSeq(): number {
    return this.seq;
  }

  /** Increments whenever a write() is rolled back; caches compare it to know when to reload. */
  get rollbackCount(): number {
    return this.rollbacks;
  }

  /** fn runs after a write() is rolled back. Returns an unsubscribe function. */
  onRollback(fn: () => void): () => void {
    this.rollbackListeners.add(fn);
    return () => this.rollbackListeners.delete(fn);
  }

  /** A table of raw bytes. Open tables at start-up, outside write(). */
  binaryTable(name: string): BinaryTable {
    let t = this.tables.get(name);
    if (t === undefined) {
      assert(!this.writing, `open table ${name} outside engine.write`);
      t = new BinaryTable(name, this.env.db(name), this);
      this.tables.set(name, t);
    }
    return t;
  }

  /** A table of msgpack values keyed by strings. */
  table<V>(name: string, opts: { keys: 'string' }): Table<string, V>;
  /** A table of msgpack values keyed by bytes. */
  table<V>(name: string, opts?: { keys?: 'binary' }): Table<Uint8Array, V>;
  table<V>(name: string, opts: TableOptions = {}): Table<TableKey, V> {
    return new Table<TableKey, V>(this.binaryTable(name), opts.keys === 'string');
  }

  /** Size of the data file (etcd's dbSize). */
  sizeBytes(): number {
    return this.env.fileBytes();
  }

  /**
   * Bytes of the pages the B-trees of the opened tables use (etcd's dbSizeInUse): the file minus
   * free pages, as far as the tables this process opened are concerned.
   */
  sizeInUseBytes(): number {
    const { pages, pageBytes } = this.env.pagesInUse();
    return pages * pageBytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    assert(!this.writing, 'close inside engine.write');
    this.closed = true;
    await this.env.close();
  }
}

export function openEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}

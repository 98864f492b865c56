// The one module that imports `lmdb` (lmdb-js). It exposes only what the engine needs: one
// environment, binary sub-databases, synchronous durable write transactions, reads and stats.
//
// Durability, exactly. A write is acknowledged only after `transactionSync` returns, and we make
// that mean "on disk":
//   - we open the environment with `overlappingSync: false` (lmdb-js enables it by default on
//     Linux; with it, commits may become visible before the flush and durability is tracked by the
//     separate `flushed` promise) and without `noSync`/`noMetaSync`/`mapAsync`;
//   - we commit with `transactionSync(fn, ABORTABLE | SYNCHRONOUS_COMMIT)` and never with
//     NO_SYNC_FLUSH (0x10000, which begins the LMDB txn with MDB_NOSYNC);
//   - so the commit runs LMDB's own `mdb_txn_commit` on this thread, which fdatasync()s the data
//     pages and then writes the meta page through the O_DSYNC descriptor before returning
//     (checked with strace: fdatasync(data.mdb), pwrite64(O_DSYNC fd, meta), then our next call);
//   - we never use lmdb-js's asynchronous writes (put/remove/transaction/batch/ifVersion): a
//     synchronous transaction started while an async batch is open joins that batch, and would
//     then be committed later by the batch's worker thread. Only putSync/removeSync inside
//     transactionSync are used, so `flushed`/`committed` promises are never needed.
// With `noSync: true` the environment is opened with MDB_NOSYNC: commits survive a process crash
// (the OS page cache holds them) but not a machine crash. For tests and benchmarks only.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// NB: loaded through require with the few types we use declared below: lmdb's own index.d.ts uses
// `export =`, which TypeScript rejects under NodeNext ESM (TS1203) once it is part of the program.
interface RangeQuery {
  start?: Uint8Array;
  end?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}
interface Database<V, K> {
  getBinary(key: K): V | undefined;
  putSync(key: K, value: V): void;
  removeSync(key: K): boolean;
  getRange(q: RangeQuery): Iterable<{ key: K; value: V }>;
  getKeys(q: RangeQuery): Iterable<K>;
  getCount(q: RangeQuery): number;
  getStats(): unknown;
}
interface RootDatabase extends Database<Uint8Array, Uint8Array> {
  openDB<V, K>(opts: { name: string; encoding: 'binary'; keyEncoding: 'binary' }): Database<V, K>;
  transactionSync<T>(fn: () => T, flags: number): T;
  close(): Promise<void>;
}
interface LmdbModule {
  open(opts: Record<string, unknown>): RootDatabase;
}
const { open } = createRequire(import.meta.url)('lmdb') as LmdbModule;

/** lmdb-js TransactionFlags: abortable, committed (and flushed, see above) before returning. */
const txnAbortableSynchronous = 1 | 2;

export interface LmdbEnvOptions {
  path: string;
  noSync: boolean;
  mapSizeBytes?: number;
  dbsMax: number;
  /**
   * Opens an environment that exists, for reads only: no directory or sub-database is created
   * and nothing can be written (see the NB in the constructor).
   */
  readOnly?: boolean;
}

export interface LmdbRange {
  /** Inclusive. For reverse ranges, the upper bound. */
  start?: Uint8Array;
  /** Exclusive. For reverse ranges, the lower bound. */
  end?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export interface LmdbEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** A named sub-database with binary keys and values. Values returned are copies. */
export class LmdbDb {
  constructor(private readonly db: Database<Uint8Array, Uint8Array>) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.getBinary(key) ?? undefined;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.db.putSync(key, value);
  }

  remove(key: Uint8Array): boolean {
    return this.db.removeSync(key);
  }

  range(r: LmdbRange): Iterable<LmdbEntry> {
    return this.db.getRange({
      ...(r.start === undefined ? {} : { start: r.start }),
      ...(r.end === undefined ? {} : { end: r.end }),
      reverse: r.reverse ?? false,
      ...(r.limit === undefined ? {} : { limit: r.limit }),
    }) as Iterable<LmdbEntry>;
  }

  keys(r: LmdbRange): Iterable<Uint8Array> {
    return this.db.getKeys({
      ...(r.start === undefined ? {} : { start: r.start }),
      ...(r.end === undefined ? {} : { end: r.end }),
      reverse: r.reverse ?? false,
      ...(r.limit === undefined ? {} : { limit: r.limit }),
    }) as Iterable<Uint8Array>;
  }

  count(r: LmdbRange): number {
    return this.db.getCount({
      ...(r.start === undefined ? {} : { start: r.start }),
      ...(r.end === undefined ? {} : { end: r.end }),
    });
  }

  /** B-tree pages this database occupies. */
  pages(): number {
    return pagesOf(this.db.getStats() as LmdbStats);
  }
}

interface LmdbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  lastPageNumber?: number;
  root?: LmdbStats;
  free?: LmdbStats;
}

function pagesOf(s: LmdbStats): number {
  return s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
}

export class LmdbEnv {
  private readonly root: RootDatabase;
  private readonly dbs = new Map<string, LmdbDb>();
  readonly maxKeyBytes: number;

  constructor(readonly options: LmdbEnvOptions) {
    // A reader must not create what it reads: lmdb-js would make the directory and an empty
    // environment in it, e.g. after a lane's directory was removed under a job still queued.
    if (options.readOnly === true) {
      if (!fs.existsSync(path.join(options.path, 'data.mdb'))) throw new Error(`open ${options.path} for reading: no LMDB environment there`);
    } else fs.mkdirSync(options.path, { recursive: true });
    // NB: lmdb-js keeps one LMDB environment per data file for the whole process (its native
    // envTracking, keyed by device and inode): opening a path another thread of this process has
    // open shares that thread's MDB_env, with the flags it was opened with, and counts
    // references, so the environment closes when the last opener closes it. That is what LMDB
    // asks (never two MDB_envs on one file in one process). Read-only here then means: lmdb-js
    // opens each sub-database with a read transaction (never the write lock) and without
    // MDB_CREATE, and adds no write methods. Opening a sub-database that way touches the
    // environment's shared table of handles only when no opener has that name open yet, so a
    // reader of another thread's environment should open only tables that thread already holds.
    this.root = open({
      path: options.path,
      noSubdir: false,
      maxDbs: options.dbsMax,
      overlappingSync: false,
      noSync: options.noSync,
      ...(options.readOnly === true ? { readOnly: true } : {}),
      ...(options.mapSizeBytes === undefined ? {} : { mapSize: options.mapSizeBytes }),
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    this.maxKeyBytes = (this.root as unknown as { maxKeySize: number }).maxKeySize;
  }

  /** Opens (creating if needed) a sub-database. Must not be called inside a write transaction. */
  db(name: string): LmdbDb {
    let d = this.dbs.get(name);
    if (d === undefined) {
      // Read-only, lmdb-js answers undefined for a sub-database that does not exist.
      const opened = this.root.openDB<Uint8Array, Uint8Array>({ name, encoding: 'binary', keyEncoding: 'binary' }) as Database<Uint8Array, Uint8Array> | undefined;
      if (opened === undefined) throw new Error(`open table ${name} in ${this.options.path}: not found`);
      d = new LmdbDb(opened);
      this.dbs.set(name, d);
    }
    return d;
  }

  /** Runs fn in one write transaction and returns once it is committed and, unless noSync, flushed. */
  transactionSync<T>(fn: () => T): T {
    return this.root.transactionSync(fn, txnAbortableSynchronous);
  }

  fileBytes(): number {
    return fs.statSync(path.join(this.options.path, 'data.mdb')).size;
  }

  /** Pages reachable from the B-trees (all sub-databases, the catalog and the free list) plus the metas. */
  pagesInUse(): { pages: number; pageBytes: number } {
    const s = this.root.getStats() as LmdbStats;
    let pages = 2 + pagesOf(s.root ?? s) + (s.free ? pagesOf(s.free) : 0);
    for (const d of this.dbs.values()) pages += d.pages();
    return { pages, pageBytes: s.pageSize };
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

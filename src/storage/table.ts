// Tables: named LMDB sub-databases, for modules that must not import lmdb. A BinaryTable holds
// raw bytes; a Table<K, V> keys by strings or bytes and stores msgpack-encoded values.
// Writes are legal only inside engine.write(); reads see the write transaction when inside one,
// else the last committed state (one consistent snapshot for the rest of the synchronous turn).
// Do not write to a table while iterating a range of it: collect first, then write.

import { assert } from '../util/assert.js';
import type { LmdbDb } from './lmdb.js';
import { pack, unpack } from './msgpack.js';

export interface RangeOptions<K> {
  /** Inclusive lower bound (upper bound when reverse). */
  start?: K;
  /** Exclusive upper bound (lower bound when reverse). */
  end?: K;
  reverse?: boolean;
  limit?: number;
}

export interface WriteGuard {
  inWrite(): boolean;
}

export class BinaryTable {
  constructor(
    readonly name: string,
    private readonly db: LmdbDb,
    private readonly guard: WriteGuard,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.get(key);
  }

  has(key: Uint8Array): boolean {
    return this.db.get(key) !== undefined;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    assert(this.guard.inWrite(), `put into ${this.name} outside engine.write`);
    this.db.put(key, value);
  }

  /** True if the key existed. */
  remove(key: Uint8Array): boolean {
    assert(this.guard.inWrite(), `remove from ${this.name} outside engine.write`);
    return this.db.remove(key);
  }

  range(opts: RangeOptions<Uint8Array> = {}): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    return this.db.range(opts);
  }

  keys(opts: RangeOptions<Uint8Array> = {}): Iterable<Uint8Array> {
    return this.db.keys(opts);
  }

  /** The first entry at or after start (or at or before it, reversed), within end. */
  first(opts: RangeOptions<Uint8Array>): { key: Uint8Array; value: Uint8Array } | undefined {
    for (const e of this.db.range({ ...opts, limit: 1 })) return e;
    return undefined;
  }

  count(opts: Pick<RangeOptions<Uint8Array>, 'start' | 'end'> = {}): number {
    return this.db.count(opts);
  }

  /** Removes every key in [start, end); returns how many. */
  removeRange(start: Uint8Array | undefined, end: Uint8Array | undefined): number {
    assert(this.guard.inWrite(), `removeRange in ${this.name} outside engine.write`);
    const keys = [...this.db.keys({ ...(start ? { start } : {}), ...(end ? { end } : {}) })];
    for (const k of keys) this.db.remove(k);
    return keys.length;
  }
}

export type TableKey = string | Uint8Array;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Values are anything msgpack carries: plain objects, arrays, numbers, bigints, strings, bytes. */
export class Table<K extends TableKey, V> {
  constructor(
    private readonly raw: BinaryTable,
    private readonly stringKeys: boolean,
  ) {}

  get name(): string {
    return this.raw.name;
  }

  /** The table underneath, bytes in and out. */
  get binary(): BinaryTable {
    return this.raw;
  }

  private k(key: K): Uint8Array {
    if (typeof key === 'string') {
      assert(this.stringKeys, `table ${this.name} has binary keys`);
      return utf8.encode(key);
    }
    assert(!this.stringKeys, `table ${this.name} has string keys`);
    return key;
  }

  private outKey(key: Uint8Array): K {
    return (this.stringKeys ? utf8d.decode(key) : key) as K;
  }

  get(key: K): V | undefined {
    const v = this.raw.get(this.k(key));
    return v === undefined ? undefined : unpack<V>(v);
  }

  put(key: K, value: V): void {
    this.raw.put(this.k(key), pack(value));
  }

  remove(key: K): boolean {
    return this.raw.remove(this.k(key));
  }

  *range(opts: RangeOptions<K> = {}): Iterable<{ key: K; value: V }> {
    const r: RangeOptions<Uint8Array> = {
      ...(opts.start === undefined ? {} : { start: this.k(opts.start) }),
      ...(opts.end === undefined ? {} : { end: this.k(opts.end) }),
      ...(opts.reverse === undefined ? {} : { reverse: opts.reverse }),
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    };
    for (const e of this.raw.range(r)) yield { key: this.outKey(e.key), value: unpack<V>(e.value) };
  }
}

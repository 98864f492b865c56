// Region images: one span of a tablet as a logical stream, for the Raft snapshot of one region.
// Key ids are tablet-local, so the image carries keys and revisions only; the importer hands out
// its own ids and rebuilds the index, the graves (through the keyspace), the revs entries and
// the count of live keys.
//
// The stream is a sequence of frames, each a u32 length then a msgpack array, cut into chunks of
// at most chunkBytesMax bytes wherever the limit falls (a frame may span chunks, a chunk hold many
// frames), so no key or value is too large for a chunk:
//
//   [0, imageVersion, start, end]                               first: the span
//   [1, key, createRev, modMain, modSub, version, lease, alive]  a key and its index fields
//   [2, main, sub, indexed, tombstone, createRev, version, lease, value]
//                                                               a revision of the last key, oldest
//                                                               first; indexed: it has a revs entry
//                                                               (watchers can replay it)
//   [3, keys, revisions]                                        last: so a cut stream is noticed
//
// Worked example, span [a, m): a put at 5 and 9, b put at 6 then deleted at 8, compacted at 6:
//   [0, 1, "a", "m"]
//   [1, "a", 5, 9, 0, 2, 0n, true]  [2, 5, 0, false, false, 5, 1, 0n, "x"]  [2, 9, 0, true, false, 5, 2, 0n, "y"]
//   [1, "b", 0, 8, 0, 0, 0n, false] [2, 6, 0, false, false, 6, 1, 0n, "z"]  [2, 8, 0, true, true, 0, 0, 0n, ""]
//   [3, 2, 4]

import { pack, unpack } from '../util/msgpack.js';
import { assert } from '../util/assert.js';
import { compareBytes, readU32, writeU32 } from '../storage/index.js';
import { inRange, keyAfter, spanRange, type KeyRange } from './key_range.js';
import type { IndexEntry } from './keyspace.js';
import { decodeHistory, encodeHistory, encodeRevValue, historyKey, revKey, type IndexRecord } from './records.js';
import type { SpanTables } from './writer.js';

export const rangeImageChunkBytesMax = 1024 * 1024;
const imageVersion = 1;
/** Index entries read per scan: the scan is closed before any chunk is handed out. */
const exportBatchKeys = 256;

const tagSpan = 0;
const tagKey = 1;
const tagRevision = 2;
const tagEnd = 3;

/** An image that cannot be installed: not an image, another span, cut short, or inconsistent. */
export class RangeImageError extends Error {
  override name = 'RangeImageError';
}

/**
 * `only`, if given, keeps the keys it accepts (hash mode moves the keys of some slots, which are
 * scattered over the span); the image still names the whole span.
 */
export function* exportSpan(t: SpanTables, start: Uint8Array, end: Uint8Array, chunkBytesMax: number, only?: (key: Uint8Array) => boolean): Generator<Uint8Array> {
  const out = new Chunker(chunkBytesMax);
  yield* out.add([tagSpan, imageVersion, start, end]);
  const r = spanRange(start, end);
  let from = r.start;
  let keys = 0;
  let revisions = 0;
  for (;;) {
    const batch: IndexEntry[] = [];
    for (const e of t.keyspace.scan(from, r.end)) {
      batch.push(e);
      if (batch.length >= exportBatchKeys) break;
    }
    for (const e of batch) {
      if (only && !only(e.key)) continue;
      const rec = e.rec;
      const history = t.view.historyOf(rec.id);
      yield* out.add([tagKey, e.key, rec.createRev, rec.modMain, rec.modSub, rec.version, rec.lease, rec.alive]);
      for (const x of history) {
        const h = decodeHistory(x.value);
        const indexed = t.revs.get(revKey(x.main, x.sub)) !== undefined;
        yield* out.add([tagRevision, x.main, x.sub, indexed, h.tombstone, h.createRev, h.version, h.lease, h.value]);
      }
      keys++;
      revisions += history.length;
    }
    if (batch.length < exportBatchKeys) break;
    from = keyAfter(batch[batch.length - 1]!.key);
  }
  yield* out.add([tagEnd, keys, revisions]);
  yield* out.flush();
}

/**
 * Inserts the image's keys into a span the caller emptied. Returns the newest revision in it
 * (0 if none).
 */
export function importSpan(t: SpanTables, start: Uint8Array, end: Uint8Array, chunks: Iterable<Uint8Array>): number {
  const reader = new FrameReader();
  const importer = new SpanImporter(t, start, end);
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) importer.take(decodeFrame(frame));
  }
  if (reader.pendingBytes > 0) throw new RangeImageError(`image ends inside a frame (${reader.pendingBytes} bytes left)`);
  return importer.finish();
}

function decodeFrame(frame: Uint8Array): unknown[] {
  let item: unknown;
  try {
    item = unpack<unknown>(frame);
  } catch (e) {
    throw new RangeImageError(`image frame does not decode: ${(e as Error).message}`);
  }
  if (!Array.isArray(item) || typeof item[0] !== 'number') throw new RangeImageError('image frame is not a tagged array');
  return item;
}

interface OpenKey {
  key: Uint8Array;
  id: number;
  rec: IndexRecord;
  /** The newest revision taken so far, and whether it is a deletion. */
  last?: { main: number; sub: number; tombstone: boolean; createRev: number; version: number; lease: bigint };
}

class SpanImporter {
  private readonly r: KeyRange;
  private begun = false;
  private ended = false;
  private open: OpenKey | undefined;
  private prevKey: Uint8Array | undefined;
  private keys = 0;
  private revisions = 0;
  private newestRev = 0;

  constructor(
    private readonly t: SpanTables,
    private readonly start: Uint8Array,
    private readonly end: Uint8Array,
  ) {
    this.r = spanRange(start, end);
  }

  take(item: unknown[]): void {
    if (this.ended) throw new RangeImageError('image continues after its end');
    if (!this.begun && item[0] !== tagSpan) throw new RangeImageError('image does not start with its span');
    switch (item[0]) {
      case tagSpan:
        return this.takeSpan(item);
      case tagKey:
        return this.takeKey(item);
      case tagRevision:
        return this.takeRevision(item);
      case tagEnd:
        return this.takeEnd(item);
      default:
        throw new RangeImageError(`image frame of unknown kind ${String(item[0])}`);
    }
  }

  finish(): number {
    if (!this.ended) throw new RangeImageError('image cut short: no end frame');
    return this.newestRev;
  }

  private takeSpan(item: unknown[]): void {
    if (this.begun) throw new RangeImageError('image names its span twice');
    if (item[1] !== imageVersion) throw new RangeImageError(`image of version ${String(item[1])}, expected ${imageVersion}`);
    if (compareBytes(bytes(item[2]), this.start) !== 0 || compareBytes(bytes(item[3]), this.end) !== 0) {
      throw new RangeImageError('image is of another span');
    }
    this.begun = true;
  }

  private takeKey(item: unknown[]): void {
    this.closeKey();
    // A copy: the lessor may keep the key, and the caller may reuse its chunks.
    const key = Uint8Array.from(bytes(item[1]));
    if (!inRange(this.r, key)) throw new RangeImageError('image holds a key outside its span');
    if (this.prevKey !== undefined && compareBytes(this.prevKey, key) >= 0) throw new RangeImageError('image keys out of order');
    const rec: IndexRecord = {
      id: this.t.state.nextId++,
      createRev: num(item[2]),
      modMain: num(item[3]),
      modSub: num(item[4]),
      version: num(item[5]),
      lease: big(item[6]),
      alive: bool(item[7]),
    };
    this.t.keyspace.insert(key, rec);
    this.open = { key, id: rec.id, rec };
    this.prevKey = key;
    this.keys++;
  }

  private takeRevision(item: unknown[]): void {
    const k = this.open;
    if (k === undefined) throw new RangeImageError('image revision before any key');
    const main = num(item[1]);
    const sub = num(item[2]);
    const indexed = bool(item[3]);
    const h = { tombstone: bool(item[4]), createRev: num(item[5]), version: num(item[6]), lease: big(item[7]), value: bytes(item[8]) };
    if (k.last !== undefined && (main < k.last.main || (main === k.last.main && sub <= k.last.sub))) {
      throw new RangeImageError('image revisions of a key out of order');
    }
    this.t.history.put(historyKey(k.id, main, sub), encodeHistory(h));
    if (indexed) {
      // Revisions are unique on a tablet (kv.ts): a taken one is a bug upstream, not a bad image.
      assert(this.t.revs.get(revKey(main, sub)) === undefined, `revision ${main}.${sub} of an imported key is already used on this tablet`);
      this.t.revs.put(revKey(main, sub), encodeRevValue(k.id, k.key));
    }
    k.last = { main, sub, tombstone: h.tombstone, createRev: h.createRev, version: h.version, lease: h.lease };
    if (main > this.newestRev) this.newestRev = main;
    this.revisions++;
  }

  private takeEnd(item: unknown[]): void {
    this.closeKey();
    if (num(item[1]) !== this.keys || num(item[2]) !== this.revisions) {
      throw new RangeImageError(`image ends claiming ${String(item[1])} keys and ${String(item[2])} revisions, held ${this.keys} and ${this.revisions}`);
    }
    this.ended = true;
  }

  /** The key's index fields must be its newest revision's, as the writer keeps them. */
  private closeKey(): void {
    const k = this.open;
    if (k === undefined) return;
    this.open = undefined;
    const last = k.last;
    if (last === undefined) throw new RangeImageError('image key without revisions');
    const r = k.rec;
    const agrees =
      r.modMain === last.main &&
      r.modSub === last.sub &&
      r.alive === !last.tombstone &&
      r.createRev === last.createRev &&
      r.version === last.version &&
      r.lease === last.lease;
    if (!agrees) throw new RangeImageError('image key whose index fields are not its newest revision');
    if (!r.alive) return;
    this.t.state.keys++;
    if (this.t.leases && r.lease !== 0n) this.t.leases.attach(r.lease, k.key);
  }
}

function num(x: unknown): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new RangeImageError(`image field is not a revision or count: ${String(x)}`);
  return x;
}

function big(x: unknown): bigint {
  if (typeof x !== 'bigint') throw new RangeImageError(`image field is not a lease: ${String(x)}`);
  return x;
}

function bool(x: unknown): boolean {
  if (typeof x !== 'boolean') throw new RangeImageError(`image field is not a flag: ${String(x)}`);
  return x;
}

function bytes(x: unknown): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new RangeImageError('image field is not bytes');
  return x;
}

/** Frames (u32 length ++ body) packed into chunks of exactly chunkBytesMax, the last one shorter. */
class Chunker {
  private buf: Uint8Array;
  private used = 0;

  constructor(private readonly chunkBytesMax: number) {
    assert(Number.isSafeInteger(chunkBytesMax) && chunkBytesMax >= 1, `chunkBytesMax must be a positive integer, not ${chunkBytesMax}`);
    this.buf = new Uint8Array(chunkBytesMax);
  }

  *add(item: unknown[]): Generator<Uint8Array> {
    const body = pack(item);
    const head = new Uint8Array(4);
    writeU32(head, 0, body.length);
    yield* this.write(head);
    yield* this.write(body);
  }

  *flush(): Generator<Uint8Array> {
    if (this.used > 0) yield this.buf.slice(0, this.used);
    this.used = 0;
  }

  private *write(bytes: Uint8Array): Generator<Uint8Array> {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(this.chunkBytesMax - this.used, bytes.length - off);
      this.buf.set(bytes.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      if (this.used === this.chunkBytesMax) {
        yield this.buf;
        this.buf = new Uint8Array(this.chunkBytesMax);
        this.used = 0;
      }
    }
  }
}

/** Reassembles frames from chunks cut anywhere. */
class FrameReader {
  private parts: Uint8Array[] = [];
  private have = 0;

  get pendingBytes(): number {
    return this.have;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.have += chunk.length;
  }

  /** The next whole frame's body, or undefined until more chunks come. */
  next(): Uint8Array | undefined {
    if (this.have < 4) return undefined;
    const length = readU32(this.copyFront(4), 0);
    if (this.have < 4 + length) return undefined;
    return this.take(4 + length).subarray(4);
  }

  private copyFront(n: number): Uint8Array {
    const first = this.parts[0]!;
    if (first.length >= n) return first;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      const k = Math.min(p.length, n - o);
      out.set(p.subarray(0, k), o);
      o += k;
      if (o === n) break;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    const first = this.parts[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
    } else {
      out = this.copyFront(n);
    }
    let left = n;
    while (left > 0) {
      const p = this.parts[0]!;
      if (p.length <= left) {
        this.parts.shift();
        left -= p.length;
      } else {
        this.parts[0] = p.subarray(left);
        left = 0;
      }
    }
    this.have -= n;
    return out;
  }
}

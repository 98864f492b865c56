// An image of some tables: every key and value, for a Raft snapshot of a state machine that lives
// in those tables. capture() reads the last committed state (one consistent LMDB read snapshot,
// as everything read in one synchronous turn); install() replaces the tables' contents and must
// run inside engine.write(), together with the Raft state that says which index the image is at.
//
// Layout (msgpack): [version, [[tableName, [key0, value0, key1, value1, ...]], ...]].
// The image holds the whole state in memory on both sides: the limit is the transport's frame
// size (see src/transport/types.ts, frameBytesMax).

import { pack, unpack } from './msgpack.js';
import type { BinaryTable } from './table.js';

const imageVersion = 1;

type Image = [version: number, tables: Array<[name: string, kvs: Uint8Array[]]>];

export class ImageError extends Error {
  override name = 'ImageError';
}

export function captureTables(tables: readonly BinaryTable[]): Uint8Array {
  const out: Image = [imageVersion, []];
  for (const t of tables) {
    const kvs: Uint8Array[] = [];
    for (const { key, value } of t.range()) kvs.push(key, value);
    out[1].push([t.name, kvs]);
  }
  return pack(out);
}

/**
 * Replaces every table's contents with the image's. The image must name exactly these tables
 * (an image of another layout is refused before anything is written). Inside engine.write().
 */
export function installTables(tables: readonly BinaryTable[], image: Uint8Array): { keys: number } {
  const decoded = unpack<Image>(image);
  if (!Array.isArray(decoded) || decoded[0] !== imageVersion || !Array.isArray(decoded[1])) {
    throw new ImageError(`not a table image of version ${imageVersion}`);
  }
  const byName = new Map(decoded[1].map(([name, kvs]) => [name, kvs]));
  const want = tables.map((t) => t.name).sort();
  const got = [...byName.keys()].sort();
  if (want.join('\0') !== got.join('\0')) {
    throw new ImageError(`image holds tables [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  let keys = 0;
  for (const t of tables) {
    const kvs = byName.get(t.name)!;
    if (kvs.length % 2 !== 0) throw new ImageError(`image of table ${t.name} has a key without a value`);
    t.removeRange(undefined, undefined);
    for (let i = 0; i < kvs.length; i += 2) t.put(kvs[i]!, kvs[i + 1]!);
    keys += kvs.length / 2;
  }
  return { keys };
}

// The binary layouts of the MVCC tables (all integers big-endian, so keys sort numerically).
//
//   index    slot (see keyspace.ts)        -> IndexRecord: the key's latest state and its id
//   history  id(8) ++ main(8) ++ sub(4)    -> HistoryRecord: one revision of one key
//   revs     main(8) ++ sub(4)             -> id(8) ++ user key: what each revision touched
//
// A key's id is handed out when the key first appears in the index and stays until compaction
// removes the key's last tombstone; history is keyed by id so that user keys of any length
// never appear in a history key. Ids come from a counter in the store's state, so every member
// applying the same writes hands out the same ids. NB: not so for the tablets of the sharded
// modes, where one store holds whichever regions a lane hosts and imported regions get fresh
// ids: there, nothing replicated or hashed may depend on ids (hashRange, range_image.ts).

import { readU32, readU64, writeU32, writeU64 } from '../storage/index.js';

export interface IndexRecord {
  id: number;
  /** The revision of the key's creation in its current life; 0 when deleted. */
  createRev: number;
  modMain: number;
  modSub: number;
  /** 0 when deleted. */
  version: number;
  lease: bigint;
  alive: boolean;
  /** The full user key, kept only for keys too long to sit in their slot. */
  fullKey?: Uint8Array;
}

export interface HistoryRecord {
  tombstone: boolean;
  createRev: number;
  version: number;
  lease: bigint;
  value: Uint8Array;
}

const aliveFlag = 1;
const longFlag = 2;
const indexHeaderBytes = 1 + 8 + 8 + 8 + 4 + 8 + 8;

export function encodeIndex(r: IndexRecord): Uint8Array {
  const extra = r.fullKey?.length ?? 0;
  const b = new Uint8Array(indexHeaderBytes + extra);
  const dv = new DataView(b.buffer);
  b[0] = (r.alive ? aliveFlag : 0) | (r.fullKey ? longFlag : 0);
  writeU64(b, 1, r.id);
  writeU64(b, 9, r.createRev);
  writeU64(b, 17, r.modMain);
  writeU32(b, 25, r.modSub);
  writeU64(b, 29, r.version);
  dv.setBigInt64(37, r.lease);
  if (r.fullKey) b.set(r.fullKey, indexHeaderBytes);
  return b;
}

export function decodeIndex(b: Uint8Array): IndexRecord {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r: IndexRecord = {
    id: readU64(b, 1),
    createRev: readU64(b, 9),
    modMain: readU64(b, 17),
    modSub: readU32(b, 25),
    version: readU64(b, 29),
    lease: dv.getBigInt64(37),
    alive: (b[0]! & aliveFlag) !== 0,
  };
  if ((b[0]! & longFlag) !== 0) r.fullKey = b.subarray(indexHeaderBytes);
  return r;
}

/** Whether the encoded index record is alive, without decoding the rest. */
export function indexAlive(b: Uint8Array): boolean {
  return (b[0]! & aliveFlag) !== 0;
}

const historyHeaderBytes = 1 + 8 + 8 + 8;

export function encodeHistory(r: HistoryRecord): Uint8Array {
  const b = new Uint8Array(historyHeaderBytes + r.value.length);
  const dv = new DataView(b.buffer);
  b[0] = r.tombstone ? 1 : 0;
  writeU64(b, 1, r.createRev);
  writeU64(b, 9, r.version);
  dv.setBigInt64(17, r.lease);
  b.set(r.value, historyHeaderBytes);
  return b;
}

export function decodeHistory(b: Uint8Array): HistoryRecord {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    tombstone: b[0] === 1,
    createRev: readU64(b, 1),
    version: readU64(b, 9),
    lease: dv.getBigInt64(17),
    value: b.subarray(historyHeaderBytes),
  };
}

export const subMax = 0xffffffff;

export function historyKey(id: number, main: number, sub: number): Uint8Array {
  const k = new Uint8Array(20);
  writeU64(k, 0, id);
  writeU64(k, 8, main);
  writeU32(k, 16, sub);
  return k;
}

export function parseHistoryKey(k: Uint8Array): { id: number; main: number; sub: number } {
  return { id: readU64(k, 0), main: readU64(k, 8), sub: readU32(k, 16) };
}

export function revKey(main: number, sub: number): Uint8Array {
  const k = new Uint8Array(12);
  writeU64(k, 0, main);
  writeU32(k, 8, sub);
  return k;
}

export function parseRevKey(k: Uint8Array): { main: number; sub: number } {
  return { main: readU64(k, 0), sub: readU32(k, 8) };
}

export function encodeRevValue(id: number, key: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + key.length);
  writeU64(b, 0, id);
  b.set(key, 8);
  return b;
}

export function decodeRevValue(b: Uint8Array): { id: number; key: Uint8Array } {
  return { id: readU64(b, 0), key: b.subarray(8) };
}

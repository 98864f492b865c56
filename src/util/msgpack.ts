// The msgpackr adapter: the one module that imports msgpackr. Binary encoding for Raft entry
// payloads, transport frames and stored records.
//
// Types survive the round trip: numbers stay numbers (integers above 32 bits travel as
// float64, exact below 2^53), bigint travels as int64 and comes back as bigint (lease and
// member IDs), Uint8Array comes back as Uint8Array (a Buffer, which is one).

import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpack<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}

// The storage engine's msgpackr adapter: the only module under src/storage importing msgpackr.
// Plain maps (no record extension), so a value decodes the same in any process and version:
// numbers stay numbers, bigints stay bigints, Uint8Arrays come back as Uint8Arrays (Buffers).

import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: false });

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpack<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}

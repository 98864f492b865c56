// Hash mode's key → slot mapping, as Redis Cluster defines it: CRC16 (XMODEM: polynomial 0x1021,
// initial value 0, no reflection, no final xor) of the key, modulo 16,384 slots. A key holding a
// non-empty `{tag}` hashes only the tag, so keys sharing a tag share a slot (and so a group, and
// single-group transactions stay possible):
//
//   slotOf("user:{42}:name") === slotOf("user:{42}:mail") === slotOf("42")
//   "{}x" hashes whole (empty tag); "a{b}{c}" hashes "b" (the first '{' and the first '}' after it).
//
// Keys are bytes (etcd keys need not be UTF-8); the table-driven CRC handles any byte.

export const slotCount = 16_384;

const table = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  table[i] = crc;
}

/** CRC16/XMODEM of bytes [start, end) of `data`. */
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ data[i]!) & 0xff]!;
  return crc;
}

const open = 0x7b; // '{'
const close = 0x7d; // '}'

/** The bytes [start, end) of `key` that pick its slot: the first non-empty `{tag}`, else all of it. */
export function hashSpan(key: Uint8Array): { start: number; end: number } {
  const s = key.indexOf(open);
  if (s >= 0) {
    const e = key.indexOf(close, s + 1);
    if (e > s + 1) return { start: s + 1, end: e };
  }
  return { start: 0, end: key.length };
}

/** The slot of a key, in [0, slotCount). */
export function slotOf(key: Uint8Array): number {
  const { start, end } = hashSpan(key);
  return crc16(key, start, end) & (slotCount - 1);
}

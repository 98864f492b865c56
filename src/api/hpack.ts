// HPACK (RFC 7541) for the HTTP/2 authority filter: a decoder that follows one peer's header
// compression across a connection (static and dynamic tables, size updates and eviction,
// integers, plain and Huffman strings), and a trivial encoder that never touches the dynamic
// table, so whatever reads its output keeps an empty table.
//
//   const decoder = new HpackDecoder();
//   const fields = decoder.decode(block);            // throws HpackError on malformed input
//   const plain = encodeHeaderBlock(fields);         // literal names and values, no indexing
//
// Names and values are latin1 strings: one character per octet, so any octet sequence survives
// a decode and re-encode unchanged.

import { huffmanCodes, staticTable } from './hpack-tables.js';

export interface HeaderField {
  name: string;
  value: string;
  /** Sent as "literal never indexed": intermediaries must keep it that way. */
  neverIndexed?: boolean;
}

export class HpackError extends Error {
  override name = 'HpackError';
}

/** RFC 7541 §4.1: an entry's size is its name and value octets plus 32. */
const entryOverheadBytes = 32;
/** HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE. */
export const defaultTableBytes = 4096;
/** Integers beyond this are nonsense for any field this decoder reads. */
const integerMax = 2 ** 31 - 1;

export interface HpackDecoderOptions {
  /**
   * The largest dynamic table the peer may ask for with a size update: the
   * SETTINGS_HEADER_TABLE_SIZE the decoding side advertised (4096 unless changed).
   */
  tableBytesMax?: number;
  /** Largest decoded header list (RFC 7540 §6.5.2 sizes: octets + 32 a field), against HPACK bombs. */
  headerListBytesMax?: number;
}

export class HpackDecoder {
  readonly tableBytesMax: number;
  readonly headerListBytesMax: number;
  /** Oldest first: dynamic index 1 is the last element. */
  private entries: HeaderField[] = [];
  private size = 0;
  private capacity: number;

  constructor(opts: HpackDecoderOptions = {}) {
    this.tableBytesMax = opts.tableBytesMax ?? defaultTableBytes;
    this.headerListBytesMax = opts.headerListBytesMax ?? 1024 * 1024;
    this.capacity = Math.min(defaultTableBytes, this.tableBytesMax);
  }

  /** Bytes in the dynamic table (RFC 7541 §4.1 sizes). */
  get dynamicTableSize(): number {
    return this.size;
  }

  get dynamicTableLength(): number {
    return this.entries.length;
  }

  /** The current maximum set by the peer's size updates. */
  get dynamicTableCapacity(): number {
    return this.capacity;
  }

  /** Dynamic table entry `i` (1 = newest), as index 61 + i addresses it. */
  dynamicEntry(i: number): HeaderField | undefined {
    return this.entries[this.entries.length - i];
  }

  /** Decodes one complete header block, updating the dynamic table. */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    let listBytes = 0;
    const pos = { at: 0 };
    while (pos.at < block.length) {
      const b = block[pos.at];
      let field: HeaderField;
      if (b & 0x80) {
        // §6.1 indexed header field
        field = this.lookup(readInteger(block, pos, 7));
        field = { name: field.name, value: field.value };
      } else if (b & 0x40) {
        // §6.2.1 literal with incremental indexing
        field = this.readLiteral(block, pos, 6);
        this.add(field);
      } else if (b & 0x20) {
        // §6.3 dynamic table size update: only before the first field of a block (§4.2)
        if (fields.length > 0) throw new HpackError('dynamic table size update after a header field');
        const size = readInteger(block, pos, 5);
        if (size > this.tableBytesMax) throw new HpackError(`dynamic table size update to ${size} over ${this.tableBytesMax}`);
        this.capacity = size;
        this.evict(0);
        continue;
      } else {
        // §6.2.2 literal without indexing (0000), §6.2.3 never indexed (0001)
        field = this.readLiteral(block, pos, 4);
        if (b & 0x10) field.neverIndexed = true;
      }
      listBytes += field.name.length + field.value.length + entryOverheadBytes;
      if (listBytes > this.headerListBytesMax) throw new HpackError(`header list over ${this.headerListBytesMax} bytes`);
      fields.push(field);
    }
    return fields;
  }

  private lookup(index: number): HeaderField {
    if (index === 0) throw new HpackError('index 0');
    if (index <= staticTable.length) {
      const [name, value] = staticTable[index - 1];
      return { name, value };
    }
    const entry = this.dynamicEntry(index - staticTable.length);
    if (!entry) throw new HpackError(`index ${index} beyond the tables`);
    return entry;
  }

  private readLiteral(block: Uint8Array, pos: { at: number }, prefixBits: number): HeaderField {
    const nameIndex = readInteger(block, pos, prefixBits);
    const name = nameIndex === 0 ? readString(block, pos) : this.lookup(nameIndex).name;
    return { name, value: readString(block, pos) };
  }

  /** §4.4: evicts until the new entry fits, then adds it (an entry larger than the table empties it). */
  private add(field: HeaderField): void {
    const bytes = field.name.length + field.value.length + entryOverheadBytes;
    this.evict(bytes);
    if (bytes > this.capacity) return;
    this.entries.push({ name: field.name, value: field.value });
    this.size += bytes;
  }

  /** Evicts oldest entries until `room` more bytes fit (or the table is empty). */
  private evict(room: number): void {
    let drop = 0;
    while (drop < this.entries.length && this.size + room > this.capacity) {
      const e = this.entries[drop++];
      this.size -= e.name.length + e.value.length + entryOverheadBytes;
    }
    if (drop > 0) this.entries.splice(0, drop);
  }
}

/** §5.1: an integer with an N-bit prefix starting at pos.at; advances pos. */
export function readInteger(buf: Uint8Array, pos: { at: number }, prefixBits: number): number {
  if (pos.at >= buf.length) throw new HpackError('truncated integer');
  const mask = (1 << prefixBits) - 1;
  let value = buf[pos.at++] & mask;
  if (value < mask) return value;
  // 31 bits take at most 5 continuation octets.
  for (let scale = 1; scale <= 128 ** 4; scale *= 128) {
    if (pos.at >= buf.length) throw new HpackError('truncated integer');
    const b = buf[pos.at++];
    value += (b & 0x7f) * scale;
    if (value > integerMax) throw new HpackError('integer overflow');
    if ((b & 0x80) === 0) return value;
  }
  throw new HpackError('integer overflow');
}

/** §5.2: a string literal (H bit, 7-bit prefix length, octets) starting at pos.at; advances pos. */
export function readString(buf: Uint8Array, pos: { at: number }): string {
  if (pos.at >= buf.length) throw new HpackError('truncated string');
  const huffman = (buf[pos.at] & 0x80) !== 0;
  const length = readInteger(buf, pos, 7);
  const end = pos.at + length;
  if (end > buf.length) throw new HpackError('string runs past the header block');
  const start = pos.at;
  pos.at = end;
  return huffman ? huffmanDecode(buf.subarray(start, end)) : Buffer.from(buf.buffer, buf.byteOffset + start, length).toString('latin1');
}

// The Huffman code as a binary tree: node 0 is the root; a child is either another node (>= 0)
// or a symbol, stored as -1 - sym. The code is complete, so every branch leads somewhere.
const { zero, one } = (() => {
  const zero: number[] = [0];
  const one: number[] = [0];
  let nodes = 1;
  huffmanCodes.forEach(([code, bits], sym) => {
    let node = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const side = (code >>> i) & 1 ? one : zero;
      if (i === 0) {
        side[node] = -1 - sym;
      } else {
        if (side[node] === 0) {
          side[node] = nodes;
          zero.push(0);
          one.push(0);
          nodes++;
        }
        node = side[node];
      }
    }
  });
  return { zero: Int32Array.from(zero), one: Int32Array.from(one) };
})();

const eosSymbol = 256;

/** §5.2 / Appendix B: decodes Huffman-coded octets; padding must be < 8 bits of EOS's leading ones. */
export function huffmanDecode(data: Uint8Array): string {
  // The shortest code is 5 bits, so n octets carry at most 8n/5 symbols.
  const out = Buffer.allocUnsafe(Math.ceil((data.length * 8) / 5));
  let n = 0;
  let node = 0;
  let bitsSinceSymbol = 0;
  let onesOnly = true;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    for (let bit = 7; bit >= 0; bit--) {
      const isOne = (byte >>> bit) & 1;
      const next = isOne ? one[node] : zero[node];
      bitsSinceSymbol++;
      if (!isOne) onesOnly = false;
      if (next < 0) {
        const sym = -1 - next;
        if (sym === eosSymbol) throw new HpackError('EOS in a Huffman string');
        out[n++] = sym;
        node = 0;
        bitsSinceSymbol = 0;
        onesOnly = true;
      } else {
        node = next;
      }
    }
  }
  if (bitsSinceSymbol > 7) throw new HpackError('Huffman padding longer than 7 bits');
  if (!onesOnly) throw new HpackError('Huffman padding is not a prefix of EOS');
  return out.toString('latin1', 0, n);
}

/** §5.1 integer with an N-bit prefix, the prefix's other bits taken from `flags`. */
function pushInteger(out: number[], flags: number, prefixBits: number, value: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(flags | value);
    return;
  }
  out.push(flags | mask);
  value -= mask;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/**
 * Encodes fields as literals without indexing (never indexed where the field says so), with
 * literal names and no Huffman: the output leaves every decoder's dynamic table as it was.
 */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  // Per field: a type octet and two length integers of at most 1 + 5 octets each.
  let total = 0;
  for (const f of fields) total += 13 + f.name.length + f.value.length;
  const out = Buffer.allocUnsafe(total);
  const bytes: number[] = [];
  let at = 0;
  const putString = (s: string) => {
    pushInteger(bytes, 0x00, 7, s.length);
    for (const b of bytes) out[at++] = b;
    bytes.length = 0;
    at += out.write(s, at, 'latin1');
  };
  for (const f of fields) {
    out[at++] = f.neverIndexed ? 0x10 : 0x00;
    putString(f.name);
    putString(f.value);
  }
  return out.subarray(0, at);
}

// The HPACK decoder against RFC 7541's own examples (Appendix C), its error cases, and the
// literal-only encoder the authority filter re-encodes with.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHeaderBlock, HpackDecoder, HpackError, huffmanDecode, readInteger, type HeaderField } from '../../src/api/hpack.js';
import { huffmanCodes, staticTable } from '../../src/api/hpack-tables.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const fields = (...pairs: [string, string][]): HeaderField[] => pairs.map(([name, value]) => ({ name, value }));

function table(d: HpackDecoder): [string, string, number][] {
  const out: [string, string, number][] = [];
  for (let i = 1; i <= d.dynamicTableLength; i++) {
    const e = d.dynamicEntry(i)!;
    out.push([e.name, e.value, e.name.length + e.value.length + 32]);
  }
  return out;
}

describe('HPACK tables', () => {
  it('has the 61 static entries of Appendix A', () => {
    assert.equal(staticTable.length, 61);
    assert.deepEqual(staticTable[0], [':authority', '']);
    assert.deepEqual(staticTable[15], ['accept-encoding', 'gzip, deflate']);
    assert.deepEqual(staticTable[60], ['www-authenticate', '']);
  });

  it('has a complete canonical Huffman code for 256 octets and EOS', () => {
    // Appendix B's code is canonical: sorted by (length, symbol), each code is the previous
    // plus one, shifted to its length. Any mistyped entry breaks the chain or the Kraft sum.
    assert.equal(huffmanCodes.length, 257);
    const order = huffmanCodes.map(([code, bits], sym) => ({ code, bits, sym })).sort((a, b) => a.bits - b.bits || a.sym - b.sym);
    let expected = 0;
    let kraft = 0;
    order.forEach((e, i) => {
      if (i > 0) expected = (expected + 1) * 2 ** (e.bits - order[i - 1].bits);
      assert.equal(e.code, expected, `symbol ${e.sym}`);
      kraft += 2 ** -e.bits;
    });
    assert.equal(kraft, 1);
    assert.deepEqual(huffmanCodes[256], [0x3fffffff, 30]);
  });
});

describe('HPACK primitives (RFC 7541 C.1, C.2)', () => {
  it('decodes C.1 integers', () => {
    assert.equal(readInteger(hex('0a'), { at: 0 }, 5), 10);
    const pos = { at: 0 };
    assert.equal(readInteger(hex('1f9a0a'), pos, 5), 1337);
    assert.equal(pos.at, 3);
    assert.equal(readInteger(hex('2a'), { at: 0 }, 8), 42);
  });

  it('decodes C.2 literal and indexed fields', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')), fields(['custom-key', 'custom-header']));
    assert.deepEqual(table(d), [['custom-key', 'custom-header', 55]]);
    const e = new HpackDecoder();
    assert.deepEqual(e.decode(hex('040c 2f73 616d 706c 652f 7061 7468')), fields([':path', '/sample/path']));
    assert.equal(e.dynamicTableLength, 0);
    assert.deepEqual(e.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74')), [{ name: 'password', value: 'secret', neverIndexed: true }]);
    assert.equal(e.dynamicTableLength, 0);
    assert.deepEqual(e.decode(hex('82')), fields([':method', 'GET']));
  });

  it('decodes the Huffman strings of C.4 and C.6', () => {
    const cases: [string, string][] = [
      ['f1e3c2e5f23a6ba0ab90f4ff', 'www.example.com'],
      ['a8eb10649cbf', 'no-cache'],
      ['25a849e95ba97d7f', 'custom-key'],
      ['25a849e95bb8e8b4bf', 'custom-value'],
      ['6402', '302'],
      ['aec3771a4b', 'private'],
      ['d07abe941054d444a8200595040b8166e082a62d1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['9d29ad171863c78f0b97c8e9ae82ae43d3', 'https://www.example.com'],
      ['640eff', '307'],
      ['9bd9ab', 'gzip'],
    ];
    for (const [h, text] of cases) assert.equal(huffmanDecode(hex(h)), text);
  });

  it('decodes every octet through the Huffman code', () => {
    // Encode all 256 octets by hand from the table, pad with ones, decode.
    let bits = '';
    for (let sym = 0; sym < 256; sym++) bits += huffmanCodes[sym][0].toString(2).padStart(huffmanCodes[sym][1], '0');
    bits += '1'.repeat((8 - (bits.length % 8)) % 8);
    const bytes = Buffer.alloc(bits.length / 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
    const decoded = huffmanDecode(bytes);
    assert.deepEqual(Buffer.from(decoded, 'latin1'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  });

  it('rejects bad Huffman padding and EOS', () => {
    // 'a' is 00011: padded with 111 is fine, with 000 or with a whole extra 0xff is not.
    assert.equal(huffmanDecode(hex('1f')), 'a');
    assert.throws(() => huffmanDecode(hex('18')), HpackError);
    assert.throws(() => huffmanDecode(hex('1fff')), HpackError);
    // EOS itself (30 ones) followed by two ones of padding.
    assert.throws(() => huffmanDecode(hex('ffffffff')), HpackError);
  });
});

describe('HPACK decoder on RFC 7541 Appendix C', () => {
  it('C.3: requests without Huffman, one dynamic table', () => {
    const d = new HpackDecoder();
    assert.deepEqual(
      d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')),
      fields([':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']),
    );
    assert.deepEqual(table(d), [[':authority', 'www.example.com', 57]]);
    assert.equal(d.dynamicTableSize, 57);

    assert.deepEqual(
      d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')),
      fields([':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']),
    );
    assert.deepEqual(table(d), [['cache-control', 'no-cache', 53], [':authority', 'www.example.com', 57]]);
    assert.equal(d.dynamicTableSize, 110);

    assert.deepEqual(
      d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')),
      fields([':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']),
    );
    assert.deepEqual(table(d), [
      ['custom-key', 'custom-value', 54],
      ['cache-control', 'no-cache', 53],
      [':authority', 'www.example.com', 57],
    ]);
    assert.equal(d.dynamicTableSize, 164);
  });

  it('C.4: the same requests with Huffman', () => {
    const d = new HpackDecoder();
    assert.deepEqual(
      d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')),
      fields([':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']),
    );
    assert.equal(d.dynamicTableSize, 57);
    assert.deepEqual(
      d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')),
      fields([':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']),
    );
    assert.equal(d.dynamicTableSize, 110);
    assert.deepEqual(
      d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')),
      fields([':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']),
    );
    assert.deepEqual(table(d), [
      ['custom-key', 'custom-value', 54],
      ['cache-control', 'no-cache', 53],
      [':authority', 'www.example.com', 57],
    ]);
    assert.equal(d.dynamicTableSize, 164);
  });

  const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
  const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
  const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
  const responses = [
    fields([':status', '302'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']),
    fields([':status', '307'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']),
    fields(
      [':status', '200'], ['cache-control', 'private'], ['date', date2], ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'], ['set-cookie', cookie],
    ),
  ];
  const tables: [string, string, number][][] = [
    [
      ['location', 'https://www.example.com', 63],
      ['date', date1, 65],
      ['cache-control', 'private', 52],
      [':status', '302', 42],
    ],
    [
      [':status', '307', 42],
      ['location', 'https://www.example.com', 63],
      ['date', date1, 65],
      ['cache-control', 'private', 52],
    ],
    [
      ['set-cookie', cookie, 98],
      ['content-encoding', 'gzip', 52],
      ['date', date2, 65],
    ],
  ];
  const sizes = [222, 222, 215];

  function checkResponses(blocks: string[]) {
    const d = new HpackDecoder({ tableBytesMax: 256 });
    blocks.forEach((b, i) => {
      assert.deepEqual(d.decode(hex(b)), responses[i], `response ${i + 1}`);
      assert.deepEqual(table(d), tables[i], `table after response ${i + 1}`);
      assert.equal(d.dynamicTableSize, sizes[i]);
    });
  }

  it('C.5: responses without Huffman, evicting from a 256-byte table', () => {
    checkResponses([
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
       2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
       6c65 2e63 6f6d`,
      '4803 3330 37c1 c0bf',
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
       54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
       5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
       3d31`,
    ]);
  });

  it('C.6: responses with Huffman, evicting from a 256-byte table', () => {
    checkResponses([
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
       2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      '4883 640e ffc1 c0bf',
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
       77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
       9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    ]);
  });
});

describe('HPACK decoder limits and errors', () => {
  it('applies size updates, evicting what no longer fits', () => {
    const d = new HpackDecoder();
    d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'));
    d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'));
    assert.equal(d.dynamicTableLength, 2);
    // Size update to 60: only the newer entry (53 bytes) stays.
    assert.deepEqual(d.decode(hex('3f1d be')), fields(['cache-control', 'no-cache']));
    assert.equal(d.dynamicTableCapacity, 60);
    assert.deepEqual(table(d), [['cache-control', 'no-cache', 53]]);
    // Size update to 0 empties it; an entry larger than the table is not kept.
    d.decode(hex('20 400a 6375 7374 6f6d 2d6b 6579 0163'));
    assert.equal(d.dynamicTableLength, 0);
    assert.equal(d.dynamicTableSize, 0);
    // Back up to the advertised 4096.
    d.decode(hex('3fe11f'));
    assert.equal(d.dynamicTableCapacity, 4096);
  });

  it('rejects malformed blocks', () => {
    const bad: [string, string][] = [
      ['80', 'index 0'],
      ['be', 'dynamic index with an empty table'],
      ['ffffffffff0f', 'integer overflow'],
      ['ff8080808080808001', 'integer with too many continuation octets'],
      ['ff', 'truncated integer'],
      ['400a6375', 'string past the end'],
      ['3fe21f', 'size update over the advertised 4096'],
      ['82 20', 'size update after a field'],
      ['4081ff0161', 'Huffman name of padding only, too long'],
      ['00', 'literal without its name'],
    ];
    for (const [b, why] of bad) assert.throws(() => new HpackDecoder().decode(hex(b)), HpackError, why);
  });

  it('caps the decoded header list against tiny blocks expanding through the table', () => {
    const d = new HpackDecoder({ headerListBytesMax: 64 * 1024 });
    // One 4000-byte entry, then 20 one-byte references to it: 80 KB from 20 bytes.
    d.decode(Buffer.concat([hex('4001 78 7fa11e'), Buffer.alloc(4000, 'v')]));
    assert.equal(d.dynamicTableLength, 1);
    assert.throws(() => d.decode(Buffer.alloc(20, 0xbe)), /header list over/);
  });
});

describe('literal-only HPACK encoder', () => {
  it('writes C.2.3 exactly: never indexed, literal name, no Huffman', () => {
    assert.deepEqual(encodeHeaderBlock([{ name: 'password', value: 'secret', neverIndexed: true }]), hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
    assert.deepEqual(encodeHeaderBlock(fields(['custom-key', 'custom-header'])), hex('000a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
  });

  it('round-trips through the decoder without touching its table, long values and any octet included', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
    const list: HeaderField[] = [
      ...fields([':method', 'POST'], [':authority', '127.0.0.1:2379'], ['x-long', 'y'.repeat(20000)], ['x-bytes', all], ['x-empty', '']),
      { name: 'authorization', value: 'token', neverIndexed: true },
    ];
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(encodeHeaderBlock(list)), list);
    assert.equal(d.dynamicTableLength, 0);
  });
});

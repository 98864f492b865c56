// Standard base64 decoding as strict as Go's base64.StdEncoding, which etcd's gateway uses for
// bytes fields: padding required, no URL alphabet. Errors name the byte offset as Go does
// ("illegal base64 data at input byte 4"), since clients see that text.

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const valueOf = new Int16Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) valueOf[alphabet.charCodeAt(i)] = i;

export class Base64Error extends Error {
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

const isNewline = (c: number) => c === 0x0a || c === 0x0d;

/** Well-formed padded base64 with no newlines: what clients send, decoded natively. */
const canonical = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes `s` or throws Base64Error. Newlines are skipped, as Go does. */
export function decodeBase64Std(s: string): Buffer {
  if (s.length % 4 === 0 && canonical.test(s)) return Buffer.from(s, 'base64');
  return decodeSlowly(s);
}

/** Every other input: newlines, errors with Go's byte offsets. */
function decodeSlowly(s: string): Buffer {
  const out = Buffer.allocUnsafe(Math.floor((s.length * 3) / 4) + 3);
  let n = 0;
  let si = 0;
  for (;;) {
    const quantum = [0, 0, 0, 0];
    let j = 0;
    let padded = false;
    for (; j < 4; j++) {
      while (si < s.length && isNewline(s.charCodeAt(si))) si++;
      if (si === s.length) {
        if (j === 0) return out.subarray(0, n);
        throw new Base64Error(si - j);
      }
      const c = s.charCodeAt(si++);
      if (c === 0x3d /* = */) {
        if (j < 2) throw new Base64Error(si - 1);
        if (j === 2) {
          while (si < s.length && isNewline(s.charCodeAt(si))) si++;
          if (si === s.length) throw new Base64Error(s.length);
          if (s.charCodeAt(si) !== 0x3d) throw new Base64Error(si - 1);
          si++;
        }
        while (si < s.length && isNewline(s.charCodeAt(si))) si++;
        if (si < s.length) throw new Base64Error(si);
        padded = true;
        break;
      }
      const v = c < 128 ? valueOf[c] : -1;
      if (v < 0) throw new Base64Error(si - 1);
      quantum[j] = v;
    }
    const bits = (quantum[0] << 18) | (quantum[1] << 12) | (quantum[2] << 6) | quantum[3];
    const bytes = padded ? j - 1 : 3;
    if (bytes >= 1) out[n++] = (bits >> 16) & 0xff;
    if (bytes >= 2) out[n++] = (bits >> 8) & 0xff;
    if (bytes >= 3) out[n++] = bits & 0xff;
    if (padded) return out.subarray(0, n);
  }
}

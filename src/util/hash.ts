// FNV-1a over 64 bits, kept in two 32-bit halves so it needs no bigint on hot paths.
// Used for trace hashes and log fingerprints, not for anything security-related.

export class Fnv64 {
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  byte(b: number): this {
    this.lo ^= b & 0xff;
    // Multiply (hi, lo) by the 64-bit FNV prime 0x00000100_000001b3.
    const lo = this.lo;
    const hi = this.hi;
    const l16 = lo & 0xffff;
    const l16h = lo >>> 16;
    const pLo = 0x1b3;
    let r0 = l16 * pLo;
    let r1 = l16h * pLo + (r0 >>> 16);
    r0 &= 0xffff;
    const carry = r1 >>> 16;
    r1 &= 0xffff;
    const newHi = (Math.imul(hi, pLo) + carry + (lo << 8)) >>> 0;
    this.lo = ((r1 << 16) | r0) >>> 0;
    this.hi = newHi;
    return this;
  }

  u32(x: number): this {
    this.byte(x);
    this.byte(x >>> 8);
    this.byte(x >>> 16);
    this.byte(x >>> 24);
    return this;
  }

  /** A non-negative safe integer (up to 2^53) folded in as two 32-bit words. */
  num(x: number): this {
    this.u32(x >>> 0);
    this.u32(Math.floor(x / 0x100000000) >>> 0);
    return this;
  }

  bytes(b: Uint8Array): this {
    for (let i = 0; i < b.length; i++) this.byte(b[i]!);
    return this;
  }

  str(s: string): this {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.byte(c);
      this.byte(c >>> 8);
    }
    return this;
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

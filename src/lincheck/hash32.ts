// FNV-1a over 32 bits, for hashing model states into the checker's cache. 32 bits is enough:
// the cache compares states with `equal` on a hash match, so a collision costs time, not answers.

export class Fnv32 {
  private h = 0x811c9dc5;

  u32(x: number): this {
    for (let i = 0; i < 4; i++) {
      this.h = Math.imul(this.h ^ ((x >>> (8 * i)) & 0xff), 0x01000193);
    }
    return this;
  }

  str(s: string): this {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.h = Math.imul(this.h ^ (c & 0xff), 0x01000193);
      this.h = Math.imul(this.h ^ (c >>> 8), 0x01000193);
    }
    return this;
  }

  value(): number {
    return this.h >>> 0;
  }
}

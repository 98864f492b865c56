// A small seeded PRNG (xoshiro128**, seeded through splitmix32). Randomness in Flotilla is
// always a parameter: the simulator passes one of these with a seed it prints, a server passes
// one seeded from the OS. Same seed, same sequence, on every platform.

export interface Rand {
  /** A uniformly distributed integer in [0, n). n must be a positive safe integer. */
  int(n: number): number;
  /** A uniformly distributed float in [0, 1). */
  float(): number;
}

export class Prng implements Rand {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** 32 random bits as an unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    return result;
  }

  float(): number {
    // 53 bits of randomness from two draws.
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  int(n: number): number {
    if (n <= 0 || !Number.isSafeInteger(n)) throw new RangeError(`Prng.int: bad bound ${n}`);
    if (n <= 0x100000000) {
      // Rejection sampling keeps the distribution exactly uniform.
      const limit = Math.floor(0x100000000 / n) * n;
      for (;;) {
        const x = this.u32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.float() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** A fresh, independent generator derived from this one. */
  fork(): Prng {
    return new Prng(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

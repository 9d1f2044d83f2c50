/**
 * Seeded randomness for the scheduling core (sfc32). The core never calls `Math.random`: the same
 * state, evaluation and seed always give the same plan, so plans can be asserted in tests and
 * reproduced from logs.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix-style expansion of one 32-bit seed into four words of state
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // state words are kept as signed 32-bit integers (same bits): small integers, never boxed
    this.a = next() | 0;
    this.b = next() | 0;
    this.c = next() | 0;
    this.d = next() | 0;
    for (let i = 0; i < 12; i++) this.next32();
  }

  /**
   * The next 32 random bits as a signed 32-bit integer. Signed on purpose, here and in the state
   * words: an unsigned value of 2^31 or more is not a small integer, so storing it in a field or
   * returning it from a call V8 does not inline boxes it in a fresh heap number (tens of MB per
   * benchmark run, from the shuffle and the ids). The arithmetic is sfc32's, modulo 2^32.
   */
  private next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    return this.next32() >>> 0;
  }

  /** An integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(((this.next32() >>> 0) / 4294967296) * bound);
  }

  /** Fisher–Yates shuffle in place of the first `length` entries. */
  shuffle(items: Int32Array, length = items.length): void {
    for (let i = length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
  }

  /** A random RFC 4122 version-4 shaped id, drawn from this generator. */
  uuid(): string {
    const w0 = this.next32();
    const w1 = (this.next32() & 0xffff0fff) | 0x4000; // version 4
    const w2 = (this.next32() & 0x3fffffff) | 0x80000000; // variant 10
    const w3 = this.next32();
    // One call that builds a flat string from 36 char codes: a million placements spent twice as
    // long joining eight two-digit pieces.
    const c = UUID_CODES;
    hexWord(c, 0, w0);
    hexWord(c, 9, w1 >>> 16);
    hexWord(c, 14, w1 & 0xffff);
    hexWord(c, 19, w2 >>> 16);
    hexWord(c, 24, w2 & 0xffff);
    hexWord(c, 28, w3);
    return String.fromCharCode.apply(null, c);
  }
}

/** Char codes of the id being built; dashes at 8, 13, 18, 23 stay in place. */
const UUID_CODES: number[] = Array.from({ length: 36 }, (_, k) => (k === 8 || k === 13 || k === 18 || k === 23 ? 45 : 48));
/** Char code of each hex digit. */
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));

/** Writes the hex digits of `word` (a 32-bit word at 28, 16-bit halves elsewhere) from `at`. */
function hexWord(out: number[], at: number, word: number): void {
  const digits = at === 0 || at === 28 ? 8 : 4;
  for (let k = digits - 1; k >= 0; k--) {
    out[at + k] = HEX_CODES[word & 15]!;
    word >>>= 4;
  }
}

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
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * bound);
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
    const w0 = this.nextUint32();
    const w1 = this.nextUint32();
    const w2 = this.nextUint32();
    const w3 = this.nextUint32();
    const h = HEX;
    // join() builds one flat string; chained `+` would leave a rope of cons strings per id.
    return [
      h[w0 >>> 24]! + h[(w0 >>> 16) & 255]! + h[(w0 >>> 8) & 255]! + h[w0 & 255]!,
      h[w1 >>> 24]! + h[(w1 >>> 16) & 255]!,
      h[0x40 | ((w1 >>> 8) & 0x0f)]! + h[w1 & 255]!,
      h[0x80 | ((w2 >>> 24) & 0x3f)]! + h[(w2 >>> 16) & 255]!,
      h[(w2 >>> 8) & 255]! + h[w2 & 255]! + h[w3 >>> 24]! + h[(w3 >>> 16) & 255]! + h[(w3 >>> 8) & 255]! + h[w3 & 255]!,
    ].join('-');
  }
}

/** Two hex digits per byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

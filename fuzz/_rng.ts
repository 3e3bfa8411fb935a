/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32) for the fuzzer: the same seed
 * gives the same sequence on every run and platform, so a failing case is reproduced from its seed alone.
 * Not for cryptography.
 *
 * @module
 */

/** splitmix32: spreads a 32-bit seed over the generator's state words. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A deterministic random source. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    const mix = splitmix32(seed);
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** An integer in 0..n-1 (0 when n ≤ 1). */
  int(n: number): number {
    if (n <= 1) return 0;
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in min..max, both included. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** One element, chosen with the given weights. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((n, [w]) => n + w, 0);
    let x = this.u32() / 0x1_0000_0000 * total;
    for (const [w, item] of items) {
      if (x < w) return item;
      x -= w;
    }
    return items[items.length - 1][1];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = v >>> (8 * j);
    }
    return out;
  }

  /** A new generator whose sequence depends on this one's next output (for independent sub-streams). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

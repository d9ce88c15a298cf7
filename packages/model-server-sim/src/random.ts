// Seeded randomness: every pod gets its own stream derived from the cluster seed, so runs repeat exactly.

/** mulberry32: tiny, fast, good enough for jitter and length sampling (not for cryptography). */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Gaussian around `mean` with standard deviation `sd`, clamped to [0.3, 1.7] x mean as llm-d-inference-sim does
   * (so a sample is never negative and never wildly long).
   */
  jitter(mean: number, sd: number): number {
    if (sd <= 0 || mean <= 0) return mean;
    const x = mean + sd * this.normal();
    return Math.min(1.7 * mean, Math.max(0.3 * mean, x));
  }
}

/** Derives an independent 32-bit seed for stream `index` from a base seed (splitmix32-style mixing). */
export function deriveSeed(base: number, index: number): number {
  let z = (base ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

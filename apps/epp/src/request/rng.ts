// A small seeded PRNG (mulberry32) for the director's weighted draws: reproducible in tests and benchmarks when
// seeded (--seed style option), crypto-seeded otherwise. Not for anything security-related.
import { randomInt } from 'node:crypto';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed?: number): Rng {
  let s = (seed ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/**
 * Weighted draw as upstream does it: r = rand[0, sum(w)), the first entry whose cumulative weight exceeds r;
 * uniform when the weights sum to 0 (or none is set). Returns undefined only for an empty list.
 */
export function weightedPick<T>(
  items: readonly T[],
  weightOf: (t: T) => number | undefined,
  rng: Rng,
): T | undefined {
  if (items.length === 0) return undefined;
  let total = 0;
  for (const it of items) total += Math.max(0, weightOf(it) ?? 0);
  if (total <= 0) return items[rng.int(items.length)];
  const r = rng.next() * total;
  let acc = 0;
  for (const it of items) {
    acc += Math.max(0, weightOf(it) ?? 0);
    if (acc > r) return it;
  }
  return items[items.length - 1];
}

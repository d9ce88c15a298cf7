// Seeded randomness for the workload generator: one mulberry32 stream per purpose, so a workload depends only on
// its seed and parameters (never on Math.random or timing).

// mulberry32 (uniform floats in [0, 1) from a 32-bit seed) is @igw/cli-common's, the one every seeded result in
// the repo uses; it is built before the benchmark runs (npm run bench builds first).
export { mulberry32 } from '@igw/cli-common';

/**
 * Derives an independent seed from a base seed and a label (FNV-1a over the label, mixed with the seed).
 * @param {number} seed
 * @param {string} label
 */
export function deriveSeed(seed, label) {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** @param {() => number} rng @param {number} rate */
export function exponential(rng, rate) {
  return -Math.log(1 - rng()) / rate;
}

/** Standard normal by Box-Muller. @param {() => number} rng */
export function normal(rng) {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Log-normal with the given median and sigma (of the underlying normal), rounded and clamped to [min, max].
 * @param {() => number} rng @param {number} median @param {number} sigma @param {number} min @param {number} max
 */
export function logNormalInt(rng, median, sigma, min, max) {
  const x = Math.round(median * Math.exp(sigma * normal(rng)));
  return Math.min(max, Math.max(min, x));
}

/**
 * Index drawn from a discrete distribution given by weights (need not sum to 1).
 * @param {() => number} rng
 * @param {number[]} weights
 */
export function weightedIndex(rng, weights) {
  let total = 0;
  for (const w of weights) total += w;
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Poisson arrival times (seconds from 0) of rate `qps` over `durationS`.
 * @param {() => number} rng
 * @param {number} qps
 * @param {number} durationS
 * @returns {number[]}
 */
export function poissonArrivals(rng, qps, durationS) {
  const out = [];
  let t = exponential(rng, qps);
  while (t < durationS) {
    out.push(t);
    t += exponential(rng, qps);
  }
  return out;
}

// Text: 4-character pieces ("abc " style) so the simulator's ~4 characters per token makes token counts exact.
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** @type {string[]} */
const PIECES = [];
for (let i = 0; i < 2048; i++) {
  PIECES.push(`${LETTERS[i % 26]}${LETTERS[Math.floor(i / 26) % 26]}${LETTERS[Math.floor(i / 676) % 26]} `);
}

/**
 * Random text of exactly `tokens` x 4 characters.
 * @param {() => number} rng
 * @param {number} tokens
 */
export function randomText(rng, tokens) {
  const parts = new Array(tokens);
  for (let i = 0; i < tokens; i++) parts[i] = PIECES[(rng() * PIECES.length) | 0];
  return parts.join('');
}

// How many tokens an answer has, following llm-d-inference-sim's `random` mode:
// - ignore_eos: exactly max_tokens (finish_reason "length");
// - max_tokens set: 15% of answers use all of it ("length"); the rest fall in 5 buckets over [1, max-1] with
//   probabilities 20/30/20/5/10% ("stop"). Buckets are equal when max <= 81; past that they are 20 tokens wide
//   except the 4th, which stretches over the remainder;
// - no max_tokens: N(40, 20), at least 1, at most what the context window leaves ("length" if that cap binds).

import type { Rng } from './random.js';
import type { FinishReason } from './sequence.js';

const BUCKET_CUMULATIVE = [0.2, 0.5, 0.7, 0.75, 0.85]; // the last 15% is "exactly max"
const FIXED_WIDTH = 20;
const FLEX_BUCKET = 3;

export function sampleOutputLength(
  rng: Rng,
  maxTokens: number | null,
  ignoreEos: boolean,
  contextLeft: number,
): { tokens: number; finishReason: FinishReason } {
  if (maxTokens === null) {
    const n = Math.max(1, Math.round(40 + 20 * rng.normal()));
    return n >= contextLeft
      ? { tokens: contextLeft, finishReason: 'length' }
      : { tokens: n, finishReason: 'stop' };
  }
  if (ignoreEos || maxTokens <= 1) return { tokens: maxTokens, finishReason: 'length' };
  if (maxTokens <= BUCKET_CUMULATIVE.length + 1) {
    const n = rng.int(1, maxTokens);
    return { tokens: n, finishReason: n === maxTokens ? 'length' : 'stop' };
  }
  const r = rng.next();
  const bucket = BUCKET_CUMULATIVE.findIndex((c) => r <= c);
  if (bucket < 0) return { tokens: maxTokens, finishReason: 'length' };
  const [lo, hi] = bucketRange(maxTokens, bucket);
  return { tokens: rng.int(lo, Math.max(lo, hi)), finishReason: 'stop' };
}

function bucketRange(max: number, b: number): [number, number] {
  const n = BUCKET_CUMULATIVE.length;
  let lo: number;
  let hi: number;
  if (max <= FIXED_WIDTH * n + 1) {
    const w = (max - 1) / n;
    lo = Math.floor(w * b) + 1;
    hi = Math.floor(w * (b + 1));
  } else {
    const flexWidth = max - 1 - FIXED_WIDTH * (n - 1);
    if (b < FLEX_BUCKET) {
      lo = FIXED_WIDTH * b + 1;
      hi = FIXED_WIDTH * (b + 1);
    } else if (b === FLEX_BUCKET) {
      lo = FIXED_WIDTH * b + 1;
      hi = FIXED_WIDTH * b + flexWidth;
    } else {
      lo = FIXED_WIDTH * (b - 1) + flexWidth + 1;
      hi = FIXED_WIDTH * b + flexWidth;
    }
  }
  return [lo, Math.min(hi, max - 1)];
}

// Timing helpers for the benchmark: per-call samples with hrtime, median and p99.

export interface Timing {
  median_us: number;
  p99_us: number;
  mean_us: number;
  iterations: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Times `iterations` single calls of fn (after `warmup` untimed ones). */
export function timeCalls(fn: () => unknown, iterations: number, warmup: number): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Float64Array(iterations);
  let sink = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    const r = fn();
    const t1 = process.hrtime.bigint();
    samples[i] = Number(t1 - t0) / 1000;
    if (r === undefined) sink++;
  }
  if (sink < 0) console.log(sink);
  samples.sort();
  let sum = 0;
  for (const s of samples) sum += s;
  return {
    median_us: round3(percentile(samples, 0.5)),
    p99_us: round3(percentile(samples, 0.99)),
    mean_us: round3(sum / iterations),
    iterations,
  };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

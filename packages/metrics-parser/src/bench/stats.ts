// Timing helpers for the benchmark: samples of `batch` consecutive calls timed with hrtime (a single hrtime pair
// costs a few hundred ns, which would swamp a 2 µs call), reported per call: median and p99 of the samples.

export interface Timing {
  median_us: number;
  p99_us: number;
  mean_us: number;
  iterations: number;
  batch: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Times `iterations` calls of fn in samples of `batch` calls (after `warmup` untimed calls). */
export function timeCalls(fn: () => unknown, iterations: number, warmup: number, batch = 1): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const n = Math.max(1, Math.floor(iterations / batch));
  const samples = new Float64Array(n);
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) if (fn() === undefined) sink++;
    const t1 = process.hrtime.bigint();
    samples[i] = Number(t1 - t0) / 1000 / batch;
  }
  if (sink < 0) console.log(sink);
  samples.sort();
  let sum = 0;
  for (const s of samples) sum += s;
  return {
    median_us: round3(percentile(samples, 0.5)),
    p99_us: round3(percentile(samples, 0.99)),
    mean_us: round3(sum / n),
    iterations: n * batch,
    batch,
  };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

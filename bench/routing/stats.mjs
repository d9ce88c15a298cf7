// Percentiles and spreads used in the report.

/**
 * The q-th percentile (0..100) by linear interpolation between closest ranks (numpy's default), NaN when empty.
 * @param {number[]} values
 * @param {number} q
 */
export function percentile(values, q) {
  if (values.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${q}`);
  const s = Float64Array.from(values).sort();
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  // Unfinished requests count as +Infinity: a percentile that reaches them is Infinity, not NaN.
  if (lo === hi || s[lo] === s[hi]) return s[lo];
  if (s[hi] === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** @param {number[]} values */
export function mean(values) {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** @param {number[]} values */
export function median(values) {
  return percentile(values, 50);
}

/**
 * Median across seeds, with the min and max as the noise band. NaN entries are ignored.
 * @param {number[]} values
 * @returns {{ median: number, min: number, max: number, n: number }}
 */
export function spread(values) {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

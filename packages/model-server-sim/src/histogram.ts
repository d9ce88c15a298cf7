// Prometheus histograms with fixed buckets, cheap enough to observe once per generated token
// (a linear scan over at most ~25 bounds, no label hashing).

export class Histogram {
  readonly bounds: readonly number[];
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }

  /** Text exposition lines `name_bucket{labels,le=...}`, `_sum`, `_count` (cumulative buckets, +Inf last). */
  render(name: string, labels: string): string {
    const sep = labels === '' ? '' : ',';
    let out = '';
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i]!;
      out += `${name}_bucket{${labels}${sep}le="${formatBound(this.bounds[i]!)}"} ${acc}\n`;
    }
    acc += this.counts[this.bounds.length]!;
    out += `${name}_bucket{${labels}${sep}le="+Inf"} ${acc}\n`;
    const braces = labels === '' ? '' : `{${labels}}`;
    out += `${name}_sum${braces} ${this.sum}\n${name}_count${braces} ${this.count}\n`;
    return out;
  }
}

/** Prometheus' Python client prints bounds as floats ("1.0", "0.005"). */
function formatBound(b: number): string {
  return Number.isInteger(b) ? `${b}.0` : String(b);
}

// vLLM's bucket sets (vllm/v1/metrics/loggers.py; the same in llm-d-inference-sim).
export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
export const TPOT_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
export const REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];

/** 1-2-5 x 10^n up to maxValue (vLLM's build_1_2_5_buckets), for token-count histograms. */
export function buckets125(maxValue: number): number[] {
  const out: number[] = [];
  for (let exp = 1; ; exp *= 10) {
    for (const m of [1, 2, 5]) {
      const v = m * exp;
      if (v > maxValue) return out;
      out.push(v);
    }
  }
}

// Aggregation across seeds (median, with the min-max spread as noise) and the targets, computed from the
// points of one run.
import { spread } from './stats.mjs';

/** Metrics aggregated per (workload, policy, qps); each is a function of one point. */
export const METRICS = {
  ttft_p50: (/** @type {any} */ p) => p.ttft_ms.p50,
  ttft_p90: (/** @type {any} */ p) => p.ttft_ms.p90,
  ttft_p99: (/** @type {any} */ p) => p.ttft_ms.p99,
  tpot_p50: (/** @type {any} */ p) => p.tpot_ms.p50,
  tpot_p90: (/** @type {any} */ p) => p.tpot_ms.p90,
  e2e_p50: (/** @type {any} */ p) => p.e2e_ms.p50,
  e2e_p90: (/** @type {any} */ p) => p.e2e_ms.p90,
  e2e_p99: (/** @type {any} */ p) => p.e2e_ms.p99,
  throughput: (/** @type {any} */ p) => p.output_tokens_per_s,
  offered: (/** @type {any} */ p) => p.offered_output_tokens_per_s,
  prefix_hit_rate: (/** @type {any} */ p) => p.prefix_cache.hit_rate,
  prefill_tokens: (/** @type {any} */ p) => p.prefix_cache.prefill_tokens,
  status_429: (/** @type {any} */ p) => p.status_429,
  status_5xx: (/** @type {any} */ p) => p.status_5xx,
  unfinished: (/** @type {any} */ p) => p.unfinished,
  requests: (/** @type {any} */ p) => p.requests,
  preemptions: (/** @type {any} */ p) => p.preemptions,
  kv_evictions: (/** @type {any} */ p) => p.kv_evictions,
  lora_loads: (/** @type {any} */ p) => p.lora_loads,
  cpu_simulator: (/** @type {any} */ p) => p.cpu_cores.simulator,
  cpu_gateway: (/** @type {any} */ p) => p.cpu_cores.gateway,
  cpu_epp: (/** @type {any} */ p) => p.cpu_cores.epp ?? Number.NaN,
  cpu_driver: (/** @type {any} */ p) => p.cpu_cores.driver,
  sim_max_lag_ms: (/** @type {any} */ p) => p.sim_max_lag_ms,
};

/**
 * @param {any[]} points
 * @returns {Record<string, Record<string, Record<string, Record<string, ReturnType<typeof spread>>>>>}
 *   workload -> policy -> qps -> metric -> spread across seeds
 */
export function aggregate(points) {
  /** @type {any} */
  const out = {};
  /** @type {Map<string, any[]>} */
  const groups = new Map();
  for (const p of points) {
    const k = `${p.workload}\u0000${p.policy}\u0000${p.qps}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)?.push(p);
  }
  for (const [k, ps] of groups) {
    const [w, pol, qps] = k.split('\u0000');
    const m = Object.fromEntries(Object.entries(METRICS).map(([name, f]) => [name, spread(ps.map(f))]));
    out[w] ??= {};
    out[w][pol] ??= {};
    out[w][pol][qps] = m;
  }
  return out;
}

/** Relative tolerance used as noise when a run has a single seed (no spread to measure). */
export const SINGLE_SEED_TOLERANCE = 0.1;

/**
 * The round-robin knee of a workload: the lowest QPS step at which round robin's p90 TTFT exceeds 2x its p90 TTFT at
 * the lowest step (queueing has started), or it leaves more than 1% of requests unserved (429, 5xx, unfinished).
 * Undefined if the sweep never reaches it.
 * @param {Record<string, any>} rr qps -> metrics of round robin
 */
export function roundRobinKnee(rr) {
  const steps = Object.keys(rr)
    .map(Number)
    .sort((a, b) => a - b);
  if (steps.length === 0) return undefined;
  const base = rr[steps[0]].ttft_p90.median;
  for (const q of steps) {
    const m = rr[q];
    const unserved = m.status_429.median + m.status_5xx.median + m.unfinished.median;
    if (m.ttft_p90.median > 2 * base || unserved > 0.01 * m.requests.median) return q;
  }
  return undefined;
}

/**
 * Per seed values of a metric for (workload, policy, qps).
 * @param {any[]} points @param {string} w @param {string} pol @param {number} qps @param {(p: any) => number} f
 */
function perSeed(points, w, pol, qps, f) {
  /** @type {Map<number, number>} */
  const m = new Map();
  for (const p of points) if (p.workload === w && p.policy === pol && p.qps === qps) m.set(p.seed, f(p));
  return m;
}

/**
 * @param {any[]} points
 * @param {ReturnType<typeof aggregate>} agg
 * @param {number[]} seeds
 */
export function evaluateTargets(points, agg, seeds) {
  const targets = [];
  const sp = agg['shared-prefix'];
  if (sp?.['round-robin'] && sp.epp) {
    const knee = roundRobinKnee(sp['round-robin']);
    const steps = Object.keys(sp['round-robin'])
      .map(Number)
      .sort((a, b) => a - b);
    const at = knee ?? steps[steps.length - 1];
    const rr = perSeed(points, 'shared-prefix', 'round-robin', at, METRICS.ttft_p90);
    const ep = perSeed(points, 'shared-prefix', 'epp', at, METRICS.ttft_p90);
    const ratios = seeds
      .filter((s) => rr.has(s) && ep.has(s))
      .map((s) => /** @type {number} */ (ep.get(s)) / /** @type {number} */ (rr.get(s)));
    targets.push({
      id: 'shared_prefix_ttft_p90',
      text: `shared prefix at the round-robin knee (${at} QPS${knee === undefined ? ', the top of the sweep: the knee was not reached' : ''}): EPP p90 TTFT <= 1/3 of round robin's, on every seed`,
      qps: at,
      knee_found: knee !== undefined,
      per_seed_ratio: ratios,
      value: spread(ratios),
      pass: ratios.length > 0 && ratios.every((r) => r <= 1 / 3),
    });
    // Throughput: what each policy sustains when offered the same load, at the knee step and at the top step.
    const maxOf = (/** @type {string} */ pol, /** @type {number} */ s) =>
      Math.max(
        ...points
          .filter((p) => p.workload === 'shared-prefix' && p.policy === pol && p.seed === s)
          .map(METRICS.throughput),
      );
    const tpRatios = seeds.map((s) => maxOf('epp', s) / maxOf('round-robin', s)).filter(Number.isFinite);
    const rrT = perSeed(points, 'shared-prefix', 'round-robin', at, METRICS.throughput);
    const epT = perSeed(points, 'shared-prefix', 'epp', at, METRICS.throughput);
    const atKnee = seeds
      .filter((s) => rrT.has(s) && epT.has(s))
      .map((s) => /** @type {number} */ (epT.get(s)) / /** @type {number} */ (rrT.get(s)));
    targets.push({
      id: 'shared_prefix_throughput',
      text: "shared prefix: EPP throughput >= 1.5x round robin's, taken as the highest output tokens/s each reached over the sweep (its capacity, since the sweep goes past the round-robin knee), on every seed",
      per_seed_ratio: tpRatios,
      value: spread(tpRatios),
      ratio_at_knee: spread(atKnee),
      pass: tpRatios.length > 0 && tpRatios.every((r) => r >= 1.5),
    });
  }
  // Never worse than least-request by more than noise: at no (workload, qps) may the EPP's p90 TTFT be above
  // least-request's with non-overlapping seed ranges (or by more than 10% with one seed), nor its throughput below.
  for (const pol of ['epp', 'epp-no-prefix']) {
    const worse = [];
    let compared = 0;
    for (const [w, byPol] of Object.entries(agg)) {
      const lr = byPol['least-request'];
      const ep = byPol[pol];
      if (!lr || !ep) continue;
      for (const q of Object.keys(ep)) {
        if (!lr[q]) continue;
        compared++;
        const a = ep[q];
        const b = lr[q];
        const single = a.ttft_p90.n < 2 || b.ttft_p90.n < 2;
        const ttftWorse = single
          ? a.ttft_p90.median > b.ttft_p90.median * (1 + SINGLE_SEED_TOLERANCE)
          : a.ttft_p90.min > b.ttft_p90.max;
        const tputWorse = single
          ? a.throughput.median < b.throughput.median * (1 - SINGLE_SEED_TOLERANCE)
          : a.throughput.max < b.throughput.min;
        if (ttftWorse || tputWorse) {
          worse.push({
            workload: w,
            qps: Number(q),
            ttft_p90: [a.ttft_p90.median, b.ttft_p90.median],
            throughput: [a.throughput.median, b.throughput.median],
            what: [ttftWorse && 'p90 TTFT', tputWorse && 'throughput'].filter(Boolean).join(' and '),
          });
        }
      }
    }
    targets.push({
      id: `${pol}_vs_least_request`,
      text: `${pol === 'epp' ? 'EPP (default profile)' : 'EPP without prefix scoring'} never worse than least-request by more than noise (p90 TTFT and throughput, every workload and QPS step)`,
      worse,
      compared,
      pass: compared === 0 ? null : worse.length === 0,
      informational: pol !== 'epp',
    });
  }
  return targets;
}

// One benchmark point (workload, policy, QPS, seed) reduced to named numbers.
import { mean, percentile } from './stats.mjs';

/**
 * Only requests arriving at or after `warmupS` are measured; the warm-up ones fill the caches as upstream's warm-up
 * stage does.
 * @param {{ requests: import('./workloads.mjs').WorkRequest[], results: import('./driver.mjs').RequestResult[],
 *   warmupS: number, podStats: any[] }} o
 */
export function summarizePoint(o) {
  const { podStats } = o;
  const idx = o.requests.map((r, i) => (r.t >= o.warmupS ? i : -1)).filter((i) => i >= 0);
  const requests = idx.map((i) => o.requests[i]);
  const results = idx.map((i) => o.results[i]);
  const windowS = requests.length ? requests[requests.length - 1].t - o.warmupS : 0;
  const ok = results.filter((r) => r.status === 200);
  const timeouts = results.filter((r) => r.status === 'timeout').length;
  const count = (/** @type {(s: number) => boolean} */ f) =>
    results.filter((r) => typeof r.status === 'number' && f(r.status)).length;
  // Percentiles over served requests plus unfinished ones (as +Infinity: they had no answer within the drain cap).
  const ttft = [
    ...ok.map((r) => (Number.isFinite(r.ttftMs) ? r.ttftMs : r.e2eMs)),
    ...Array(timeouts).fill(Infinity),
  ];
  const e2e = [...ok.map((r) => r.e2eMs), ...Array(timeouts).fill(Infinity)];
  const tpot = ok.filter((r) => r.outputTokens > 1).map((r) => (r.e2eMs - r.ttftMs) / (r.outputTokens - 1));
  const outTokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  const lastEndS = Math.max(windowS, ...ok.map((r) => (r.sentAtMs + r.e2eMs) / 1000 - o.warmupS));
  const offeredTokens = requests.reduce((s, r) => s + r.maxTokens, 0);
  const sum = (/** @type {string} */ k) => podStats.reduce((s, p) => s + (p[k] ?? 0), 0);
  // Prefix hits of the measured requests, from each response's usage.prompt_tokens_details.cached_tokens.
  let query = 0;
  let hit = 0;
  for (const [i, r] of results.entries()) {
    if (r.status !== 200) continue;
    query += requests[i].promptTokens;
    hit += r.cachedTokens;
  }
  const simQuery = sum('prefixQueryTokens');
  const perPodRequests = podStats.map((p) => p.finished ?? 0);
  return {
    requests: results.length,
    ok: ok.length,
    status_429: count((s) => s === 429),
    status_5xx: count((s) => s >= 500),
    status_other: count((s) => s !== 200 && s !== 429 && s < 500),
    network_errors: results.filter((r) => r.status === 'error').length,
    unfinished: timeouts,
    ttft_ms: {
      p50: percentile(ttft, 50),
      p90: percentile(ttft, 90),
      p99: percentile(ttft, 99),
      mean: mean(ttft),
    },
    tpot_ms: { p50: percentile(tpot, 50), p90: percentile(tpot, 90), mean: mean(tpot) },
    e2e_ms: { p50: percentile(e2e, 50), p90: percentile(e2e, 90), p99: percentile(e2e, 99) },
    output_tokens_per_s: outTokens / lastEndS,
    offered_output_tokens_per_s: windowS > 0 ? offeredTokens / windowS : 0,
    duration_s: lastEndS,
    prefix_cache: {
      query_tokens: query,
      hit_tokens: hit,
      hit_rate: query ? hit / query : 0,
      prefill_tokens: query - hit,
      simulator_hit_rate_with_warmup: simQuery ? sum('prefixHitTokens') / simQuery : 0,
    },
    kv_evictions: sum('kvEvictions'),
    preemptions: sum('preemptions'),
    lora_loads: sum('loraLoads'),
    sim_max_lag_ms: Math.max(0, ...podStats.map((p) => p.maxLagMs ?? 0)),
    per_pod_requests: perPodRequests,
    errors: Object.fromEntries(
      [...new Set(results.map((r) => r.error).filter(Boolean))].map((e) => [
        e,
        results.filter((r) => r.error === e).length,
      ]),
    ),
  };
}

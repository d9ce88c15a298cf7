// Fast tests of the pure parts: `node --test bench/routing/*.test.mjs`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregate, evaluateTargets, roundRobinKnee } from './analysis.mjs';
import { blockKeys, oracleBound } from './oracle.mjs';
import { deriveSeed, mulberry32, poissonArrivals, randomText, weightedIndex } from './rng.mjs';
import { percentile, spread } from './stats.mjs';
import { lineChart } from './svg.mjs';
import {
  LORA_MIX,
  lengthMix,
  multiLora,
  SALT_TOKENS,
  SHARED_PREFIX,
  saltFor,
  sharedPrefix,
} from './workloads.mjs';

/** @returns {import('./workloads.mjs').WorkRequest[]} */
const gen = (/** @type {any} */ w, seed = 1, qps = 20) =>
  w.generate({ seed, qps, durationS: 10, salt: saltFor(5), model: 'm' });

describe('workload generator', () => {
  test('same seed, same requests; another seed, other requests', () => {
    for (const w of [sharedPrefix, lengthMix, multiLora]) {
      assert.deepEqual(gen(w), gen(w));
      assert.notDeepEqual(
        gen(w).map((r) => r.t),
        gen(w, 2).map((r) => r.t),
      );
    }
  });

  test('token counts are exact (4 characters a token) and the salt is shorter than a 16-token block', () => {
    assert.equal(saltFor(123).length, SALT_TOKENS * 4);
    assert.ok(SALT_TOKENS < 16);
    for (const w of [sharedPrefix, lengthMix, multiLora]) {
      for (const r of gen(w)) assert.equal(r.prompt.length, r.promptTokens * 4);
    }
  });

  test('shared prefix: users of a group share the system prompt, groups do not', () => {
    const reqs = gen(sharedPrefix, 3, 60);
    const sysChars = (SALT_TOKENS + SHARED_PREFIX.systemTokens) * 4;
    const byGroup = new Map();
    for (const r of reqs) {
      const sys = r.prompt.slice(0, sysChars);
      if (byGroup.has(r.group)) assert.equal(byGroup.get(r.group), sys);
      else byGroup.set(r.group, sys);
      assert.equal(r.maxTokens, SHARED_PREFIX.outputTokens);
    }
    assert.equal(new Set(byGroup.values()).size, byGroup.size);
  });

  test('Poisson arrivals have the asked rate and are sorted', () => {
    const t = poissonArrivals(mulberry32(7), 50, 200);
    assert.ok(Math.abs(t.length / 200 - 50) < 2.5, `rate ${t.length / 200}`);
    for (let i = 1; i < t.length; i++) assert.ok(t[i] >= t[i - 1]);
    assert.ok(t[t.length - 1] < 200);
  });

  test('the LoRA mix follows its weights (5 x 12%, 5 x 6%, 5 x 2%)', () => {
    const rng = mulberry32(deriveSeed(1, 'x'));
    const counts = new Array(15).fill(0);
    for (let i = 0; i < 100_000; i++) counts[weightedIndex(rng, LORA_MIX.weights)]++;
    for (let i = 0; i < 15; i++) assert.ok(Math.abs(counts[i] / 100_000 - LORA_MIX.weights[i] / 100) < 0.006);
    assert.ok(gen(multiLora).every((r) => LORA_MIX.adapters.includes(r.model)));
  });
});

describe('percentiles and spread', () => {
  test('linear interpolation between closest ranks (numpy default)', () => {
    const v = [15, 20, 35, 40, 50];
    assert.equal(percentile(v, 0), 15);
    assert.equal(percentile(v, 50), 35);
    assert.equal(percentile(v, 100), 50);
    assert.equal(percentile(v, 90), 46);
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile([1], 101), RangeError);
  });

  test('unfinished requests (Infinity) make a percentile infinite, never NaN', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, Number.POSITIVE_INFINITY];
    assert.equal(percentile(v, 50), 5.5);
    assert.equal(percentile(v, 99), Number.POSITIVE_INFINITY);
    assert.equal(
      percentile([5, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY], 100),
      Number.POSITIVE_INFINITY,
    );
  });

  test('spread ignores non-finite values', () => {
    assert.deepEqual(spread([3, 1, 2, Number.NaN]), { median: 2, min: 1, max: 3, n: 3 });
    assert.equal(spread([]).n, 0);
  });
});

describe('oracle bound', () => {
  test('blocks are 64 characters, chained: equal prefixes give equal leading keys', () => {
    const a = blockKeys(`${'x'.repeat(128)}${'a'.repeat(64)}`);
    const b = blockKeys(`${'x'.repeat(128)}${'b'.repeat(64)}${'c'.repeat(30)}`);
    assert.equal(a.length, 3);
    assert.equal(b.length, 3);
    assert.deepEqual(a.slice(0, 2), b.slice(0, 2));
    assert.notEqual(a[2], b[2]);
    // Chained: the same block after a different prefix has another key.
    assert.notEqual(blockKeys(`${'y'.repeat(64)}${'a'.repeat(64)}`)[1], a[2]);
  });

  test('every block is computed once; at least one token per request; warm-up requests are not counted', () => {
    const sys = 'S'.repeat(64 * 10); // 160 tokens
    const r = (/** @type {string} */ q, t = 1) => ({
      prompt: sys + q,
      promptTokens: (sys.length + q.length) / 4,
      t,
    });
    const reqs = [r('a'.repeat(64)), r('b'.repeat(64)), r('a'.repeat(64))];
    const o = oracleBound(reqs);
    // First: all 176 tokens; second: its last block (16); third: everything cached but one token.
    assert.equal(o.promptTokens, 3 * 176);
    assert.equal(o.prefillTokens, 176 + 16 + 1);
    assert.equal(o.cachedTokens, o.promptTokens - o.prefillTokens);
    const warm = oracleBound([{ ...reqs[0], t: 0 }, reqs[1], reqs[2]], 1);
    assert.equal(warm.promptTokens, 2 * 176);
    assert.equal(warm.prefillTokens, 16 + 1);
    // Adapters have their own cache namespace.
    assert.equal(
      oracleBound([
        { ...reqs[0], model: 'l1' },
        { ...reqs[0], model: 'l2' },
      ]).prefillTokens,
      2 * 176,
    );
  });

  test('on the shared-prefix workload the bound is a large hit rate below 100%', () => {
    const o = oracleBound(gen(sharedPrefix, 1, 40), 0);
    assert.ok(o.hitRate > 0.5 && o.hitRate < 1, String(o.hitRate));
  });
});

describe('targets', () => {
  /** @param {string} w @param {string} policy @param {number} qps @param {number} seed @param {number} ttft90 @param {number} tput */
  const point = (w, policy, qps, seed, ttft90, tput) => ({
    workload: w,
    policy,
    qps,
    seed,
    requests: 100,
    status_429: 0,
    status_5xx: 0,
    unfinished: 0,
    preemptions: 0,
    kv_evictions: 0,
    lora_loads: 0,
    ttft_ms: { p50: ttft90 / 2, p90: ttft90, p99: ttft90 * 2 },
    tpot_ms: { p50: 10, p90: 12 },
    e2e_ms: { p50: 1, p90: 2, p99: 3 },
    output_tokens_per_s: tput,
    offered_output_tokens_per_s: 1000 * qps,
    prefix_cache: { hit_rate: 0.5, prefill_tokens: 10 },
    cpu_cores: { simulator: 0.1, gateway: 0.1, epp: null, driver: 0.1 },
    sim_max_lag_ms: 1,
  });

  test('knee, TTFT and throughput ratios, and "worse than least-request" with seed ranges', () => {
    const pts = [];
    for (const seed of [1, 2, 3]) {
      for (const [q, rr, ep, lr, rrT, epT] of [
        [10, 200, 50, 190, 10_000, 10_000],
        [20, 250, 60, 240, 20_000, 20_000],
        [40, 900, 80, 850, 25_000, 40_000],
      ]) {
        pts.push(point('shared-prefix', 'round-robin', q, seed, rr + seed, rrT));
        pts.push(point('shared-prefix', 'epp', q, seed, ep + seed, epT));
        pts.push(point('shared-prefix', 'least-request', q, seed, lr + seed, rrT));
      }
      pts.push(point('sharegpt-like', 'epp', 10, seed, 500 + seed, 100));
      pts.push(point('sharegpt-like', 'least-request', 10, seed, 100 + seed, 100));
    }
    const agg = aggregate(pts);
    assert.equal(roundRobinKnee(agg['shared-prefix']['round-robin']), 40);
    const t = evaluateTargets(pts, agg, [1, 2, 3]);
    const byId = Object.fromEntries(t.map((x) => [x.id, x]));
    assert.equal(byId.shared_prefix_ttft_p90.qps, 40);
    assert.equal(byId.shared_prefix_ttft_p90.pass, true);
    assert.equal(byId.shared_prefix_throughput.pass, true);
    assert.equal(byId.shared_prefix_throughput.value?.median, 40_000 / 25_000);
    assert.equal(byId.epp_vs_least_request.pass, false);
    assert.deepEqual(
      (byId.epp_vs_least_request.worse ?? []).map((/** @type {any} */ x) => [x.workload, x.qps, x.what]),
      [['sharegpt-like', 10, 'p90 TTFT']],
    );
    assert.equal(byId['epp-no-prefix_vs_least_request'].pass, null);
  });

  test('no knee in the sweep: evaluated at the top step and said so', () => {
    const pts = [10, 20].flatMap((q) => [
      point('shared-prefix', 'round-robin', q, 1, 100, 1),
      point('shared-prefix', 'epp', q, 1, 40, 1),
    ]);
    const t = evaluateTargets(pts, aggregate(pts), [1]);
    assert.equal(t[0].knee_found, false);
    assert.equal(t[0].qps, 20);
    assert.match(t[0].text, /knee was not reached/);
  });
});

test('SVG chart: one polyline per series, well-formed, escapes names', () => {
  const svg = lineChart({
    title: 'a <b>',
    xLabel: 'x',
    yLabel: 'y',
    logY: true,
    series: [
      {
        name: 'rr & co',
        points: [
          { x: 1, y: 10, lo: 8, hi: 12 },
          { x: 2, y: 1000 },
        ],
      },
      {
        name: 'epp',
        points: [
          { x: 1, y: 5 },
          { x: 2, y: Number.POSITIVE_INFINITY },
          { x: 3, y: 7 },
        ],
      },
    ],
  });
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 2);
  assert.ok(svg.includes('rr &amp; co') && svg.includes('a &lt;b&gt;'));
  assert.ok(!svg.includes('NaN') && !svg.includes('Infinity'));
  assert.ok(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] }).includes('no data'));
});

test('random text is made of 4-character pieces', () => {
  const t = randomText(mulberry32(1), 50);
  assert.equal(t.length, 200);
  assert.match(t, /^([a-z]{3} )+$/);
});

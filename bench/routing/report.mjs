// bench/results/REPORT.md: the routing-quality section (from routing.json, with its SVG charts) and one section per
// package benchmark (its own markdown table when it wrote one, else its JSON numbers flattened), all from the files
// the last run wrote.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { POLICIES } from './policies.mjs';
import { lineChart } from './svg.mjs';

/** Every policy in the order policies.mjs lists them (controls last), so no policy that ran is left out. */
const POLICY_ORDER = POLICIES.map((p) => p.name);

/** @param {number} v @param {number} [digits] */
function num(v, digits = 0) {
  if (v === Number.POSITIVE_INFINITY) return 'unfinished';
  if (!Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A median with its seed range: "123 (110-140)". @param {any} s @param {number} [digits] */
function withRange(s, digits = 0) {
  if (!s || s.n === 0) return '-';
  if (s.n < 2 || s.min === s.max) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}-${num(s.max, digits)})`;
}

/** @param {number} v */
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '-');

/** Writes the routing charts; returns their paths relative to bench/results. @param {any} json @param {string} resultsDir */
export function writeRoutingCharts(json, resultsDir) {
  const dir = join(resultsDir, 'charts');
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (const w of json.workloads) {
    const byPol = json.aggregate[w.name];
    if (!byPol) continue;
    const series = (/** @type {string} */ metric, /** @type {number} */ scale = 1) =>
      POLICY_ORDER.filter((p) => byPol[p]).map((p) => ({
        name: p,
        points: Object.entries(byPol[p]).map(([q, m]) => ({
          x: Number(q),
          y: m[metric].median * scale,
          lo: m[metric].min * scale,
          hi: m[metric].max * scale,
        })),
      }));
    const charts = [
      {
        f: `routing-${w.name}-ttft-p90.svg`,
        title: `${w.title}: p90 TTFT`,
        y: 'p90 TTFT (simulated ms, log)',
        metric: 'ttft_p90',
        logY: true,
      },
      {
        f: `routing-${w.name}-throughput.svg`,
        title: `${w.title}: output throughput`,
        y: 'output tokens/s (simulated)',
        metric: 'throughput',
      },
    ];
    for (const c of charts) {
      writeFileSync(
        join(dir, c.f),
        lineChart({
          title: c.title,
          xLabel: 'offered QPS (simulated requests/s)',
          yLabel: c.y,
          logY: c.logY,
          series: series(c.metric),
        }),
      );
      files.push(`charts/${c.f}`);
    }
  }
  return files;
}

/**
 * @param {any} json routing.json
 * @param {{ charts?: boolean }} [opts] charts: link the run's SVG charts (default true; a variant run has none)
 */
export function routingMarkdown(json, opts = {}) {
  const L = [];
  const c = json.config;
  const maxLoad = Math.max(
    json.machine.load_avg_end,
    ...json.points.map((/** @type {any} */ p) => p.load_avg_1m[1]),
  );
  L.push('## Routing quality on a simulated cluster');
  L.push('');
  L.push(
    `Run ${json.generated_at} (${c.mode}${c.mode === 'quick' ? ': fewer QPS steps and one seed, so no seed spread; indicative only' : ''}), ${json.seconds.toFixed(0)} s. ` +
      `${json.git_head ? `Commit ${json.git_head}. ` : ''}Machine: ${json.machine.cpus} x ${json.machine.cpu_model}, ${json.machine.memory_gib} GiB, Node ${json.node}; ` +
      `1-minute load average ${json.machine.load_avg_start.toFixed(1)} at the start, ${json.machine.load_avg_end.toFixed(1)} at the end and up to ${maxLoad.toFixed(1)} after a point` +
      `${maxLoad > json.machine.cpus ? ' (the machine was shared with other jobs: latencies include waiting for a CPU)' : ''}.`,
  );
  L.push('');
  L.push('### Method');
  L.push('');
  L.push(
    `- Cluster: ${json.cluster.pods} simulated pods (@igw/model-server-sim, batch engine model, profile \`${json.cluster.profile}\`: step 6 ms + 45 us/decode token + 50 us/prefill token, chunked prefill budget 8,192), ` +
      `KV cache ${json.cluster.params.numGpuBlocks} blocks x 16 tokens per pod with prefix caching on, ${json.cluster.loras.length} LoRA adapters with ${json.cluster.params.maxLoras} slots per pod (load ${json.cluster.params.loraLoadMs} ms), model \`${json.model}\`, in one child process.`,
  );
  L.push(
    `- Time scale ${c.timeScale}: ${c.timeScale} simulated ms per wall-clock ms. Every latency and rate below is in simulated time (wall-clock x ${c.timeScale}), so gateway and EPP overheads count ${c.timeScale}x. Simulator lateness (largest \`maxLagMs\`, wall ms) is in routing.json per point.`,
  );
  L.push(
    `- Each point (workload, policy, QPS, seed): a fresh simulated cluster, then Poisson arrivals for ${c.warmupS} simulated seconds of warm-up (served, not measured: it fills the caches as upstream's warm-up stage does) and ${c.durationS} measured seconds, then a drain of at most ${c.drainCapS} simulated seconds; requests still running then count as unfinished (their TTFT and latency as infinite in the percentiles). Seeds: ${c.seeds.join(', ')}; the same seed gives every policy the same arrivals, lengths and texts. Each point's prompts start with a unique 4-token salt so no prefix is shared across points (a policy's gateway and EPP keep running across its points, after a 4-second warm-up of their own at start).`,
  );
  L.push(
    `- Load driver: node:http keep-alive, \`/v1/completions\` with \`stream: true\`, \`ignore_eos: true\`; TTFT at the first SSE token chunk, TPOT = (e2e - TTFT) / (output tokens - 1), throughput = output tokens of served requests / (arrival window, or last completion if later).`,
  );
  L.push(
    `- Policies, all through the same dev gateway (\`igw-gateway\`, one process per policy): ${json.policies.map((/** @type {any} */ p) => `\`${p.name}\` (${p.label})`).join(', ')}. ` +
      `EPP policies: \`igw-epp\` from its bin, file source, plaintext gRPC, scrape every 50 simulated ms (upstream's default; ${json.eppScrapeIntervalWallMs ?? 50} wall-clock ms), assumed load on (picks since an endpoint's last scrape count as queued there; \`--assumed-load\`, the EPP's default) except where a policy says otherwise, gateway \`--body-mode ${json.gateway.bodyMode}\`, message timeout ${json.gateway.messageTimeout}, FailClose. ` +
      `Response chunks went through the EPP: **${json.gateway.responseBodyMode === 'NONE' ? 'no' : 'yes'}** (\`--response-body-mode ${json.gateway.responseBodyMode}\`; response headers ${json.gateway.responseBodyMode === 'NONE' ? 'did' : 'and every body chunk did'}).`,
  );
  L.push(
    "- Prefix-cache hit rate: cached prompt tokens / prompt tokens of the measured served requests, from each response's `usage.prompt_tokens_details.cached_tokens` (the simulator's counters, warm-up included, are in routing.json). KV evictions, preemptions and LoRA loads are the simulator's counters (warm-up included).",
  );
  L.push('');
  L.push(
    'Workloads (token counts in simulator tokens of 4 characters; QPS in simulated requests per second):',
  );
  L.push('');
  L.push('| workload | what | QPS steps |');
  L.push('|---|---|---|');
  for (const w of json.workloads)
    L.push(`| ${w.name} | ${w.describe} | ${(c.sweeps[w.name] ?? []).join(', ')} |`);
  L.push('');
  L.push('### Targets (computed from this run)');
  L.push('');
  L.push('| target | measured | result |');
  L.push('|---|---|---|');
  for (const t of json.targets) {
    let measured = '';
    if (t.value)
      measured = `ratio ${withRange(t.value, 2)}; per seed ${t.per_seed_ratio.map((/** @type {number} */ r) => r.toFixed(2)).join(', ')}`;
    if (t.ratio_at_knee) measured += `; at the knee step ${withRange(t.ratio_at_knee, 2)}`;
    if (t.worse) {
      measured =
        t.worse.length === 0
          ? `never worse (${t.compared} steps compared)`
          : t.worse
              .map(
                (/** @type {any} */ x) =>
                  `${x.workload} @ ${x.qps}: ${x.what} (p90 TTFT ${num(x.ttft_p90[0])} vs ${num(x.ttft_p90[1])} ms, ${num(x.throughput[0])} vs ${num(x.throughput[1])} tok/s)`,
              )
              .join('; ');
    }
    L.push(
      `| ${t.text} | ${measured} | ${t.pass === null ? 'not evaluated (policy not run)' : t.pass ? '**PASS**' : '**FAIL**'}${t.informational ? ' (informational)' : ''} |`,
    );
  }
  L.push('');
  L.push(
    c.seeds.length > 1
      ? 'Cells show the median across seeds and, in brackets, the min-max range across seeds (the noise).'
      : 'One seed: no spread across seeds was measured; "more than noise" uses a 10% tolerance.',
  );
  for (const w of json.workloads) {
    const byPol = json.aggregate[w.name];
    if (!byPol) continue;
    L.push('');
    L.push(`### ${w.title}`);
    L.push('');
    if (opts.charts !== false) {
      L.push(`![p90 TTFT](charts/routing-${w.name}-ttft-p90.svg)`);
      L.push(`![throughput](charts/routing-${w.name}-throughput.svg)`);
      L.push('');
    }
    L.push(
      '| policy | QPS | TTFT p50 ms | TTFT p90 ms | TTFT p99 ms | TPOT p50 ms | e2e p90 ms | output tok/s (offered) | prefix hit | 429 | 5xx | unfinished | requests |',
    );
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const pol of POLICY_ORDER) {
      if (!byPol[pol]) continue;
      for (const [q, m] of Object.entries(byPol[pol]).sort((a, b) => Number(a[0]) - Number(b[0]))) {
        L.push(
          `| ${pol} | ${q} | ${withRange(m.ttft_p50)} | ${withRange(m.ttft_p90)} | ${withRange(m.ttft_p99)} | ${withRange(m.tpot_p50, 1)} | ${withRange(m.e2e_p90)} | ${withRange(m.throughput)} (${num(m.offered.median)}) | ${pct(m.prefix_hit_rate.median)} | ${num(m.status_429.median)} | ${num(m.status_5xx.median)} | ${num(m.unfinished.median)} | ${num(m.requests.median)} |`,
        );
      }
    }
    if (w.name === 'shared-prefix' && json.oracle) {
      L.push('');
      L.push(
        'Offline oracle (every prompt block stays cached on the pod it was first sent to, unbounded cache): prefill tokens left versus what each policy made the pods compute (median across seeds).',
      );
      L.push('');
      L.push(
        `| QPS | oracle prefill tokens (hit rate) | ${POLICY_ORDER.filter((p) => byPol[p]).join(' | ')} |`,
      );
      L.push(
        `|---:|---:|${POLICY_ORDER.filter((p) => byPol[p])
          .map(() => '---:')
          .join('|')}|`,
      );
      for (const q of Object.keys(json.oracle).sort((a, b) => Number(a) - Number(b))) {
        const o = json.oracle[q];
        const cells = POLICY_ORDER.filter((p) => byPol[p]).map((p) => {
          const m = byPol[p][q];
          return m ? `${num(m.prefill_tokens.median)} (${pct(m.prefix_hit_rate.median)})` : '-';
        });
        L.push(`| ${q} | ${num(o.prefillTokens.median)} (${pct(o.hitRate.median)}) | ${cells.join(' | ')} |`);
      }
    }
    L.push('');
    L.push('CPU (cores, median over the points of each policy, max in brackets) and simulator lateness:');
    L.push('');
    L.push(
      '| policy | simulator | gateway | EPP | load driver | max sim lag ms (wall) | preemptions | KV evictions | LoRA loads |',
    );
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const pol of POLICY_ORDER) {
      const pts = json.points.filter((/** @type {any} */ p) => p.workload === w.name && p.policy === pol);
      if (pts.length === 0) continue;
      const med = (/** @type {number[]} */ v) => {
        const s = v.filter(Number.isFinite).sort((a, b) => a - b);
        return s.length
          ? `${s[Math.floor((s.length - 1) / 2)].toFixed(2)} (${s[s.length - 1].toFixed(2)})`
          : '-';
      };
      const sum = (/** @type {(p: any) => number} */ f) =>
        num(pts.reduce((/** @type {number} */ s, /** @type {any} */ p) => s + f(p), 0));
      L.push(
        `| ${pol} | ${med(pts.map((/** @type {any} */ p) => p.cpu_cores.simulator))} | ${med(pts.map((/** @type {any} */ p) => p.cpu_cores.gateway))} | ${med(pts.map((/** @type {any} */ p) => p.cpu_cores.epp ?? Number.NaN))} | ${med(pts.map((/** @type {any} */ p) => p.cpu_cores.driver))} | ${num(Math.max(...pts.map((/** @type {any} */ p) => p.sim_max_lag_ms)))} | ${sum((p) => p.preemptions)} | ${sum((p) => p.kv_evictions)} | ${sum((p) => p.lora_loads)} |`,
      );
    }
  }
  L.push('');
  return L.join('\n');
}

/** routing.json with unfinished percentiles ("Infinity" in JSON) restored. @param {string} file */
export function readRoutingJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'), (_k, v) => (v === 'Infinity' ? Number.POSITIVE_INFINITY : v));
}

/** @param {unknown} v @param {string} prefix @param {[string, number][]} out */
function flatten(v, prefix, out) {
  if (typeof v === 'number') out.push([prefix, v]);
  else if (v && typeof v === 'object' && out.length < 200) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  }
}

/**
 * Writes bench/results/REPORT.md from the files in resultsDir.
 * @param {string} resultsDir
 * @param {{ runs?: { name: string, status: number | null, seconds: number, run_at?: string }[], quick?: boolean }} [suite]
 */
export function writeSuiteReport(resultsDir, suite = {}) {
  const L = ['# Benchmark report', ''];
  L.push(
    `Written ${new Date().toISOString()} by \`npm run bench${suite.quick ? ' -- --quick' : ''}\` (bench/run.mjs) from the result files of the benchmarks that ran; a section's numbers come from that benchmark's own run (its date is in the section). Ratios are against baselines measured in the same run. The machine is a shared 2-core VM: absolute numbers are noisy.`,
  );
  if (suite.runs?.length) {
    L.push('');
    L.push('| benchmark | exit status | seconds |');
    L.push('|---|---:|---:|');
    for (const r of suite.runs)
      L.push(
        `| ${r.name} | ${r.status === 0 ? 'ok' : `failed (${r.status})`} | ${r.seconds.toFixed(0)}${r.run_at ? ` (earlier run, ${r.run_at})` : ''} |`,
      );
  }
  L.push('');
  const routing = join(resultsDir, 'routing.json');
  if (existsSync(routing)) L.push(routingMarkdown(readRoutingJson(routing)));
  // Variant runs (`routing.bench.mjs --variant NAME`: other body modes, flags) are linked, not inlined.
  const variantsDir = join(resultsDir, 'routing-variants');
  const variants = existsSync(variantsDir)
    ? readdirSync(variantsDir)
        .filter((f) => f.endsWith('.md'))
        .sort()
    : [];
  if (variants.length > 0) {
    L.push('### Variant runs');
    L.push('');
    for (const f of variants) {
      const first = readFileSync(join(variantsDir, f), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('Variant: '));
      L.push(`- [${f}](routing-variants/${f})${first ? `: ${first.slice('Variant: '.length)}` : ''}`);
    }
    L.push('');
  }
  const names = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json') && f !== 'latest.json' && f !== 'routing.json')
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
  for (const name of names) {
    L.push(`## Package benchmark: ${name}`);
    L.push('');
    const md = join(resultsDir, `${name}.md`);
    if (existsSync(md)) {
      // The package's own table; its headings are demoted under this section.
      L.push(
        readFileSync(md, 'utf8')
          .trim()
          .replace(/^(#+) /gm, '$1## '),
      );
    } else {
      /** @type {[string, number][]} */
      const rows = [];
      try {
        flatten(JSON.parse(readFileSync(join(resultsDir, `${name}.json`), 'utf8')), '', rows);
      } catch (e) {
        L.push(`(bench/results/${name}.json could not be read: ${e instanceof Error ? e.message : e})`);
      }
      if (rows.length) {
        L.push('| number | value |');
        L.push('|---|---:|');
        for (const [k, v] of rows) L.push(`| ${k} | ${v} |`);
      }
    }
    L.push('');
  }
  writeFileSync(join(resultsDir, 'REPORT.md'), `${L.join('\n')}\n`);
}

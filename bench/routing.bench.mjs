#!/usr/bin/env node
// Routing-quality benchmark (issue 8): 8 simulated pods, five routing policies through the same dev gateway, three
// workloads, a QPS sweep and seeds. Writes bench/results/routing.json, routing.md, charts/routing-*.svg and
// REPORT.md. `node bench/routing.bench.mjs [--quick]`; `--help` for the other flags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { aggregate, evaluateTargets } from './routing/analysis.mjs';
import { CLUSTER, MODEL, runConfig } from './routing/config.mjs';
import { POLICIES, runsByDefault } from './routing/policies.mjs';
import { EPP_BIN, GATEWAY_BIN } from './routing/procs.mjs';
import { routingMarkdown, writeRoutingCharts, writeSuiteReport } from './routing/report.mjs';
import { scrapeIntervalMs } from './routing/stack.mjs';
import { spread } from './routing/stats.mjs';
import { WORKLOADS } from './routing/workloads.mjs';

const HELP = `Usage: node bench/routing.bench.mjs [flags]
  --quick                    3+2+2 QPS steps, 1 seed, shorter points, no random policy (< 5 min with the whole
                             quick suite on 2 cores); says so in the report
  --seeds 1,2,3              seeds (default: 1 quick, 1,2,3 full)
  --time-scale N             simulated ms per wall ms (default 2)
  --workloads a,b            subset of: ${WORKLOADS.map((w) => w.name).join(', ')}
  --policies a,b             subset of: ${POLICIES.map((p) => p.name).join(', ')}
  --body-mode M              gateway request body mode towards the EPP: BUFFERED (default) or FULL_DUPLEX_STREAMED
  --response-body-mode M     NONE (default: response chunks bypass the EPP), FULL_DUPLEX_STREAMED or BUFFERED
  --no-report                do not rewrite bench/results/REPORT.md
  --variant NAME             write bench/results/routing-variants/NAME.{json,md} (no charts) instead of routing.*,
                             for runs with other modes or flags; REPORT.md links them
`;

/** @type {any} */
let parsed;
try {
  parsed = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      'time-scale': { type: 'string' },
      workloads: { type: 'string' },
      policies: { type: 'string' },
      'body-mode': { type: 'string', default: 'BUFFERED' },
      'response-body-mode': { type: 'string', default: 'NONE' },
      'no-report': { type: 'boolean', default: false },
      variant: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
} catch (e) {
  console.error(`routing bench: ${e instanceof Error ? e.message : e}\n\n${HELP}`);
  process.exit(2);
}
const values = parsed.values;
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const list = (/** @type {string | undefined} */ s) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;
const fail = (/** @type {string} */ msg) => {
  console.error(`routing bench: ${msg}`);
  process.exit(2);
};
const config = runConfig(values.quick ?? false);
if (values.seeds) {
  config.seeds = list(values.seeds)?.map(Number) ?? [];
  if (config.seeds.length === 0 || config.seeds.some((s) => !Number.isInteger(s) || s < 0))
    fail(`bad --seeds ${values.seeds}`);
}
if (values['time-scale']) {
  config.timeScale = Number(values['time-scale']);
  if (!(config.timeScale > 0 && config.timeScale <= 100))
    fail(`bad --time-scale ${values['time-scale']} (0 < N <= 100)`);
}
const workloads = list(values.workloads);
for (const w of workloads ?? []) if (!WORKLOADS.some((x) => x.name === w)) fail(`unknown workload ${w}`);
const policies = list(values.policies);
for (const p of policies ?? []) if (!POLICIES.some((x) => x.name === p)) fail(`unknown policy ${p}`);
if (values.variant !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(values.variant))
  fail(`bad --variant ${values.variant} (lower-case letters, digits and dashes)`);
const bodyMode = /** @type {string} */ (values['body-mode']);
const responseBodyMode = /** @type {string} */ (values['response-body-mode']);
if (!['BUFFERED', 'FULL_DUPLEX_STREAMED'].includes(bodyMode)) fail(`bad --body-mode ${bodyMode}`);
if (!['NONE', 'BUFFERED', 'FULL_DUPLEX_STREAMED'].includes(responseBodyMode))
  fail(`bad --response-body-mode ${responseBodyMode}`);
for (const [what, f] of [
  ['the dev gateway (packages/dev-gateway)', join(GATEWAY_BIN, '..', '..', 'dist', 'main.js')],
  ['the EPP (apps/epp)', join(EPP_BIN, '..', '..', 'dist', 'main.js')],
  [
    'the simulator (packages/model-server-sim)',
    resolve(import.meta.dirname, '..', 'packages/model-server-sim/dist/index.js'),
  ],
]) {
  if (!existsSync(f)) fail(`${what} is not built (${f} missing): run npm run build first`);
}

const { runRouting } = await import('./routing/runner.mjs');
const resultsDir = join(import.meta.dirname, 'results');
const load0 = loadavg()[0];
console.log(
  `[routing] ${config.mode} run: seeds ${config.seeds.join(',')}, time scale ${config.timeScale}, ${config.durationS} s per point, ` +
    `body mode ${bodyMode}, response body mode ${responseBodyMode}; load average ${load0.toFixed(1)}`,
);
const run = await runRouting({
  config,
  workloads,
  policies,
  responseBodyMode,
  gatewayArgs: [`--body-mode=${bodyMode}`],
  log: (s) => console.log(s),
});
const agg = aggregate(run.points);
/** @type {Record<string, { prefillTokens: any, hitRate: any, promptTokens: any }>} */
const oracle = {};
for (const q of new Set(Object.values(run.oracles).flatMap((o) => Object.keys(o)))) {
  const per = Object.values(run.oracles)
    .map((o) => o[q])
    .filter(Boolean);
  oracle[q] = {
    promptTokens: spread(per.map((o) => o.promptTokens)),
    prefillTokens: spread(per.map((o) => o.prefillTokens)),
    hitRate: spread(per.map((o) => o.hitRate)),
  };
}
const quickRun = config.mode === 'quick';
const json = {
  name: 'routing',
  generated_at: new Date().toISOString(),
  quick: config.mode === 'quick',
  seconds: run.seconds,
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gib: +(totalmem() / 2 ** 30).toFixed(1),
    load_avg_start: load0,
    load_avg_end: loadavg()[0],
  },
  node: process.version,
  // The commit the components were built from (the working tree may hold other helpers' uncommitted changes).
  git_head:
    spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || undefined,
  config,
  model: MODEL,
  cluster: CLUSTER,
  gateway: { bodyMode, responseBodyMode, messageTimeout: '2s', failureMode: 'FailClose' },
  eppScrapeIntervalWallMs: scrapeIntervalMs(config.timeScale),
  policies: POLICIES.filter((p) => (policies ? policies.includes(p.name) : runsByDefault(p, quickRun))).map(
    (p) => ({
      name: p.name,
      label: p.label,
      lbPolicy: p.lbPolicy,
      eppConfig: p.eppConfig,
      eppArgs: p.eppArgs,
    }),
  ),
  workloads: WORKLOADS.filter((w) => !workloads || workloads.includes(w.name)).map((w) => ({
    name: w.name,
    title: w.title,
    describe: w.describe,
    params: w.params,
  })),
  targets: evaluateTargets(run.points, agg, config.seeds),
  oracle,
  aggregate: agg,
  points: run.points,
};
const variant = values.variant;
const outDir = variant ? join(resultsDir, 'routing-variants') : resultsDir;
const outName = variant ?? 'routing';
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, `${outName}.json`),
  `${JSON.stringify(json, (_k, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v), 1)}\n`,
);
if (!variant) writeRoutingCharts(json, resultsDir);
const variantLine = variant
  ? `Variant: ${variant} (\`node bench/routing.bench.mjs ${process.argv.slice(2).join(' ')}\`)\n\n`
  : '';
// A variant has no charts of its own.
writeFileSync(
  join(outDir, `${outName}.md`),
  `${variantLine}${routingMarkdown(json, { charts: !variant })}\n`,
);
if (!values['no-report']) writeSuiteReport(resultsDir, { quick: json.quick });
for (const t of json.targets)
  console.log(
    `[routing] ${t.pass === null ? 'NOT EVALUATED' : t.pass ? 'PASS' : 'FAIL'}${t.informational ? ' (informational)' : ''}: ${t.text}`,
  );
console.log(
  `[routing] done in ${run.seconds.toFixed(0)} s; wrote ${variant ? `bench/results/routing-variants/${variant}.json, .md` : 'bench/results/routing.json, routing.md, charts/'}${values['no-report'] ? '' : ', REPORT.md'}`,
);

// `npm run bench -w @igw/metrics-parser [-- --quick]`: one 30 KB vLLM-shaped page, the default vLLM spec set;
// median and p99 per page for the WASM extractor, the TS reference, parse-prometheus-text-format (a generic npm
// parser) and the floor (copy the page in + SIMD newline count, in WASM); then WASM memory growth over many parses.
// Writes bench/results/metrics-parser.json and .md at the repository root.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { engineConfig } from '../engines.js';
import { MetricsExtractor } from '../extractor.js';
import { vllmPage } from '../fixtures/pages.js';
import { buildPlan } from '../plan.js';
import { ReferenceExtractor } from '../reference.js';
import { WasmScanner } from '../wasm.js';
import { round3, type Timing, timeCalls } from './stats.js';

const quick = process.argv.includes('--quick');
const resultsDir = new URL('../../../../bench/results/', import.meta.url);
const log = (msg: string) => console.log(`[metrics-parser bench] ${msg}`);

const cfg = engineConfig('vllm');
const page = vllmPage({ seed: 42, targetBytes: 30_000 });
const bytes = page.bytes;
const wasm = new MetricsExtractor(cfg);
const reference = new ReferenceExtractor(cfg);
const floorScanner = new WasmScanner([]);
const countOnlyScanner = new WasmScanner([]);
const decoder = new TextDecoder();
const wanted = buildPlan(cfg).slots.map((s) => s.spec.name);

/** The generic parser must do the same job: decode, parse everything, then find the wanted families. */
function generic(): number {
  const families = parsePrometheusTextFormat(decoder.decode(bytes));
  let found = 0;
  for (const f of families) if (wanted.includes(f.name) && f.metrics.length > 0) found++;
  return found;
}

// Sanity: every implementation sees the same page the same way before we time anything.
const w = wasm.extract(bytes);
if (w.errors.length !== 0 || w.waitingQueueSize !== page.expected.waitingQueueSize) {
  throw new Error(`WASM extractor disagrees with the fixture: ${JSON.stringify(w)}`);
}
if (JSON.stringify(reference.extract(bytes)) !== JSON.stringify(w))
  throw new Error('reference disagrees with WASM');
if (generic() < 5) throw new Error('generic parser did not find the wanted families');
const lines = floorScanner.countNewlines(bytes);
countOnlyScanner.countNewlines(bytes); // loads the page once; the timed calls below only count

const scale = quick ? 0.1 : 1;
const n = (x: number) => Math.max(100, Math.round(x * scale));
log(`page ${bytes.length} bytes, ${lines} lines; ${quick ? 'quick' : 'full'} run on ${cpus().length} CPUs`);

const timings: Record<string, Timing> = {};
// batch: calls per timed sample, so that one sample lasts >= ~15 µs and the hrtime cost does not count
for (const [name, fn, iters, batch] of [
  ['floor', () => floorScanner.countNewlines(bytes), n(200_000), 8],
  ['floor_count_only', () => countOnlyScanner.countNewlinesLoaded(bytes.length), n(200_000), 8],
  ['wasm', () => wasm.extract(bytes), n(200_000), 4],
  ['ts', () => reference.extract(bytes), n(20_000), 1],
  ['generic', generic, n(3_000), 1],
] as const) {
  log(`timing ${name} (${iters} pages, ${batch} per sample)...`);
  timings[name] = timeCalls(fn, iters, Math.ceil(iters / 10), batch);
  log(`  ${name}: median ${timings[name]!.median_us} us, p99 ${timings[name]!.p99_us} us`);
}

const memoryParses = quick ? 100_000 : 1_000_000;
log(`memory: ${memoryParses} WASM parses...`);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const wasmBefore = wasm.memoryBytes();
const heapBefore = process.memoryUsage().heapUsed;
for (let i = 0; i < memoryParses; i++) {
  wasm.extract(bytes);
  if (i % 250_000 === 249_999) log(`  ${i + 1} parses`);
}
gc?.();
const memoryGrowth = wasm.memoryBytes() - wasmBefore;
const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

const t = (k: string) => timings[k]!;
const results = {
  generated_at: new Date().toISOString(),
  quick,
  node: process.version,
  cpu_model: cpus()[0]?.model,
  cpus: cpus().length,
  note: 'Shared 2-core machine (other jobs ran at the same time): absolute numbers are noisy; ratios come from one run.',
  page_bytes: bytes.length,
  page_lines: lines,
  spec_set: 'vllm (waiting, running, kv + gpu_cache fallback, lora_requests_info, cache_config_info)',
  wasm_median_us: t('wasm').median_us,
  wasm_p99_us: t('wasm').p99_us,
  ts_median_us: t('ts').median_us,
  ts_p99_us: t('ts').p99_us,
  generic_median_us: t('generic').median_us,
  generic_p99_us: t('generic').p99_us,
  floor_median_us: t('floor').median_us,
  floor_p99_us: t('floor').p99_us,
  floor_count_only_median_us: t('floor_count_only').median_us,
  floor_count_only_p99_us: t('floor_count_only').p99_us,
  ratio_vs_floor: round3(t('wasm').median_us / t('floor').median_us),
  ratio_vs_floor_count_only: round3(t('wasm').median_us / t('floor_count_only').median_us),
  ratio_vs_generic: round3(t('generic').median_us / t('wasm').median_us),
  ratio_vs_ts: round3(t('ts').median_us / t('wasm').median_us),
  wasm_mb_per_s: round3(bytes.length / t('wasm').median_us),
  iterations: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, v.iterations])),
  memory_parses: memoryParses,
  memory_growth_bytes: memoryGrowth,
  js_heap_growth_bytes: heapGrowth,
  js_heap_measured_after_gc: gc !== undefined,
  targets: {
    median_le_8us: t('wasm').median_us <= 8,
    within_4x_of_floor: t('wasm').median_us / t('floor').median_us <= 4,
    within_4x_of_floor_count_only: t('wasm').median_us / t('floor_count_only').median_us <= 4,
    at_least_30x_faster_than_generic: t('generic').median_us / t('wasm').median_us >= 30,
    no_memory_growth_over_1m_parses: memoryParses >= 1_000_000 ? memoryGrowth === 0 : null,
  },
};

const row = (label: string, k: string, vsWasm: string) =>
  `| ${label} | ${t(k).median_us} | ${t(k).p99_us} | ${t(k).iterations} | ${t(k).batch} | ${vsWasm} |`;
const md = `# metrics-parser benchmark

${quick ? '**Quick run** (fewer iterations; memory growth over 100,000 parses, not 1,000,000).\n\n' : ''}Page: generated vLLM-shaped /metrics page, ${bytes.length} bytes, ${lines} lines; spec set: ${results.spec_set}.
Node ${process.version}, ${cpus().length} × ${results.cpu_model}. ${results.note}

| implementation | median µs/page | p99 µs/page | pages timed | pages per sample | median vs WASM |
| --- | ---: | ---: | ---: | ---: | ---: |
${row('WASM extractor (this package)', 'wasm', '1×')}
${row('TypeScript reference (this package)', 'ts', `${results.ratio_vs_ts}× slower`)}
${row('parse-prometheus-text-format 1.1.1 (decode + parse + find)', 'generic', `${results.ratio_vs_generic}× slower`)}
${row('floor: copy the page into WASM + SIMD newline count', 'floor', `${round3(1 / results.ratio_vs_floor)}×`)}
${row('floor without the copy: SIMD newline count only', 'floor_count_only', `${round3(1 / results.ratio_vs_floor_count_only)}×`)}

| target | measured | met |
| --- | --- | --- |
| median ≤ 8 µs per page | ${t('wasm').median_us} µs | ${results.targets.median_le_8us ? 'yes' : 'NO'} |
| within 4× of the floor (both start from a JS Uint8Array) | ${results.ratio_vs_floor}× | ${results.targets.within_4x_of_floor ? 'yes' : 'NO'} |
| (stricter: within 4× of the count alone, page already in WASM) | ${results.ratio_vs_floor_count_only}× | ${results.ratio_vs_floor_count_only <= 4 ? 'yes' : 'NO'} |
| ≥ 30× faster than the generic parser | ${results.ratio_vs_generic}× | ${results.targets.at_least_30x_faster_than_generic ? 'yes' : 'NO'} |
| no WASM memory growth over ${memoryParses.toLocaleString('en-US')} parses | ${memoryGrowth} bytes | ${memoryGrowth === 0 ? 'yes' : 'NO'} |

Each timed sample covers \`pages per sample\` consecutive pages (one hrtime pair costs a few hundred ns, which would
swamp a 2 µs call); median and p99 are over those samples, per page.

JS heap change over the same parses${gc ? ' (after GC)' : ' (no --expose-gc, so not collected)'}: ${heapGrowth} bytes.
`;

writeFileSync(new URL('metrics-parser.json', resultsDir), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL('metrics-parser.md', resultsDir), md);
log(`wrote bench/results/metrics-parser.json and .md`);
console.log(md);

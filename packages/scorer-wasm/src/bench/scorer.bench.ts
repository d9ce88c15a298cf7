// `npm run bench` for @igw/scorer-wasm: per-decision latency (WASM vs the TS reference, same run, same requests),
// prefix hashing throughput, and prefix-index memory at 100 endpoints with full LRUs.
// Writes bench/results/scorer.json (named numbers) and bench/results/scorer.md. `--quick` for a short run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { defaultEndpointPickerConfig } from '../config/parse.js';
import { ReferenceScheduler } from '../reference/reference-scheduler.js';
import { xxh64Parts } from '../reference/xxhash64.js';
import { Scheduler } from '../scheduler.js';
import type { EndpointPickerConfig, ScheduleRequest } from '../types.js';
import { Cfg, instantiateScorer, L } from '../wasm/abi.js';
import { writeConfigBlock } from '../wasm/config-block.js';
import { percentile, poolMetrics, prompts } from './workload.js';

const quick = process.argv.includes('--quick');
const log = (msg: string) => console.log(`[scorer-bench] ${msg}`);
const numbers: Record<string, number> = {};

interface Impl {
  addEndpoint: Scheduler['addEndpoint'];
  updateMetrics: Scheduler['updateMetrics'];
  schedule: Scheduler['schedule'];
}

function configWithLru(lru: number): EndpointPickerConfig {
  const cfg = defaultEndpointPickerConfig({ env: {} });
  return { ...cfg, prefixCache: { ...cfg.prefixCache!, lruCapacityPerServer: lru } };
}

function timeDecisions(impl: Impl, reqs: ScheduleRequest[], iterations: number): Float64Array {
  const warm = Math.min(iterations, 2000);
  for (let i = 0; i < warm; i++) impl.schedule(reqs[i % reqs.length]!);
  const t = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const r = reqs[i % reqs.length]!;
    const t0 = process.hrtime.bigint();
    const res = impl.schedule(r);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if (res.status !== 'ok') throw new Error(`unexpected ${res.status}`);
  }
  return t.sort();
}

interface CaseResult {
  endpoints: number;
  prompt: string;
  lruCapacityPerServer: number;
  wasm: { p50: number; p99: number; mean: number };
  ref: { p50: number; p99: number; mean: number };
  speedupP50: number;
  speedupMean: number;
}

const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;

function runCase(endpoints: number, promptBytes: number, label: string): CaseResult {
  // the 1000-endpoint case uses a smaller LRU: 1000 x 31,250 entries would need ~0.8 GB of linear memory
  const lru = endpoints >= 1000 ? 4096 : 31250;
  const cfg = configWithLru(lru);
  const ms = poolMetrics(endpoints, endpoints);
  const reqs: ScheduleRequest[] = prompts(promptBytes === 0 ? 1 : 256, promptBytes, 7).map((p, i) => ({
    prompt: p,
    targetModel: `lora-${i % 8}`,
    priority: 0,
    nowMs: 1_000_050,
  }));
  const iterations = quick ? (endpoints >= 1000 ? 300 : 1500) : endpoints >= 1000 ? 3000 : 20000;
  const build = (impl: Impl) => {
    ms.forEach((m, i) => {
      impl.updateMetrics(impl.addEndpoint(`10.${(i >> 8) & 255}.${i & 255}.1:8000`), m);
    });
    return impl;
  };
  const wasm = timeDecisions(
    build(Scheduler.create(cfg, { seed: 1, initialCapacity: endpoints })),
    reqs,
    iterations,
  );
  const ref = timeDecisions(build(new ReferenceScheduler(cfg, { seed: 1 })), reqs, iterations);
  const r: CaseResult = {
    endpoints,
    prompt: label,
    lruCapacityPerServer: lru,
    wasm: { p50: percentile(wasm, 50), p99: percentile(wasm, 99), mean: mean(wasm) },
    ref: { p50: percentile(ref, 50), p99: percentile(ref, 99), mean: mean(ref) },
    speedupP50: 0,
    speedupMean: 0,
  };
  r.speedupP50 = r.ref.p50 / r.wasm.p50;
  r.speedupMean = r.ref.mean / r.wasm.mean;
  const key = `${endpoints}ep_${label}`;
  numbers[`decision_wasm_${key}_p50_us`] = r.wasm.p50;
  numbers[`decision_wasm_${key}_p99_us`] = r.wasm.p99;
  numbers[`decision_ref_${key}_p50_us`] = r.ref.p50;
  numbers[`decision_ref_${key}_p99_us`] = r.ref.p99;
  numbers[`decision_speedup_${key}_p50`] = r.speedupP50;
  log(
    `${endpoints} endpoints, ${label} prompt: wasm p50 ${r.wasm.p50.toFixed(2)} us p99 ${r.wasm.p99.toFixed(2)} us | ` +
      `ref p50 ${r.ref.p50.toFixed(2)} us p99 ${r.ref.p99.toFixed(2)} us | x${r.speedupP50.toFixed(2)}`,
  );
  return r;
}

/** Chained 64-byte-block hashing straight over the WASM input buffer (no encoding), and one big XXH64. */
function hashing(): void {
  const blocks = 16384; // 1 MiB per call
  const cfg = configWithLru(1);
  const big: EndpointPickerConfig = {
    ...cfg,
    prefixCache: { ...cfg.prefixCache!, maxPrefixBlocksToMatch: blocks, lruCapacityPerServer: 1 },
  };
  const ex = instantiateScorer();
  writeConfigBlock(new Float64Array(ex.memory.buffer), ex.cfgPtr() / 8, big);
  ex.applyConfig();
  const bytes = blocks * 64;
  ex.reserve(1, 1, 1, bytes + 64 + 8 + 16, blocks);
  const lay = new Float64Array(ex.memory.buffer, ex.layoutPtr(), 32);
  const input = lay[L.input]!;
  const u8 = new Uint8Array(ex.memory.buffer, input, bytes);
  for (let i = 0; i < bytes; i++) u8[i] = (i * 31 + 7) & 0xff;
  const reps = quick ? 20 : 200;
  for (let i = 0; i < 5; i++) ex.hashPrompt(0, bytes);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) if (ex.hashPrompt(0, bytes) !== blocks) throw new Error('hash count');
  let s = Number(process.hrtime.bigint() - t0) / 1e9;
  numbers.hash_wasm_chained_64B_blocks_GBps = (bytes * reps) / s / 1e9;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) ex.hashBytes(input, bytes);
  s = Number(process.hrtime.bigint() - t0) / 1e9;
  numbers.hash_wasm_xxh64_1MiB_GBps = (bytes * reps) / s / 1e9;
  // the reference chain over the same bytes
  const data = new Uint8Array(u8);
  const scratch = new Uint8Array(72);
  const parts = new Uint32Array(2);
  const refReps = Math.max(2, Math.floor(reps / 10));
  t0 = process.hrtime.bigint();
  for (let r = 0; r < refReps; r++) {
    xxh64Parts(data, 0, 64, parts);
    for (let b = 1; b < blocks; b++) {
      scratch.set(data.subarray(b * 64, b * 64 + 64));
      const hi = parts[0]!;
      const lo = parts[1]!;
      for (let k = 0; k < 4; k++) {
        scratch[64 + k] = (lo >>> (8 * k)) & 0xff;
        scratch[68 + k] = (hi >>> (8 * k)) & 0xff;
      }
      xxh64Parts(scratch, 0, 72, parts);
    }
  }
  s = Number(process.hrtime.bigint() - t0) / 1e9;
  numbers.hash_ref_chained_64B_blocks_GBps = (bytes * refReps) / s / 1e9;
  void Cfg;
  log(
    `hashing: wasm chained ${numbers.hash_wasm_chained_64B_blocks_GBps.toFixed(2)} GB/s, wasm xxh64 1 MiB ` +
      `${numbers.hash_wasm_xxh64_1MiB_GBps.toFixed(2)} GB/s, ref chained ${numbers.hash_ref_chained_64B_blocks_GBps.toFixed(3)} GB/s`,
  );
}

/** Fills every LRU of a 100-endpoint pool (default capacity 31,250) and reports the memory it takes. */
function prefixMemory(): void {
  const n = 100;
  const cfg = defaultEndpointPickerConfig({ env: {} });
  const cap = cfg.prefixCache!.lruCapacityPerServer;
  const s = Scheduler.create(cfg, { seed: 1, initialCapacity: n });
  const addrs = Array.from({ length: n }, (_, i) => `10.9.${i}.1:8000`);
  for (const a of addrs) s.addEndpoint(a);
  const perPrompt = 256;
  const rounds = Math.ceil(cap / perPrompt);
  let k = 0;
  const t0 = Date.now();
  for (let e = 0; e < n; e++) {
    for (let r = 0; r < rounds; r++) {
      // a distinct 16 KiB prompt per round (distinct first block -> distinct chain)
      const p = `${k++} `.padEnd(64, '#').repeat(perPrompt);
      s.schedule({ prompt: p, targetModel: 'm', priority: 0, nowMs: 0, subsetHint: [addrs[e]!] });
    }
  }
  const st = s.stats();
  const info = s.memoryInfo();
  numbers.prefix_index_100ep_entries = st.prefixIndexEntries;
  numbers.prefix_index_100ep_wasm_memory_bytes = info.memoryBytes;
  numbers.prefix_index_100ep_state_region_bytes = info.regionBytes;
  numbers.prefix_index_100ep_bytes_per_endpoint = info.regionBytes / n;
  // decisions against the full index (the hash table no longer fits in cache)
  const ms = poolMetrics(n, 5);
  addrs.forEach((a, i) => {
    s.updateMetrics(s.addEndpoint(a), ms[i]!);
  });
  const reqs = prompts(256, 4096, 11).map((p, i) => ({
    prompt: p,
    targetModel: `lora-${i % 8}`,
    priority: 0,
    nowMs: 1_000_050,
  }));
  const t = timeDecisions(s, reqs, quick ? 2000 : 20000);
  numbers.decision_wasm_100ep_4KB_full_lru_p50_us = percentile(t, 50);
  numbers.decision_wasm_100ep_4KB_full_lru_p99_us = percentile(t, 99);
  log(
    `100 endpoints with full LRUs, 4KB prompt: wasm p50 ${percentile(t, 50).toFixed(2)} us p99 ${percentile(t, 99).toFixed(2)} us`,
  );
  log(
    `prefix index, 100 endpoints full (${st.prefixIndexEntries} entries, ${((Date.now() - t0) / 1000).toFixed(1)} s to fill): ` +
      `${(info.regionBytes / 2 ** 20).toFixed(1)} MiB state, ${(info.regionBytes / n / 1024).toFixed(0)} KiB per endpoint`,
  );
}

function main(): void {
  log(`start${quick ? ' (quick)' : ''}; node ${process.version}, ${cpus().length} cpus`);
  const cases: CaseResult[] = [];
  for (const endpoints of [8, 100, 1000]) {
    for (const [bytes, label] of [
      [0, 'empty'],
      [4096, '4KB'],
      [102400, '100KB'],
    ] as const) {
      cases.push(runCase(endpoints, bytes, label));
    }
  }
  hashing();
  prefixMemory();
  const c100 = cases.find((c) => c.endpoints === 100 && c.prompt === '4KB')!;
  const targets = {
    '100ep_4KB_p50_le_5us': c100.wasm.p50 <= 5,
    '100ep_4KB_p99_le_20us': c100.wasm.p99 <= 20,
    wasm_ge_2x_ref_all_cases_p50: cases.every((c) => c.speedupP50 >= 2),
    hashing_ge_1GBps: numbers.hash_wasm_chained_64B_blocks_GBps! >= 1,
    prefix_le_1MB_per_endpoint: numbers.prefix_index_100ep_bytes_per_endpoint! <= 1024 * 1024,
  };
  const out = {
    generated_at: new Date().toISOString(),
    quick,
    node: process.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    note:
      'Shared 2-core machine (other jobs running); treat absolute numbers as noisy. WASM and reference were measured ' +
      'in the same run on the same requests. A decision = schedule(): prompt encode, hashing, filters, scoring, ' +
      'picking and recording the pick. Default config (queue 2, kv 2, prefix 3, max-score); 1000-endpoint cases use ' +
      'lruCapacityPerServer 4096.',
    numbers,
    targets,
    cases,
  };
  const dir = new URL('../../../../bench/results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('scorer.json', dir), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(new URL('scorer.md', dir), markdown(out.note, cases, targets));
  log('wrote bench/results/scorer.json and scorer.md');
}

function markdown(note: string, cases: CaseResult[], targets: Record<string, boolean>): string {
  const f = (x: number) => x.toFixed(2);
  const rows = cases.map(
    (c) =>
      `| ${c.endpoints} | ${c.prompt} | ${c.lruCapacityPerServer} | ${f(c.wasm.p50)} | ${f(c.wasm.p99)} | ${f(c.ref.p50)} | ${f(c.ref.p99)} | ${f(c.speedupP50)}x |`,
  );
  return `# @igw/scorer-wasm benchmark${quick ? ' (quick run)' : ''}

${note}

Per-decision latency in microseconds:

| endpoints | prompt | LRU/endpoint | WASM p50 | WASM p99 | TS ref p50 | TS ref p99 | speed-up (p50) |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

| hashing | GB/s |
| --- | ---: |
| WASM chained 64-byte blocks (as schedule() hashes) | ${f(numbers.hash_wasm_chained_64B_blocks_GBps!)} |
| WASM XXH64 over 1 MiB | ${f(numbers.hash_wasm_xxh64_1MiB_GBps!)} |
| TS reference chained 64-byte blocks | ${numbers.hash_ref_chained_64B_blocks_GBps!.toFixed(3)} |

Prefix index at 100 endpoints with full LRUs (31,250 entries each, ${numbers.prefix_index_100ep_entries} entries):
${(numbers.prefix_index_100ep_state_region_bytes! / 2 ** 20).toFixed(1)} MiB of state
(${(numbers.prefix_index_100ep_bytes_per_endpoint! / 1024).toFixed(0)} KiB per endpoint; the Go EPP uses about 11 MB per endpoint).

Decisions against that full index (100 endpoints, 4 KB prompts): WASM p50
${numbers.decision_wasm_100ep_4KB_full_lru_p50_us!.toFixed(2)} us, p99 ${numbers.decision_wasm_100ep_4KB_full_lru_p99_us!.toFixed(2)} us.

Targets: ${Object.entries(targets)
    .map(([k, v]) => `${k} ${v ? 'met' : 'NOT met'}`)
    .join('; ')}.
`;
}

main();

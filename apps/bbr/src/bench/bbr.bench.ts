// `npm run bench -w @igw/bbr [-- --quick]`:
//  1. model extraction, WASM fast path vs JSON.parse, 1 KB / 100 KB / 1 MB chat bodies, interleaved in one run;
//  2. BBR server CPU per request vs the bare grpc-js ext_proc floor (child processes, same client, same bodies).
// Results: bench/results/bbr.json (named numbers) and bench/results/bbr.md.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EnvoyLikeClient } from '@igw/ext-proc';
import { JsonScanner } from '../scan/json-scanner.js';
import { chatBody } from './bodies.js';

const quick = process.argv.includes('--quick');
const RESULTS = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
const log = (s: string) => process.stdout.write(`[bbr bench] ${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

// ---------- 1. extraction ----------
function timeOps(fn: () => unknown, iters: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / iters;
}

function extraction() {
  const scanner = new JsonScanner();
  // The three sizes, then two 100 KB bodies with another escape mix (the scanner recognises `\n` escapes in
  // SIMD and walks the others, so its speed depends on the mix).
  const sizes = [
    { label: '1kb', bytes: 1024, separator: '\n', what: '' },
    { label: '100kb', bytes: 100 * 1024, separator: '\n', what: '' },
    { label: '1mb', bytes: 1024 * 1024, separator: '\n', what: '' },
    { label: '100kb_quote_escapes', bytes: 100 * 1024, separator: '"', what: ', `\\"` escapes' },
    { label: '100kb_no_escapes', bytes: 100 * 1024, separator: ' ', what: ', no escapes' },
  ] as const;
  const out: Record<string, number> = {};
  const rows: string[] = [];
  for (const { label, bytes, separator, what } of sizes) {
    const body = chatBody(bytes, undefined, separator);
    const fast = () => {
      const r = scanner.scan(body);
      return r.kind === 'object' ? r.fields.get('model') : undefined;
    };
    const slow = () => (JSON.parse(body.toString('utf8')) as { model: string }).model;
    // The part of the fast path that is only the copy of the body (a memcpy of the same size into a Uint8Array).
    const copyTarget = new Uint8Array(body.length + 64);
    const copy = () => copyTarget.set(body, 16);
    const a = fast() as { value: unknown };
    if (a.value !== slow()) throw new Error('fast path and JSON.parse disagree on the bench body');
    // Budget ~2 ms per timed batch, many alternating batches (the machine is shared); warm both paths well (WASM
    // tier-up, JIT).
    const iters = Math.max(5, Math.round(2000 / Math.max(0.5, timeOps(slow, 50))));
    for (let i = 0; i < (quick ? 3 : 10); i++) {
      timeOps(fast, iters);
      timeOps(slow, iters);
    }
    const rounds = quick ? 9 : 61;
    const f: number[] = [];
    const s: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < rounds; i++) {
      f.push(timeOps(fast, iters));
      s.push(timeOps(slow, iters));
      c.push(timeOps(copy, iters));
    }
    const fm = median(f);
    const sm = median(s);
    const cm = median(c);
    out[`extract_${label}_body_copy_us`] = r2(cm);
    out[`extract_${label}_fast_us`] = r2(fm);
    out[`extract_${label}_json_parse_us`] = r2(sm);
    out[`extract_${label}_speedup_vs_json_parse`] = r2(sm / fm);
    out[`extract_${label}_body_bytes`] = body.length;
    rows.push(
      `| ${label.split('_')[0]} (${body.length} B${what}) | ${r2(fm)} | ${r2(cm)} | ${r2(sm)} | ${r2(sm / fm)}x |`,
    );
    log(
      `extract ${label}: fast ${r2(fm)} us (copy ${r2(cm)}), JSON.parse ${r2(sm)} us, ${r2(sm / fm)}x (median of ${rounds} rounds x ${iters})`,
    );
  }
  return { out, rows };
}

// ---------- 2. per-request cost vs the floor ----------
interface Child {
  proc: ChildProcess;
  port: number;
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

function startChild(which: 'bbr' | 'floor' | 'driver'): Promise<Child> {
  const proc = fork(fileURLToPath(new URL('./server-child.js', import.meta.url)), [which], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('message', (m: { port: number }) => {
      const cpu = () =>
        new Promise<number>((res) => {
          proc.once('message', (x: { cpu: { user: number; system: number } }) =>
            res(x.cpu.user + x.cpu.system),
          );
          proc.send('cpu');
        });
      const stop = () =>
        new Promise<void>((res) => {
          proc.once('exit', () => res());
          proc.send('stop');
        });
      resolve({ proc, port: m.port, cpu, stop });
    });
  });
}

async function load(port: number, body: Buffer, requests: number, concurrency: number) {
  const client = new EnvoyLikeClient({ address: `127.0.0.1:${port}` });
  await client.waitForReady();
  const lat: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      const t0 = process.hrtime.bigint();
      const r = await client.process({
        headers: { ':method': 'POST', ':path': '/v1/chat/completions' },
        body,
        chunkSize: 16_384,
      });
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.outcome !== 'continue') throw new Error(`unexpected outcome ${r.outcome}`);
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - t0) / 1000;
  client.close();
  return { lat, seconds };
}

async function perRequest() {
  const out: Record<string, number> = {};
  const rows: string[] = [];
  const concurrency = 16;
  for (const { label, bytes, n } of [
    { label: '1kb', bytes: 1024, n: quick ? 400 : 4000 },
    { label: '100kb', bytes: 100 * 1024, n: quick ? 150 : 1500 },
  ]) {
    const body = chatBody(bytes);
    const res: Record<string, { cpu: number; p50: number; p99: number; rps: number }> = {};
    // Alternate the servers twice and keep each one's better (less disturbed) run: the machine is shared.
    for (const which of ['floor', 'driver', 'bbr', 'floor', 'driver', 'bbr'] as const) {
      const child = await startChild(which);
      await load(child.port, body, Math.round(n / 5), concurrency); // warm-up
      const c0 = await child.cpu();
      const { lat, seconds } = await load(child.port, body, n, concurrency);
      const cpuUs = (await child.cpu()) - c0;
      await child.stop();
      const run = { cpu: cpuUs / n, p50: pct(lat, 50), p99: pct(lat, 99), rps: n / seconds };
      log(
        `${label} ${which}: ${r2(run.cpu)} us server CPU/req, p50 ${r2(run.p50)} ms, p99 ${r2(run.p99)} ms, ${Math.round(run.rps)} req/s`,
      );
      if (!res[which] || run.cpu < res[which].cpu) res[which] = run;
    }
    const b = res.bbr!;
    const f = res.floor!;
    const d = res.driver!;
    Object.assign(out, {
      [`req_${label}_driver_noop_cpu_us`]: r2(d.cpu),
      [`req_${label}_driver_noop_cpu_ratio_vs_floor`]: r2(d.cpu / f.cpu),
      [`req_${label}_bbr_cpu_us`]: r2(b.cpu),
      [`req_${label}_floor_cpu_us`]: r2(f.cpu),
      [`req_${label}_cpu_ratio_vs_floor`]: r2(b.cpu / f.cpu),
      [`req_${label}_bbr_extra_cpu_us`]: r2(b.cpu - f.cpu),
      [`req_${label}_bbr_p50_ms`]: r2(b.p50),
      [`req_${label}_bbr_p99_ms`]: r2(b.p99),
      [`req_${label}_floor_p50_ms`]: r2(f.p50),
      [`req_${label}_floor_p99_ms`]: r2(f.p99),
      [`req_${label}_bbr_rps`]: Math.round(b.rps),
      [`req_${label}_floor_rps`]: Math.round(f.rps),
    });
    rows.push(
      `| ${label} | ${r2(b.cpu)} | ${r2(d.cpu)} | ${r2(f.cpu)} | ${r2(b.cpu / f.cpu)}x | ${r2(b.p50)} / ${r2(b.p99)} | ${r2(f.p50)} / ${r2(f.p99)} | ${Math.round(b.rps)} / ${Math.round(f.rps)} |`,
    );
  }
  return { out, rows, concurrency };
}

const started = Date.now();
log(
  `${quick ? 'quick' : 'full'} run on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`,
);
const ex = extraction();
const pr = await perRequest();
const speedup100 = ex.out.extract_100kb_speedup_vs_json_parse ?? 0;
const results = {
  generated_at: new Date().toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    node: process.version,
    note: 'shared 2-core machine, other jobs running: noisy; compare ratios measured in the same run',
  },
  ...ex.out,
  ...pr.out,
  req_concurrency: pr.concurrency,
  go_bbr_reference_us: { '1kb': 3.8, '100kb': 117, '1mb': 691 },
  target_speedup_100kb_vs_json_parse: 5,
  target_met: speedup100 >= 5,
  seconds: Math.round((Date.now() - started) / 100) / 10,
};
const md = `# BBR benchmark

${quick ? 'Quick run. ' : ''}Generated ${results.generated_at} on ${results.machine.cpus} cores (${results.machine.cpu_model}), Node ${process.version}.
The machine is shared with other jobs and noisy: numbers are medians, and ratios compare runs made in the same process
and minute. Bodies are chat completions (prose with a \`\\n\` escape every ~100 bytes, \`model\` first).

## Model extraction: WASM top-level scan vs JSON.parse (same run)

Both timed paths start from the same Node Buffer holding the whole body (what the BBR's processor is handed by the
ext_proc stream driver) and end with the \`model\` string:
- fast path: \`JsonScanner.scan(body)\` + \`fields.get('model')\` = copy of the body into WASM memory, one WASM call
  that validates the whole body with JSON.parse's grammar and indexes the top-level members, then the member lookup
  and the UTF-8 decode of the model value;
- JSON.parse: \`JSON.parse(body.toString('utf8')).model\` = UTF-8 decode of the body + JSON.parse.

Target: >= 5x at 100 KB (${results.target_met ? 'met' : 'NOT met'}). Go BBR reference (issue 5): 3.8 us / 117 us / 691 us.
The last two rows vary the escape mix at 100 KB: \`\\n\` escapes are recognised in SIMD, others take a short walk.
"Of which body copy" is a memcpy of the same bytes into a Uint8Array, timed alongside: the share of the fast path
that zero-copy body assembly (chunks written straight into WASM memory by the stream driver) could save.

| body | fast path (us) | of which body copy (us) | JSON.parse (us) | speedup |
| --- | --- | --- | --- | --- |
${ex.rows.join('\n')}

## Per request: BBR vs the bare grpc-js ext_proc floor

Server CPU per request (child process \`process.cpuUsage\`), plaintext gRPC on loopback, the Envoy-like client at
concurrency ${pr.concurrency} in the parent (it shares the 2 cores, so judge by CPU per request, not req/s). The floor
answers the same message sequence (header reply after the body end-of-stream, body echoed in 62,000-byte chunks)
without any work; "driver" is the shared \`@igw/ext-proc\` stream driver with a no-op processor (protocol cost
without the BBR's work). Best of two alternating runs each.

| body | BBR CPU/req (us) | driver no-op CPU/req (us) | floor CPU/req (us) | BBR / floor | BBR p50 / p99 (ms) | floor p50 / p99 (ms) | req/s BBR / floor |
| --- | --- | --- | --- | --- | --- | --- | --- |
${pr.rows.join('\n')}
`;
mkdirSync(RESULTS, { recursive: true });
writeFileSync(`${RESULTS}bbr.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${RESULTS}bbr.md`, md);
log(`wrote bench/results/bbr.json and bbr.md in ${results.seconds} s`);

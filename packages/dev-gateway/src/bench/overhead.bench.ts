// Benchmark: what the dev gateway adds to a request, by configuration, measured in one run against a direct
// baseline. Loopback upstream (small JSON answer), fake ext_proc servers on the real @igw/ext-proc server and stream
// driver with a trivial processor (so this measures the gateway and the ext_proc protocol, not the EPP's
// scheduling). Everything runs in this one process: client, gateway, ext_proc servers, upstream.
// Writes bench/results/dev-gateway.{json,md}. `--quick` for a short run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { StreamProcessor } from '@igw/ext-proc';
import pino from 'pino';
import { defaultConfig, type GatewayConfig } from '../config.js';
import { type Gateway, startGateway } from '../gateway.js';
import { fakeExtProc, startUpstreams, tempDir, writePool } from '../testing/fixtures.js';

const quick = process.argv.includes('--quick');
const SEQUENTIAL = quick ? 200 : 1_500;
const CONCURRENT_TOTAL = quick ? 800 : 6_000;
const CONCURRENCY = 16;
const BODY = JSON.stringify({ model: 'm', prompt: 'Hello, benchmark.', max_tokens: 8 });

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/completions`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function measure(url: string): Promise<{ p50: number; p90: number; p99: number; rps: number }> {
  for (let i = 0; i < 50; i++) await post(url); // warm-up: connections, JIT
  const lat: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    const s = await post(url);
    if (s !== 200) throw new Error(`status ${s}`);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_TOTAL) {
        next++;
        const s = await post(url);
        if (s !== 200) throw new Error(`status ${s}`);
      }
    }),
  );
  const rps = CONCURRENT_TOTAL / ((performance.now() - t0) / 1000);
  return { p50: quantile(lat, 0.5), p90: quantile(lat, 0.9), p99: quantile(lat, 0.99), rps };
}

async function main(): Promise<void> {
  const logger = pino({ level: 'silent' });
  const [up] = await startUpstreams(['127.0.0.2'], (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      '{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":"hi","finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}',
    );
  });
  const upstream = up!;
  const dir = tempDir('igw-gw-bench-');
  const poolFile = `${dir}/pool.yaml`;
  writePool(poolFile, upstream.port, [upstream.ip]);
  const dest = upstream.address;
  const epp: StreamProcessor = {
    onRequest: () => ({
      setHeaders: [['x-gateway-destination-endpoint', dest]],
      dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': dest } },
    }),
    onResponseHeaders: () => ({ setHeaders: [['x-went-into-resp-headers', 'true']] }),
  };
  const bbr: StreamProcessor = { onRequest: () => ({ setHeaders: [['x-gateway-model-name', 'm']] }) };
  const eppServer = await fakeExtProc(epp);
  const bbrServer = await fakeExtProc(bbr);
  const base: Partial<GatewayConfig> = { eppSecure: false, bbrSecure: false, messageTimeoutMs: 5_000 };
  const configs: Array<{ name: string; cfg: Partial<GatewayConfig> }> = [
    {
      name: 'gateway, no ext_proc (round-robin)',
      cfg: { lbPolicy: 'round-robin', resourcesFile: poolFile, poolName: 'pool' },
    },
    { name: 'gateway + EPP, request phase only', cfg: { epp: eppServer.address, responseHeaders: false } },
    { name: 'gateway + EPP, response headers + body streamed', cfg: { epp: eppServer.address } },
    {
      name: 'gateway + BBR + EPP, response streamed',
      cfg: { epp: eppServer.address, bbr: bbrServer.address },
    },
    { name: 'gateway + EPP over TLS, response streamed', cfg: { epp: eppServer.address, eppSecure: true } },
  ];
  const tlsServer = await fakeExtProc(epp, true);
  configs[4]!.cfg.epp = tlsServer.address;

  const rows: Array<{ name: string; p50: number; p90: number; p99: number; rps: number }> = [];
  console.log(
    `[dev-gateway bench] ${quick ? 'quick' : 'full'}: ${SEQUENTIAL} sequential + ${CONCURRENT_TOTAL} at concurrency ${CONCURRENCY} per configuration`,
  );
  console.log('[dev-gateway bench] direct to the upstream (baseline)...');
  rows.push({ name: 'direct (baseline)', ...(await measure(`http://${dest}`)) });
  for (const c of configs) {
    console.log(`[dev-gateway bench] ${c.name}...`);
    const g: Gateway = await startGateway(defaultConfig({ ...base, ...c.cfg }), { logger });
    rows.push({ name: c.name, ...(await measure(g.url)) });
    await g.close(500);
  }
  agent.destroy();
  await Promise.all([eppServer.stop(200), bbrServer.stop(200), tlsServer.stop(200), upstream.close()]);
  rmSync(dir, { recursive: true, force: true });

  const direct = rows[0]!;
  const results = {
    name: 'dev-gateway',
    generated_at: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      note: 'shared 2-core machine, noisy; one process runs client, gateway, ext_proc servers and upstream',
    },
    node: process.version,
    sequential_requests: SEQUENTIAL,
    concurrent_requests: CONCURRENT_TOTAL,
    concurrency: CONCURRENCY,
    configurations: rows.map((r) => ({
      name: r.name,
      latency_p50_ms: +r.p50.toFixed(3),
      latency_p90_ms: +r.p90.toFixed(3),
      latency_p99_ms: +r.p99.toFixed(3),
      added_p50_ms: +(r.p50 - direct.p50).toFixed(3),
      throughput_rps: +r.rps.toFixed(0),
      throughput_vs_direct: +(r.rps / direct.rps).toFixed(3),
    })),
  };
  const out = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}dev-gateway.json`, `${JSON.stringify(results, null, 2)}\n`);
  const md = [
    `# dev-gateway: per-request overhead (${quick ? 'quick' : 'full'} run, ${results.generated_at})`,
    '',
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), shared and noisy. Client, gateway, fake ext_proc`,
    'servers (real @igw/ext-proc server and stream driver, trivial processors) and the upstream all run in one process,',
    `so the numbers include their CPU contention. ${SEQUENTIAL} sequential requests for latency, then ${CONCURRENT_TOTAL} at`,
    `concurrency ${CONCURRENCY} for throughput. Ratios are against the direct baseline measured in the same run.`,
    '',
    '| configuration | p50 ms | p90 ms | p99 ms | added p50 ms | req/s | throughput vs direct |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.configurations.map(
      (c) =>
        `| ${c.name} | ${c.latency_p50_ms.toFixed(2)} | ${c.latency_p90_ms.toFixed(2)} | ${c.latency_p99_ms.toFixed(2)} | ${c.added_p50_ms.toFixed(2)} | ${c.throughput_rps} | ${c.throughput_vs_direct.toFixed(2)} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(`${out}dev-gateway.md`, md);
  console.log(md);
}

await main();

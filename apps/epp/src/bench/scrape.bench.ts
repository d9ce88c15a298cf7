// The EPP's scrape cost: CPU of the scraper (one keep-alive loop per endpoint, WASM extraction, datastore write
// into the WASM scheduler) scraping 100 loopback pods at 20 Hz (--refresh-metrics-interval=50ms), each serving a
// ~30 KB vLLM-shaped /metrics page. Measured with process.cpuUsage() over a fixed window, in a child process that
// does nothing else. Baseline in the same run: a floor that fetches the same pages on the same schedule over the
// same keep-alive agent and discards them (no extraction, no datastore). The pods run in a third process.
//   node dist/bench/scrape.bench.js [--quick]
// Writes bench/results/epp-scrape.json and epp-scrape.md.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';

const PODS = 100;
const INTERVAL_MS = 50;
const TARGET_CORES = 0.3;
const quick = process.argv.includes('--quick');
const WARMUP_MS = quick ? 1500 : 3000;
const WINDOW_MS = quick ? 4000 : 15000;
const ROLE = process.argv[2];
const podIp = (i: number) => `127.0.${1 + Math.floor(i / 200)}.${1 + (i % 200)}`;

interface Measured {
  mode: string;
  cpuCores: number;
  userCores: number;
  systemCores: number;
  scrapesPerSecond: number;
  failures: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  pageBytes: number;
}

async function runPods(): Promise<void> {
  const { vllmPage } = await import('../scrape/vllm-page.js');
  const servers: Server[] = [];
  let port = 0;
  let pageBytes = 0;
  for (let i = 0; i < PODS; i++) {
    const page = Buffer.from(
      vllmPage({
        waiting: i % 7,
        running: i % 5,
        kvUsage: (i % 10) / 10,
        runningLoras: i % 3 ? ['sql-lora'] : [],
      }),
    );
    pageBytes = page.length;
    const s = createServer((_q, r) => {
      r.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': page.length });
      r.end(page);
    });
    s.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, podIp(i), () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    servers.push(s);
  }
  process.send!({ ready: true, port, pageBytes });
}

async function runScraper(mode: 'epp' | 'floor', port: number, pageBytes: number): Promise<void> {
  const { PageFetcher } = await import('../scrape/fetch-page.js');
  const eld = monitorEventLoopDelay({ resolution: 5 });
  let stop: () => void;
  let scrapes: () => number;
  let failures: () => number;
  const fetcherOpts = {
    scheme: 'http' as const,
    insecureSkipVerify: true,
    timeoutMs: 5000,
    maxBytes: 16 << 20,
  };
  if (mode === 'epp') {
    const { ResourceSet, reconcile } = await import('@igw/k8s-sync');
    const { defaultEndpointPickerConfig, Scheduler } = await import('@igw/scorer-wasm');
    const { PoolDatastore } = await import('../datastore/datastore.js');
    const { EngineRegistry } = await import('../scrape/engines.js');
    const { Scraper } = await import('../scrape/scraper.js');
    const set = new ResourceSet('default');
    set.upsert({
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: 'pool' },
      spec: {
        selector: { matchLabels: { app: 'vllm' } },
        targetPorts: [{ number: port }],
        endpointPickerRef: { name: 'epp', port: { number: 9002 } },
      },
    });
    for (let i = 0; i < PODS; i++) {
      set.upsert({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${i}`, labels: { app: 'vllm' } },
        status: { podIP: podIp(i), conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
    const ds = new PoolDatastore(Scheduler.create(defaultEndpointPickerConfig()));
    ds.apply(
      reconcile(set, {
        mode: 'pool',
        namespace: 'default',
        name: 'pool',
        group: 'inference.networking.k8s.io',
      }),
    );
    const scraper = new Scraper({
      datastore: ds,
      fetcher: new PageFetcher(fetcherOpts),
      engines: new EngineRegistry(undefined, {}),
      intervalMs: INTERVAL_MS,
      path: '/metrics',
      metricsPort: 0,
      logger: pino({ level: 'silent' }),
    });
    scraper.start();
    const total = (k: 'scrapes' | 'failures') =>
      ds.endpoints().reduce((n, e) => n + (scraper.stats(e.address)?.[k] ?? 0), 0);
    scrapes = () => total('scrapes');
    failures = () => total('failures');
    stop = () => scraper.stop();
  } else {
    const fetcher = new PageFetcher(fetcherOpts);
    let ok = 0;
    let bad = 0;
    let stopped = false;
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < PODS; i++) {
      const ip = podIp(i);
      const handle = { cancel: undefined }; // same reusable receive buffer as the EPP's loops
      const tick = async () => {
        if (stopped) return;
        const t0 = Date.now();
        try {
          await fetcher.fetch(ip, port, '/metrics', handle);
          ok++;
        } catch {
          bad++;
        }
        if (!stopped) timers[i] = setTimeout(tick, Math.max(0, INTERVAL_MS - (Date.now() - t0)));
      };
      timers[i] = setTimeout(tick, Math.floor(Math.random() * INTERVAL_MS));
    }
    scrapes = () => ok;
    failures = () => bad;
    stop = () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      fetcher.close();
    };
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const s0 = scrapes();
  const f0 = failures();
  eld.enable();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const c = process.cpuUsage(c0);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  eld.disable();
  const result: Measured = {
    mode,
    cpuCores: (c.user + c.system) / 1e6 / secs,
    userCores: c.user / 1e6 / secs,
    systemCores: c.system / 1e6 / secs,
    scrapesPerSecond: (scrapes() - s0) / secs,
    failures: failures() - f0,
    eventLoopDelayP99Ms: eld.percentile(99) / 1e6,
    eventLoopDelayMaxMs: eld.max / 1e6,
    pageBytes,
  };
  stop();
  process.send!(result, () => process.exit(0));
}

async function child(args: string[]): Promise<{ proc: ChildProcess; first: unknown }> {
  const proc = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [first] = await once(proc, 'message');
  return { proc, first };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function parent(): Promise<void> {
  console.log(
    `[scrape bench] ${PODS} pods at ${1000 / INTERVAL_MS} Hz, window ${WINDOW_MS} ms${quick ? ' (quick)' : ''}`,
  );
  const pods = await child(['pods']);
  const { port, pageBytes } = pods.first as { port: number; pageBytes: number };
  console.log(`[scrape bench] pods ready on port ${port}, page ${pageBytes} bytes`);
  const results: Measured[] = [];
  try {
    // Floor and EPP alternate twice so drift of the shared machine hits both; medians of the two runs are kept.
    for (const mode of ['floor', 'epp', 'floor', 'epp'] as const) {
      console.log(`[scrape bench] measuring ${mode} ...`);
      const c = await child([mode, String(port), String(pageBytes)]);
      results.push(c.first as Measured);
      c.proc.kill();
      const m = c.first as Measured;
      console.log(
        `[scrape bench] ${mode}: ${r3(m.cpuCores)} cores, ${Math.round(m.scrapesPerSecond)} scrapes/s, ` +
          `${m.failures} failures, event-loop p99 ${r3(m.eventLoopDelayP99Ms)} ms`,
      );
    }
  } finally {
    pods.proc.kill();
  }
  const pick = (mode: string) => {
    const rs = results.filter((r) => r.mode === mode);
    const mean = (f: (r: Measured) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    return {
      cpuCores: mean((r) => r.cpuCores),
      userCores: mean((r) => r.userCores),
      systemCores: mean((r) => r.systemCores),
      scrapesPerSecond: mean((r) => r.scrapesPerSecond),
      failures: rs.reduce((s, r) => s + r.failures, 0),
      eventLoopDelayP99Ms: Math.max(...rs.map((r) => r.eventLoopDelayP99Ms)),
      eventLoopDelayMaxMs: Math.max(...rs.map((r) => r.eventLoopDelayMaxMs)),
      runs: rs.map((r) => r3(r.cpuCores)),
    };
  };
  const epp = pick('epp');
  const floor = pick('floor');
  const expected = PODS * (1000 / INTERVAL_MS);
  const json = {
    name: 'epp-scrape',
    quick,
    generated_at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version, shared: true },
    setup: {
      pods: PODS,
      interval_ms: INTERVAL_MS,
      page_bytes: pageBytes,
      window_ms: WINDOW_MS,
      warmup_ms: WARMUP_MS,
    },
    results: {
      epp_scraper_cpu_cores: r3(epp.cpuCores),
      epp_scraper_user_cores: r3(epp.userCores),
      epp_scraper_system_cores: r3(epp.systemCores),
      epp_scrapes_per_second: Math.round(epp.scrapesPerSecond),
      epp_scrape_rate_vs_expected: r3(epp.scrapesPerSecond / expected),
      epp_failures: epp.failures,
      epp_event_loop_delay_p99_ms: r3(epp.eventLoopDelayP99Ms),
      epp_event_loop_delay_max_ms: r3(epp.eventLoopDelayMaxMs),
      floor_fetch_only_cpu_cores: r3(floor.cpuCores),
      floor_scrapes_per_second: Math.round(floor.scrapesPerSecond),
      cpu_ratio_vs_fetch_floor: r3(epp.cpuCores / floor.cpuCores),
      epp_cpu_us_per_scrape: r3((epp.cpuCores * 1e6) / epp.scrapesPerSecond),
      floor_cpu_us_per_scrape: r3((floor.cpuCores * 1e6) / floor.scrapesPerSecond),
      cpu_per_scrape_ratio_vs_fetch_floor: r3(
        epp.cpuCores / epp.scrapesPerSecond / (floor.cpuCores / floor.scrapesPerSecond),
      ),
      target_cores: TARGET_CORES,
      target_met: epp.cpuCores <= TARGET_CORES,
      epp_runs_cpu_cores: epp.runs,
      floor_runs_cpu_cores: floor.runs,
    },
  };
  const md = `# EPP scrape cost

${quick ? '**Quick run** (short windows).\n\n' : ''}${PODS} loopback pods (127.0.1.x, one port), each serving a ${pageBytes}-byte vLLM-shaped \`/metrics\` page; one scrape loop per pod every ${INTERVAL_MS} ms (${1000 / INTERVAL_MS} Hz, ${expected} scrapes/s expected). CPU from \`process.cpuUsage()\` of the scraping process over a ${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s of warm-up, two alternating runs per mode (mean). The pods run in a separate process.
Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}. **Shared 2-core machine** (other jobs ran at the same time): absolute numbers are noisy; the ratio comes from one run.

| mode | CPU cores | user | system | scrapes/s | failures | event-loop p99 | µs CPU per scrape |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| EPP scraper (fetch + WASM extract + scheduler write) | ${r3(epp.cpuCores)} | ${r3(epp.userCores)} | ${r3(epp.systemCores)} | ${Math.round(epp.scrapesPerSecond)} | ${epp.failures} | ${r3(epp.eventLoopDelayP99Ms)} ms | ${json.results.epp_cpu_us_per_scrape} |
| floor: fetch only (same agent and schedule, page discarded) | ${r3(floor.cpuCores)} | ${r3(floor.userCores)} | ${r3(floor.systemCores)} | ${Math.round(floor.scrapesPerSecond)} | ${floor.failures} | ${r3(floor.eventLoopDelayP99Ms)} ms | ${json.results.floor_cpu_us_per_scrape} |

| target | measured | met |
| --- | --- | --- |
| scraper CPU ≤ ${TARGET_CORES} core | ${r3(epp.cpuCores)} cores | ${epp.cpuCores <= TARGET_CORES ? 'yes' : 'no'} |

EPP vs fetch-only floor: ${json.results.cpu_ratio_vs_fetch_floor}× the CPU, ${json.results.cpu_per_scrape_ratio_vs_fetch_floor}× the CPU per scrape (the rest of the cost is HTTP itself). Scrapes/s below ${expected} mean the loops fell behind the 50 ms interval on the loaded machine (the next scrape starts at once when one takes longer than the interval).
`;
  const dir = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}epp-scrape.json`, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(`${dir}epp-scrape.md`, md);
  console.log(md);
}

if (ROLE === 'pods') await runPods();
else if (ROLE === 'epp' || ROLE === 'floor')
  await runScraper(ROLE, Number(process.argv[3]), Number(process.argv[4]));
else await parent();

// Runs the routing-quality sweep: for each workload, seed, policy and QPS step, a fresh simulated cluster, the
// load driver through the policy's gateway, and the numbers of that point (latencies, throughput, prefix hits, CPU).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER, MODEL } from './config.mjs';
import { runLoad } from './driver.mjs';
import { oracleBound } from './oracle.mjs';
import { POLICIES, runsByDefault } from './policies.mjs';
import { cpuSeconds, freePort, SimProcess, sleep } from './procs.mjs';
import { deriveSeed } from './rng.mjs';
import { poolResources, startPolicyStack } from './stack.mjs';
import { summarizePoint } from './summarize.mjs';
import { lengthMix, saltFor, WORKLOADS } from './workloads.mjs';

const SIM_HOST = '127.0.0.2';

/** @param {string} ip @param {number} i */
function offsetIp(ip, i) {
  const p = ip.split('.').map(Number);
  p[3] += i;
  return p.join('.');
}

/**
 * @param {{ config: ReturnType<typeof import('./config.mjs').runConfig>, workloads?: string[], policies?: string[],
 *   responseBodyMode: string, gatewayArgs: string[], log: (s: string) => void }} o
 */
export async function runRouting(o) {
  const cfg = o.config;
  const workloads = WORKLOADS.filter((w) => !o.workloads?.length || o.workloads.includes(w.name));
  const policies = POLICIES.filter((p) =>
    o.policies?.length ? o.policies.includes(p.name) : runsByDefault(p, cfg.mode === 'quick'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'igw-routing-'));
  const port = await freePort(SIM_HOST);
  const ips = Array.from({ length: CLUSTER.pods }, (_, i) => offsetIp(SIM_HOST, i));
  const resourcesFile = join(dir, 'pool.yaml');
  writeFileSync(resourcesFile, poolResources(ips, port));
  const sim = new SimProcess();
  const simOpts = (/** @type {number} */ seed) => ({
    pods: CLUSTER.pods,
    model: MODEL,
    loras: CLUSTER.loras,
    profile: CLUSTER.profile,
    params: CLUSTER.params,
    timeScale: cfg.timeScale,
    seed,
    host: SIM_HOST,
    port,
  });
  const steps = workloads.reduce((s, w) => s + (cfg.sweeps[w.name]?.length ?? 0), 0);
  const controls = policies.filter((p) => p.control).length;
  const total = steps * ((policies.length - controls) * cfg.seeds.length + controls);
  const points = [];
  /** @type {Record<string, Record<string, ReturnType<typeof oracleBound>>>} */
  const oracles = {};
  const started = Date.now();
  try {
    await sim.start(simOpts(1));
    for (const w of workloads) {
      for (const seed of cfg.seeds) {
        for (const policy of policies) {
          // The control is a measurement aid: one seed is enough to see the EPP path's own cost.
          if (policy.control && seed !== cfg.seeds[0]) continue;
          const stack = await startPolicyStack({
            policy,
            dir,
            resourcesFile,
            seed,
            responseBodyMode: o.responseBodyMode,
            messageTimeout: '2s',
            gatewayArgs: o.gatewayArgs,
            timeScale: cfg.timeScale,
          });
          try {
            // Warm-up (JIT, WASM, gRPC channel): the EPP's first seconds are several times slower than its steady
            // state, which would otherwise be charged to the first point. Its requests go to the previous cluster.
            if (stack.epp)
              await runLoad({
                url: stack.url,
                requests: lengthMix.generate({
                  seed: 999,
                  qps: 20,
                  durationS: 4,
                  salt: saltFor(deriveSeed(seed, `warmup/${Date.now()}`)),
                  model: MODEL,
                }),
                timeScale: cfg.timeScale,
                drainCapS: 20,
              });
            for (const qps of cfg.sweeps[w.name] ?? []) {
              const salt = saltFor(deriveSeed(seed, `${w.name}/${policy.name}/${qps}/${Date.now()}`));
              const requests = w.generate({
                seed,
                qps,
                durationS: cfg.warmupS + cfg.durationS,
                salt,
                model: MODEL,
              });
              if (w.name === 'shared-prefix' && !oracles[String(seed)]?.[String(qps)]) {
                oracles[String(seed)] ??= {};
                oracles[String(seed)][String(qps)] = oracleBound(requests, cfg.warmupS);
              }
              // Fresh simulator state for every point; the EPP re-scrapes the restarted pods before load starts.
              await sim.start(simOpts(seed));
              await sleep(500);
              const pids = { simulator: sim.pid, gateway: stack.gateway.pid, epp: stack.epp?.pid };
              const cpu0 = Object.fromEntries(
                Object.entries(pids).map(([k, pid]) => [k, pid ? cpuSeconds(pid) : Number.NaN]),
              );
              const driver0 = process.cpuUsage();
              const load0 = loadavg()[0];
              const t0 = performance.now();
              const run = await runLoad({
                url: stack.url,
                requests,
                timeScale: cfg.timeScale,
                drainCapS: cfg.drainCapS,
              });
              const wall = (performance.now() - t0) / 1000;
              const driverCpu = process.cpuUsage(driver0);
              const cpu = Object.fromEntries(
                Object.entries(pids).map(([k, pid]) => [k, pid ? (cpuSeconds(pid) - cpu0[k]) / wall : null]),
              );
              cpu.driver = (driverCpu.user + driverCpu.system) / 1e6 / wall;
              const podStats = await sim.stats();
              const summary = summarizePoint({
                requests,
                results: run.results,
                warmupS: cfg.warmupS,
                podStats,
              });
              const point = {
                workload: w.name,
                policy: policy.name,
                qps,
                seed,
                ...summary,
                cpu_cores: cpu,
                wall_s: wall,
                load_avg_1m: [load0, loadavg()[0]],
              };
              points.push(point);
              o.log(
                `[routing ${points.length}/${total} ${((Date.now() - started) / 1000).toFixed(0)}s] ${w.name} seed ${seed} ${policy.name} qps ${qps}: ` +
                  `ok ${summary.ok}/${summary.requests} ttft p90 ${fmt(summary.ttft_ms.p90)} ms, ` +
                  `${summary.output_tokens_per_s.toFixed(0)} tok/s (offered ${summary.offered_output_tokens_per_s.toFixed(0)}), ` +
                  `prefix hit ${(summary.prefix_cache.hit_rate * 100).toFixed(0)}%, 429 ${summary.status_429}, 5xx ${summary.status_5xx}, ` +
                  `evict ${summary.kv_evictions} preempt ${summary.preemptions} lag ${summary.sim_max_lag_ms.toFixed(0)} ttft p50 ${fmt(summary.ttft_ms.p50)} ` +
                  `pods ${summary.per_pod_requests.join('/')} ${JSON.stringify(summary.errors)} ` +
                  `cpu sim ${cpu.simulator?.toFixed(2)} gw ${cpu.gateway?.toFixed(2)} epp ${cpu.epp?.toFixed(2) ?? '-'} drv ${cpu.driver.toFixed(2)}`,
              );
            }
          } finally {
            await stack.stop();
          }
        }
      }
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { points, oracles, seconds: (Date.now() - started) / 1000 };
}

/** @param {number} v */
function fmt(v) {
  return Number.isFinite(v) ? v.toFixed(0) : String(v);
}

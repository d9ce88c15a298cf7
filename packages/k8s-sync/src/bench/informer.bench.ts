// Benchmark of the Kubernetes source against floors measured in the same run, over loopback HTTP to the stand-in
// (server and client share this process and the machine's 2 cores, so read ratios, not absolute numbers):
// 1. initial sync of N pods: a raw GET + JSON.parse of the list (floor), client-node's bare ListWatch (list + watch
//    connected), and startKubernetesSource (pool + pods + objectives + rewrites, wire conversion, zod decode into the
//    ResourceSet) until `synced`;
// 2. event latency: a pod IP change from the store's write to a raw watch client reading the line (floor) and to
//    our source's onChange with the ResourceSet updated.
// `--quick` for a short run (< 1 min). Results: bench/results/k8s-sync.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver-standin/object-store.js';
import { KubeApiStandin } from '../apiserver-standin/server.js';
import { startKubernetesSource } from '../informers/kubernetes-source.js';
import { silentLogger } from '../informers/logger.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { pod, poolV1 } from '../reconcile/fixtures.js';
import type { PoolSelection } from '../reconcile/reconcile.js';
import { ResourceSet } from '../reconcile/resource-set.js';
import { POOL_GROUP_V1 } from '../reconcile/types.js';

const quick = process.argv.includes('--quick');
const PODS = quick ? 500 : 2000;
const REPS = quick ? 3 : 7;
const EVENTS = quick ? 200 : 1000;
const SEL: PoolSelection = { mode: 'pool', namespace: 'default', name: 'pool', group: POOL_GROUP_V1 };
const PODS_PATH = '/api/v1/namespaces/default/pods';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, d = 3) => Number(x.toFixed(d));

async function seeded(): Promise<KubeApiStandin> {
  const s = new KubeApiStandin();
  await s.start();
  s.create(poolV1('pool') as unknown as KubeObject);
  for (let i = 0; i < PODS; i++) {
    s.create(pod(`p${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`) as unknown as KubeObject);
  }
  return s;
}

async function floorList(s: KubeApiStandin): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${s.url}${PODS_PATH}?labelSelector=app%3Dvllm`);
  const list = (await r.json()) as { items: unknown[] };
  if (list.items.length !== PODS) throw new Error('floor list incomplete');
  return performance.now() - t0;
}

async function bareListWatch(s: KubeApiStandin): Promise<number> {
  const kc = kubeConfigForServer(s.url);
  const core = kc.makeApiClient(CoreV1Api);
  const inf = makeInformer(
    kc,
    PODS_PATH,
    () => core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=vllm' }),
    'app=vllm',
  );
  const t0 = performance.now();
  await inf.start();
  const ms = performance.now() - t0;
  if (inf.list('default').length !== PODS) throw new Error('ListWatch incomplete');
  await inf.stop();
  return ms;
}

async function ourSync(s: KubeApiStandin): Promise<number> {
  const set = new ResourceSet('default');
  const t0 = performance.now();
  const src = startKubernetesSource({
    kubeConfig: kubeConfigForServer(s.url),
    selection: SEL,
    set,
    logger: silentLogger,
  });
  await src.synced;
  const ms = performance.now() - t0;
  if (set.objects('Pod').length !== PODS) throw new Error('source incomplete');
  await src.stop();
  return ms;
}

function rawWatch(s: KubeApiStandin, onLine: () => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${s.url}${PODS_PATH}?watch=true&resourceVersion=${s.store.currentVersion()}`,
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const ch of chunk) if (ch === '\n') onLine();
        });
        resolve(() => req.destroy());
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function ipChange(s: KubeApiStandin, i: number, n: number): void {
  s.modify('v1', 'Pod', 'default', `p${i % PODS}`, (o) => {
    (o.status as { podIP: string }).podIP = `10.200.${(n >> 8) & 255}.${n & 255}`;
  });
}

async function eventLatencies(s: KubeApiStandin): Promise<{ floor: number[]; ours: number[] }> {
  let wake: (() => void) | undefined;
  const next = () =>
    new Promise<void>((r) => {
      wake = r;
    });
  const floor: number[] = [];
  const close = await rawWatch(s, () => wake?.());
  for (let n = 0; n < EVENTS; n++) {
    const p = next();
    const t0 = performance.now();
    ipChange(s, n, n);
    await p;
    floor.push(performance.now() - t0);
  }
  close();
  const set = new ResourceSet('default');
  const src = startKubernetesSource({
    kubeConfig: kubeConfigForServer(s.url),
    selection: SEL,
    set,
    logger: silentLogger,
    onChange: () => wake?.(),
  });
  await src.synced;
  await new Promise((r) => setTimeout(r, 200)); // let the watches connect
  const ours: number[] = [];
  for (let n = 0; n < EVENTS; n++) {
    const p = next();
    const t0 = performance.now();
    ipChange(s, n, n + EVENTS);
    await p;
    ours.push(performance.now() - t0);
  }
  await src.stop();
  return { floor, ours };
}

async function main(): Promise<void> {
  const floorMs: number[] = [];
  const bareMs: number[] = [];
  const oursMs: number[] = [];
  {
    // One unrecorded round first: JIT and connection warm-up.
    const s = await seeded();
    await floorList(s);
    await bareListWatch(s);
    await ourSync(s);
    await s.stop();
  }
  for (let rep = 0; rep < REPS; rep++) {
    const s = await seeded();
    // Rotate the order so no variant always runs first (cold) or last.
    const order = [
      async () => floorMs.push(await floorList(s)),
      async () => bareMs.push(await bareListWatch(s)),
      async () => oursMs.push(await ourSync(s)),
    ];
    for (let k = 0; k < order.length; k++) await order[(k + rep) % order.length]!();
    await s.stop();
    console.log(
      `[k8s-sync bench] initial sync rep ${rep + 1}/${REPS}: floor ${floorMs.at(-1)!.toFixed(1)} ms, ListWatch ${bareMs.at(-1)!.toFixed(1)} ms, source ${oursMs.at(-1)!.toFixed(1)} ms`,
    );
  }
  const s = await seeded();
  console.log(`[k8s-sync bench] event latency: ${EVENTS} pod updates, raw watch then source`);
  const lat = await eventLatencies(s);
  await s.stop();

  const results = {
    pods: PODS,
    reps: REPS,
    events: EVENTS,
    sync_floor_raw_list_ms_median: round(median(floorMs), 2),
    sync_client_node_listwatch_ms_median: round(median(bareMs), 2),
    sync_source_ms_median: round(median(oursMs), 2),
    sync_source_vs_floor_ratio: round(median(oursMs) / median(floorMs), 2),
    sync_source_vs_listwatch_ratio: round(median(oursMs) / median(bareMs), 2),
    event_floor_raw_watch_ms_p50: round(pct(lat.floor, 50)),
    event_floor_raw_watch_ms_p99: round(pct(lat.floor, 99)),
    event_source_ms_p50: round(pct(lat.ours, 50)),
    event_source_ms_p99: round(pct(lat.ours, 99)),
    event_source_vs_floor_p50_ratio: round(pct(lat.ours, 50) / pct(lat.floor, 50), 2),
  };
  const dir = new URL('../../../../bench/results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('k8s-sync.json', dir), `${JSON.stringify(results, null, 2)}\n`);
  const md = [
    `# k8s-sync informers (${PODS} pods, ${REPS} reps, ${EVENTS} events${quick ? ', quick' : ''})`,
    '',
    'Loopback HTTP to the in-process stand-in on a shared, noisy 2-core machine: compare ratios within this run.',
    '',
    '| Measure | Floor | client-node ListWatch | startKubernetesSource | Source / floor |',
    '|---|---|---|---|---|',
    `| Initial sync, median ms | ${results.sync_floor_raw_list_ms_median} (GET + JSON.parse) | ${results.sync_client_node_listwatch_ms_median} | ${results.sync_source_ms_median} | ${results.sync_source_vs_floor_ratio}x |`,
    `| Pod update -> applied, p50 ms | ${results.event_floor_raw_watch_ms_p50} (raw watch line) | - | ${results.event_source_ms_p50} | ${results.event_source_vs_floor_p50_ratio}x |`,
    `| Pod update -> applied, p99 ms | ${results.event_floor_raw_watch_ms_p99} | - | ${results.event_source_ms_p99} | - |`,
    '',
  ].join('\n');
  writeFileSync(new URL('k8s-sync.md', dir), md);
  console.log(md);
}

await main();

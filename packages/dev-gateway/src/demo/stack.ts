// A whole local inference gateway on loopback, for the demo and the end-to-end tests: simulated vLLM pods on
// 127.0.0.2.. (in this process, @igw/model-server-sim), a generated resources file naming them, the EPP and the
// BBR from their bins (child processes), and the dev gateway (in this process) chaining BBR then EPP.
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvoyLikeClient } from '@igw/ext-proc';
import { type EngineParams, type SimCluster, startSimCluster } from '@igw/model-server-sim';
import pino, { type Logger } from 'pino';
import { stringify } from 'yaml';
import { type BodyMode, defaultConfig, type FailureMode, type LbPolicy } from '../config.js';
import { type Gateway, startGateway } from '../gateway.js';
import { freePort } from '../net.js';
import { BBR_BIN, BBR_MAIN, built, ChildComponent, EPP_BIN, EPP_MAIN } from './child.js';

export const DEMO_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
export const DEMO_LORAS = ['sql-lora', 'tweet-summary', 'food-review'];

export interface Objective {
  name: string;
  priority: number;
}

export const DEMO_OBJECTIVES: Objective[] = [
  { name: 'critical', priority: 10 },
  { name: 'standard', priority: 0 },
  { name: 'batch', priority: -1 },
];

/** EndpointPickerConfig: the upstream default scorers plus LoRA affinity, and a saturation detector we can reach. */
export function eppConfigText(queueDepthThreshold = 5, loraWeight = 2): string {
  return `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: lora-affinity-scorer
- type: max-score-picker
  parameters:
    maxNumOfEndpoints: 2
- type: v1-saturation-detector
  parameters:
    queueDepthThreshold: ${queueDepthThreshold}
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: lora-affinity-scorer
    weight: ${loraWeight}
  - pluginRef: max-score-picker
`;
}

export interface StackOptions {
  pods?: number;
  model?: string;
  loras?: string[];
  simParams?: Partial<EngineParams>;
  timeScale?: number;
  /** Seed of the simulator and of the gateway's own random/least-request choices. */
  seed?: number;
  /** Start the BBR and chain it before the EPP (default true). */
  bbr?: boolean;
  /** The EPP serves TLS with a self-signed certificate (its default, and upstream's); default true. */
  secure?: boolean;
  /** Written into the pool's endpointPickerRef; the gateway follows it (default FailClose, the CRD default). */
  failureMode?: FailureMode;
  messageTimeoutMs?: number;
  /** Gateway listen address (default 127.0.0.1:0). */
  listen?: string;
  lbPolicy?: LbPolicy;
  /** Gateway request body mode (default FULL_DUPLEX_STREAMED). */
  bodyMode?: BodyMode;
  queueDepthThreshold?: number;
  /** Weight of the LoRA-affinity scorer in the EPP config (default 2, like the queue and KV scorers). */
  loraWeight?: number;
  objectives?: Objective[];
  refreshMetricsInterval?: string;
  /** Gateway logger (default silent). */
  logger?: Logger;
  /** Every output line of the EPP/BBR children. */
  onChildLine?: (name: string, line: string) => void;
}

export interface Stack {
  sim: SimCluster;
  gateway: Gateway;
  epp: ChildComponent;
  bbr: ChildComponent | undefined;
  dir: string;
  resourcesFile: string;
  eppPorts: { grpc: number; health: number; metrics: number };
  model: string;
  loras: string[];
  /** EPP Prometheus metrics text. */
  eppMetrics(): Promise<string>;
  /** Starts a new EPP on the same ports (after stop/kill) and waits until it routes again. */
  startEpp(): Promise<ChildComponent>;
  close(): Promise<void>;
}

export class StackError extends Error {
  override name = 'StackError';
}

/** Why the stack cannot run here, or undefined when it can. */
export function missingComponents(opts: { bbr?: boolean } = {}): string | undefined {
  const missing = [!built(EPP_MAIN) && EPP_MAIN, opts.bbr !== false && !built(BBR_MAIN) && BBR_MAIN].filter(
    Boolean,
  );
  return missing.length > 0 ? `not built: ${missing.join(', ')} (run npm run build)` : undefined;
}

function resources(o: {
  port: number;
  ips: string[];
  failureMode: FailureMode;
  objectives: Objective[];
}): string {
  const pool = {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'demo-pool', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'vllm-sim' } },
      targetPorts: [{ number: o.port }],
      endpointPickerRef: { name: 'demo-epp', port: { number: 9002 }, failureMode: o.failureMode },
    },
  };
  const pods = o.ips.map((ip, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `sim-${i}`, namespace: 'default', labels: { app: 'vllm-sim' } },
    status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  const objectives = o.objectives.map((ob) => ({
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferenceObjective',
    metadata: { name: ob.name, namespace: 'default' },
    spec: { priority: ob.priority, poolRef: { name: 'demo-pool' } },
  }));
  return [pool, ...pods, ...objectives].map((x) => stringify(x)).join('---\n');
}

/** BBR's base-model-to-header reads adapters from labelled ConfigMaps (its own file: it reads only ConfigMaps). */
function adapterConfigMap(model: string, loras: readonly string[]): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'demo-adapters',
      namespace: 'default',
      labels: { 'inference.llm-d.ai/ipp-managed': 'true' },
    },
    data: { baseModel: model, adapters: loras.map((l) => `- ${l}`).join('\n') },
  });
}

async function startSim(
  opts: StackOptions,
  model: string,
  loras: string[],
): Promise<{ sim: SimCluster; port: number }> {
  // Every pod on its own 127.0.0.x, all on one port (the pool's target port). Retry if that port is taken.
  let last: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = await freePort('127.0.0.2');
    try {
      const sim = await startSimCluster({
        pods: opts.pods ?? 4,
        model,
        loras,
        port,
        timeScale: opts.timeScale ?? 1,
        seed: opts.seed ?? 1,
        ...(opts.simParams ? { params: opts.simParams } : {}),
      });
      return { sim, port };
    } catch (e) {
      last = e;
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  const err = last as NodeJS.ErrnoException;
  throw new StackError(
    err.code === 'EADDRNOTAVAIL'
      ? 'this system has no 127.0.0.2+ loopback addresses (Linux has the whole 127/8; on macOS add aliases with ifconfig lo0 alias 127.0.0.N)'
      : `could not start the simulated pods: ${err.message}`,
  );
}

async function waitUntil(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
  detail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // StackError = a component died: give up at once; anything else (not listening yet...) = try again.
    const ok = await fn().catch((e: unknown) => {
      if (e instanceof StackError) throw e;
      return false;
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StackError(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
}

/**
 * Starts the stack. The EPP and BBR ports are picked free just before the children bind them, so another process
 * can take one in between (parallel test files): then the whole start is retried with new ports.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof StackError) || !e.message.includes('EADDRINUSE')) throw e;
    }
  }
}

async function startStackOnce(opts: StackOptions): Promise<Stack> {
  const missing = missingComponents(opts);
  if (missing) throw new StackError(missing);
  const model = opts.model ?? DEMO_MODEL;
  const loras = opts.loras ?? DEMO_LORAS;
  const dir = await mkdtemp(join(tmpdir(), 'igw-stack-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const { sim, port } = await startSim(opts, model, loras);
    cleanups.push(() => sim.close());
    const resourcesFile = join(dir, 'resources.yaml');
    writeFileSync(
      resourcesFile,
      resources({
        port,
        ips: sim.pods.map((p) => p.host),
        failureMode: opts.failureMode ?? 'FailClose',
        objectives: opts.objectives ?? DEMO_OBJECTIVES,
      }),
    );
    const adaptersFile = join(dir, 'adapters.yaml');
    writeFileSync(adaptersFile, adapterConfigMap(model, loras));
    const secure = opts.secure ?? true;
    const eppPorts = { grpc: await freePort(), health: await freePort(), metrics: await freePort() };
    const eppArgs = [
      `--grpc-port=${eppPorts.grpc}`,
      `--grpc-health-port=${eppPorts.health}`,
      `--metrics-port=${eppPorts.metrics}`,
      `--secure-serving=${secure}`,
      '--metrics-endpoint-auth=false',
      `--resources-file=${resourcesFile}`,
      '--pool-name=demo-pool',
      '--pool-namespace=default',
      `--refresh-metrics-interval=${opts.refreshMetricsInterval ?? '50ms'}`,
      `--config-text=${eppConfigText(opts.queueDepthThreshold, opts.loraWeight)}`,
    ];
    let epp = new ChildComponent('epp', EPP_BIN, eppArgs, opts.onChildLine);
    cleanups.push(() => epp.stop());
    let bbr: ChildComponent | undefined;
    let bbrPort: number | undefined;
    if (opts.bbr !== false) {
      bbrPort = await freePort();
      bbr = new ChildComponent(
        'bbr',
        BBR_BIN,
        [
          `--grpc-port=${bbrPort}`,
          `--grpc-health-port=${await freePort()}`,
          `--metrics-port=${await freePort()}`,
          '--host=127.0.0.1',
          `--secure-serving=${secure}`,
          `--base-model-configmaps-file=${adaptersFile}`,
        ],
        opts.onChildLine,
      );
      const b = bbr;
      cleanups.push(() => b.stop());
    }
    const gateway = await startGateway(
      defaultConfig({
        listen: opts.listen ?? '127.0.0.1:0',
        epp: `127.0.0.1:${eppPorts.grpc}`,
        eppSecure: secure,
        bbr: bbrPort === undefined ? undefined : `127.0.0.1:${bbrPort}`,
        bbrSecure: secure,
        resourcesFile,
        poolName: 'demo-pool',
        poolNamespace: 'default',
        lbPolicy: opts.lbPolicy ?? 'epp',
        bodyMode: opts.bodyMode ?? 'FULL_DUPLEX_STREAMED',
        seed: opts.seed,
        // Envoy's default is 200 ms; a shared 2-core machine running pods, EPP and BBR needs more headroom.
        messageTimeoutMs: opts.messageTimeoutMs ?? 2_000,
      }),
      { logger: opts.logger ?? pino({ level: 'silent' }) },
    );
    cleanups.push(() => gateway.close(1_000));
    const eppReady = async (child: ChildComponent) => {
      await waitUntil(
        'the EPP to route requests (pool synced, ext_proc serving)',
        async () => {
          if (!child.running)
            throw new StackError(`the EPP exited (code ${await child.wait()}):\n${child.tail()}`);
          if (bbr && !bbr.running)
            throw new StackError(`the BBR exited (code ${await bbr.wait()}):\n${bbr.tail()}`);
          // Asked directly (not through the gateway, which may be failing open): a headers-only request gets a
          // destination once the pool is synced.
          const r = await probe.process({
            headers: { ':method': 'GET', ':path': '/v1/models', ':authority': 'demo' },
            messageTimeoutMs: 2_000,
          });
          if (r.outcome !== 'continue' || !r.request.header('x-gateway-destination-endpoint')) return false;
          const g = await fetch(`${gateway.url}/v1/models`);
          await g.arrayBuffer();
          return g.status === 200;
        },
        30_000,
        () => `EPP output:\n${child.tail()}${bbr ? `\nBBR output:\n${bbr.tail()}` : ''}`,
      ).catch(async (e: unknown) => {
        if (e instanceof StackError) throw e;
        if (!child.running)
          throw new StackError(`the EPP exited (code ${await child.wait()}):\n${child.tail()}`);
        throw e;
      });
    };
    const probe = new EnvoyLikeClient({ address: `127.0.0.1:${eppPorts.grpc}`, secure });
    cleanups.push(async () => probe.close());
    await eppReady(epp);
    return {
      sim,
      gateway,
      get epp() {
        return epp;
      },
      bbr,
      dir,
      resourcesFile,
      eppPorts,
      model,
      loras,
      eppMetrics: async () => (await fetch(`http://127.0.0.1:${eppPorts.metrics}/metrics`)).text(),
      startEpp: async () => {
        epp = new ChildComponent('epp', EPP_BIN, eppArgs, opts.onChildLine);
        await eppReady(epp);
        return epp;
      },
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

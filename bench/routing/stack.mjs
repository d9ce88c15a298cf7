// Starts the gateway (and the EPP for EPP policies) for one policy, in front of a pool file naming the 8 pods.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { BinProcess, EPP_BIN, freePort, GATEWAY_BIN, sleep } from './procs.mjs';

export const POOL_NAME = 'bench-pool';

/** Multi-document YAML: the InferencePool and its Pods (what the EPP and the gateway read). */
export function poolResources(/** @type {string[]} */ ips, /** @type {number} */ port) {
  const docs = [
    `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: ${POOL_NAME}
  namespace: default
spec:
  selector:
    matchLabels:
      app: bench-sim
  targetPorts:
  - number: ${port}
  endpointPickerRef:
    name: bench-epp
    port:
      number: 9002
    failureMode: FailClose
`,
    ...ips.map(
      (ip, i) => `apiVersion: v1
kind: Pod
metadata:
  name: sim-${i}
  namespace: default
  labels:
    app: bench-sim
status:
  podIP: ${ip}
  phase: Running
  conditions:
  - type: Ready
    status: "True"
`,
    ),
  ];
  return docs.join('---\n');
}

/** @param {string} url */
function get(url) {
  return new Promise((res) => {
    const req = http.get(url, { agent: false }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', () => res(0));
    req.setTimeout(2_000, () => req.destroy());
  });
}

/** The EPP's scrape interval in wall-clock ms: 50 simulated ms. */
export function scrapeIntervalMs(/** @type {number} */ timeScale) {
  return Math.max(1, Math.round(50 / timeScale));
}

/**
 * @param {{ policy: import('./policies.mjs').Policy, dir: string, resourcesFile: string, seed: number,
 *   responseBodyMode: string, messageTimeout: string, gatewayArgs: string[], timeScale: number }} o
 */
export async function startPolicyStack(o) {
  /** @type {BinProcess | undefined} */
  let epp;
  let eppMetricsPort = 0;
  const gwPort = await freePort();
  const args = [
    `--listen=127.0.0.1:${gwPort}`,
    `--lb-policy=${o.policy.lbPolicy}`,
    `--resources-file=${o.resourcesFile}`,
    `--pool-name=${POOL_NAME}`,
    '--log-level=warn',
    `--seed=${o.seed}`,
  ];
  if (o.policy.eppConfig !== undefined) {
    const grpc = await freePort();
    eppMetricsPort = await freePort();
    const eppArgs = [
      `--grpc-port=${grpc}`,
      `--grpc-health-port=${await freePort()}`,
      `--metrics-port=${eppMetricsPort}`,
      '--secure-serving=false',
      `--resources-file=${o.resourcesFile}`,
      `--pool-name=${POOL_NAME}`,
      '--pool-namespace=default',
      // Upstream's default 50 ms in simulated time: the pods run timeScale x faster than the wall clock, so a 50 ms
      // wall-clock interval would hand the EPP metrics twice as old (in simulated time) as in a real deployment.
      `--refresh-metrics-interval=${scrapeIntervalMs(o.timeScale)}ms`,
      '--zap-log-level=error',
      ...(o.policy.eppArgs ?? []),
    ];
    if (o.policy.eppConfig) {
      const f = join(o.dir, `${o.policy.name}.yaml`);
      writeFileSync(f, o.policy.eppConfig);
      eppArgs.push(`--config-file=${f}`);
    }
    epp = new BinProcess('epp', EPP_BIN, eppArgs);
    args.push(
      `--epp=127.0.0.1:${grpc}`,
      '--epp-insecure',
      `--message-timeout=${o.messageTimeout}`,
      `--response-body-mode=${o.responseBodyMode}`,
      '--failure-mode=FailClose',
    );
  }
  args.push(...o.gatewayArgs);
  const gateway = new BinProcess('gateway', GATEWAY_BIN, args);
  const url = `http://127.0.0.1:${gwPort}`;
  const stop = async () => {
    await gateway.stop();
    await epp?.stop();
  };
  // Ready when a request through the gateway is answered by a pod (for the EPP: once its pool is synced).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!gateway.running) {
      await stop();
      throw new Error(`igw-gateway exited:\n${gateway.tail()}`);
    }
    if (epp && !epp.running) {
      await stop();
      throw new Error(`igw-epp exited:\n${epp.tail()}`);
    }
    if ((await get(`${url}/v1/models`)) === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`policy ${o.policy.name} not ready in 30 s:\n${gateway.tail()}\n${epp?.tail() ?? ''}`);
    }
    await sleep(200);
  }
  return { url, gateway, epp, eppMetricsPort, stop };
}

// The EPP wired in-process on loopback: health over real gRPC, /metrics over real HTTP, a pod served by a loopback
// HTTP server, and the graceful stop with a real ext_proc stream in flight.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EnvoyLikeClient, healthClient } from '@igw/ext-proc';
import { resolveOptions } from '../flags/options.js';
import { parseFlags } from '../flags/parse.js';
import { vllmPage } from '../scrape/vllm-page.js';
import { captureLogger } from '../testing/capture-logger.js';
import { type EppHandle, startEpp } from './start-epp.js';

const dir = mkdtempSync(join(tmpdir(), 'epp-start-'));
let pod: Server;
let podPort = 0;

before(async () => {
  pod = createServer((_q, r) => r.end(vllmPage({ waiting: 2, running: 1, kvUsage: 0.4 })));
  await new Promise<void>((r) => pod.listen(0, '127.0.0.5', () => r()));
  podPort = (pod.address() as AddressInfo).port;
});
after(async () => {
  pod.closeAllConnections();
  await new Promise((r) => pod.close(r));
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function resources(withPool: boolean): string {
  const p = join(dir, `r-${files++}.yaml`);
  writeFileSync(p, resourcesText(withPool));
  return p;
}

function resourcesText(withPool: boolean): string {
  const docs = [
    `apiVersion: v1
kind: Pod
metadata: {name: pod-a, labels: {app: vllm}}
status: {podIP: 127.0.0.5, conditions: [{type: Ready, status: "True"}]}
`,
  ];
  if (withPool) {
    docs.unshift(`apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: ${podPort}}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
`);
  }
  return docs.join('---\n');
}

/** An EPP on the resources file with one ext_proc stream held open (request headers without end_of_stream). */
async function startHoldingOneStream() {
  const h = await startEpp(options([`--resources-file=${resources(true)}`]), captureLogger('silent').logger, {
    host: '127.0.0.1',
  });
  const client = new EnvoyLikeClient({ address: `127.0.0.1:${h.extProc.port}` });
  assert.equal(h.status('inference-extension'), 'SERVING');
  const { call } = client.openStream();
  call.on('error', () => {});
  call.write({
    requestHeaders: {
      headers: { headers: [{ key: ':path', rawValue: Buffer.from('/v1/completions') }] },
    },
  });
  await until(() => h.extProc.inFlight() === 1, 'stream in flight');
  return { h, client, call };
}

function options(extra: string[]) {
  return resolveOptions(
    parseFlags([
      '--pool-name=pool',
      '--secure-serving=false',
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--refresh-metrics-interval=20ms',
      '--refresh-prometheus-metrics-interval=50ms',
      ...extra,
    ]),
    {},
  );
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('startEpp', () => {
  test('health follows the pool; /metrics serves the pool gauges from real scrapes', async () => {
    const path = resources(false);
    const h: EppHandle = await startEpp(
      options([`--resources-file=${path}`]),
      captureLogger('silent').logger,
      {
        host: '127.0.0.1',
      },
    );
    const hc = healthClient(`127.0.0.1:${h.health.port}`);
    try {
      assert.equal(await hc.check('inference-extension'), 'NOT_SERVING', 'no pool in the file yet');
      assert.equal(await hc.check('liveness'), 'SERVING');
      writeFileSync(path, resourcesText(true));
      await until(
        async () => (await hc.check('inference-extension')) === 'SERVING',
        'readiness after the pool appears',
      );
      const res = await fetch(`http://127.0.0.1:${h.metricsHttp.port}/metrics`);
      assert.equal(res.status, 200);
      await until(async () => {
        const text = await (await fetch(`http://127.0.0.1:${h.metricsHttp.port}/metrics`)).text();
        return (
          /^inference_pool_ready_pods\{name="pool"\} 1$/m.test(text) &&
          /^process_cpu_user_seconds_total/m.test(text)
        );
      }, 'pool gauges');
      const text = await (await fetch(`http://127.0.0.1:${h.metricsHttp.port}/metrics`)).text();
      assert.match(text, /^inference_pool_average_queue_size\{name="pool"\} 2$/m);
      assert.equal((await fetch(`http://127.0.0.1:${h.metricsHttp.port}/other`)).status, 404);
    } finally {
      hc.close();
      await h.stop({ drainTimeoutMs: 500 });
    }
  });

  test('a 100-endpoint pool from a resources file grows the scheduler table at most once', async () => {
    const pods = Array.from(
      { length: 100 },
      (_, i) => `apiVersion: v1
kind: Pod
metadata: {name: pod-${i}, labels: {app: big}}
status: {podIP: 127.0.1.${i + 1}, conditions: [{type: Ready, status: "True"}]}
`,
    );
    const path = join(dir, `r-${files++}.yaml`);
    writeFileSync(
      path,
      [
        `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool}
spec:
  selector: {matchLabels: {app: big}}
  targetPorts: [{number: ${podPort}}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
`,
        ...pods,
      ].join('---\n'),
    );
    // nothing listens on 127.0.1.x: the scrapes fail fast and slowly (1 s), which this test does not look at
    const h = await startEpp(
      options([`--resources-file=${path}`, '--refresh-metrics-interval=1s']),
      captureLogger('silent').logger,
      { host: '127.0.0.1' },
    );
    try {
      await until(() => h.datastore.endpoints().length === 100, '100 endpoints');
      // 64 slots at start, one doubling to 128 (the scorer-wasm default of 16 would have doubled three times)
      assert.deepEqual(
        [h.scheduler.memoryInfo().relayouts, h.scheduler.memoryInfo().endpointCapacity],
        [1, 128],
      );
    } finally {
      await h.stop({ drainTimeoutMs: 200 });
    }
  });

  test('SIGTERM path: readiness NOT_SERVING at once, liveness SERVING, in-flight streams finish, bounded', async () => {
    const { h, client, call } = await startHoldingOneStream();
    try {
      const t0 = Date.now();
      const stopping = h.stop({ drainTimeoutMs: 5000 });
      assert.equal(h.status('inference-extension'), 'NOT_SERVING');
      assert.equal(h.status('readiness'), 'NOT_SERVING');
      assert.equal(h.status('liveness'), 'SERVING');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(h.extProc.inFlight(), 1, 'the in-flight stream is not cut');
      call.end(); // the client finishes its stream
      await stopping;
      assert.ok(Date.now() - t0 < 4000, 'stopped when the stream ended, before the drain timeout');
    } finally {
      client.close();
    }
  });

  test('the drain timeout bounds a stream that never ends', async () => {
    const { h, client } = await startHoldingOneStream();
    try {
      const t0 = Date.now();
      await h.stop({ drainTimeoutMs: 300 });
      const took = Date.now() - t0;
      assert.ok(took >= 250 && took < 3000, `stop took ${took} ms`);
    } finally {
      client.close();
    }
  });

  test('secure serving with a self-signed certificate; standalone mode without an InferencePool', async () => {
    const args = [
      '--secure-serving=true',
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--endpoint-selector=app=vllm',
      `--endpoint-target-ports=${podPort}`,
      `--resources-file=${resources(false)}`,
    ];
    const h = await startEpp(resolveOptions(parseFlags(args), {}), captureLogger('silent').logger, {
      host: '127.0.0.1',
    });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${h.extProc.port}`, secure: true });
    try {
      assert.ok(h.extProc.certificate, 'a self-signed certificate was made');
      await client.waitForReady(5000);
      assert.equal(h.datastore.pool()?.group, '');
      assert.deepEqual(
        h.datastore.endpoints().map((e) => e.address),
        [`127.0.0.5:${podPort}`],
      );
      assert.equal(h.status('inference-extension'), 'SERVING');
    } finally {
      client.close();
      await h.stop({ drainTimeoutMs: 500 });
    }
  });

  test('startup errors: no resources file and no kubeconfig, bad config text, busy port', async () => {
    const log = captureLogger('silent').logger;
    await assert.rejects(
      startEpp(options([]), log, { host: '127.0.0.1', env: { HOME: dir } }),
      /no Kubernetes configuration: pass --kubeconfig/,
    );
    await assert.rejects(
      startEpp(
        options([`--resources-file=${resources(true)}`, '--config-text=plugins: [{type: nope}]']),
        log,
        {
          host: '127.0.0.1',
        },
      ),
      /failed to load the configuration \(--config-text\)/,
    );
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as AddressInfo).port;
    try {
      await assert.rejects(
        startEpp(options([`--resources-file=${resources(true)}`, `--metrics-port=${port}`]), log, {
          host: '127.0.0.1',
        }),
        /EADDRINUSE/,
      );
    } finally {
      busy.close();
    }
  });
});

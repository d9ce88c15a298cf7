// The EPP reading its pool from a Kubernetes API: the loopback API server stand-in of @igw/k8s-sync (real REST,
// list/watch) talked to by the real client-node informers, through --kubeconfig.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubeConfigForServer } from '@igw/k8s-sync';
import { KubeApiStandin, type KubeObject } from '@igw/k8s-sync/apiserver-standin';
import { resolveOptions } from '../flags/options.js';
import { parseFlags } from '../flags/parse.js';
import { captureLogger } from '../testing/capture-logger.js';
import { startEpp } from './start-epp.js';

const dir = mkdtempSync(join(tmpdir(), 'epp-k8s-'));
let api: KubeApiStandin;
let kubeconfig: string;

const obj = (o: Record<string, unknown>) => o as unknown as KubeObject;

before(async () => {
  api = new KubeApiStandin();
  await api.start();
  kubeconfig = join(dir, 'kubeconfig.json');
  writeFileSync(kubeconfig, kubeConfigForServer(api.url, 'default').exportConfig());
  api.create(
    obj({
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: 'pool', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'vllm' } },
        targetPorts: [{ number: 8000 }],
        endpointPickerRef: { name: 'epp', port: { number: 9002 } },
      },
    }),
  );
  api.create(
    obj({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod-a', namespace: 'default', labels: { app: 'vllm' } },
      status: { podIP: '127.0.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
    }),
  );
});

after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string, ms = 8000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function options(extra: string[]) {
  return resolveOptions(
    parseFlags([
      '--pool-name=pool',
      '--secure-serving=false',
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      `--kubeconfig=${kubeconfig}`,
      ...extra,
    ]),
    {},
  );
}

describe('startEpp with the Kubernetes source', () => {
  test('ready after the informers sync; a deleted pool turns readiness off, a recreated one on', async () => {
    const h = await startEpp(options([]), captureLogger('silent').logger, { host: '127.0.0.1', env: {} });
    try {
      assert.equal(h.source.kind, 'kubernetes');
      await until(() => h.status('inference-extension') === 'SERVING', 'readiness');
      assert.deepEqual(
        h.datastore.endpoints().map((e) => e.address),
        ['127.0.0.9:8000'],
      );
      const pool = api.get('inference.networking.k8s.io/v1', 'InferencePool', 'default', 'pool')!;
      api.delete('inference.networking.k8s.io/v1', 'InferencePool', 'default', 'pool');
      await until(
        () => h.status('inference-extension') === 'NOT_SERVING',
        'NOT_SERVING after the pool is deleted',
      );
      assert.equal(h.status('liveness'), 'SERVING');
      const { resourceVersion: _rv, uid: _uid, ...meta } = pool.metadata as Record<string, unknown>;
      api.create(obj({ ...pool, metadata: meta }));
      await until(
        () => h.status('inference-extension') === 'SERVING',
        'readiness after the pool is recreated',
      );
    } finally {
      await h.stop({ drainTimeoutMs: 500 });
    }
  });

  test('--ha-enable-leader-election: one of two instances holds the Lease and is ready', async () => {
    const log = captureLogger('silent').logger;
    const a = await startEpp(options(['--ha-enable-leader-election']), log, { host: '127.0.0.1', env: {} });
    try {
      await until(() => a.status('readiness') === 'SERVING', 'first instance leads');
      const b = await startEpp(options(['--ha-enable-leader-election']), log, { host: '127.0.0.1', env: {} });
      try {
        await until(() => b.datastore.poolSynced(), 'second instance synced');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(b.status('readiness'), 'NOT_SERVING', 'not the leader');
        assert.equal(b.status('liveness'), 'SERVING');
        assert.equal(b.status('inference-extension'), 'SERVICE_UNKNOWN', 'HA service names only');
        assert.equal(a.status('readiness'), 'SERVING');
      } finally {
        await b.stop({ drainTimeoutMs: 500 });
      }
    } finally {
      await a.stop({ drainTimeoutMs: 500 });
    }
  });
});

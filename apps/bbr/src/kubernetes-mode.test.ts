// Kubernetes mode end to end: BBR without --base-model-configmaps-file, a kubeconfig file pointing at the k8s-sync
// API server stand-in (real HTTP on loopback, real client-node informers), requests over real gRPC with the
// Envoy-like client. Nothing is mocked; the stand-in is the only non-Kubernetes piece.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkHealth, EnvoyLikeClient } from '@igw/ext-proc';
import { CORE_CONFIGMAPS, KubeApiStandin, type KubeObject, waitFor } from '@igw/k8s-sync/apiserver-standin';
import { pino } from 'pino';
import { parseFlags } from './flags.js';
import { type RunningBbr, startBbr } from './server.js';

const BIN = fileURLToPath(new URL('../bin/igw-bbr.mjs', import.meta.url));
const IPP = 'inference.llm-d.ai/ipp-managed';
const BBR = 'inference.networking.k8s.io/bbr-managed';
const BASE_FLAGS = [
  '--grpc-port=0',
  '--grpc-health-port=0',
  '--metrics-port=0',
  '--host=127.0.0.1',
  '--secure-serving=false',
];

function configMap(
  name: string,
  namespace: string,
  label: string,
  base: string,
  adapters: string[],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { [label]: 'true' } },
    data: { baseModel: base, adapters: adapters.map((a) => `- ${a}\n`).join('') },
  };
}

/** A kubeconfig file as kubectl writes it; plain HTTP needs insecure-skip-tls-verify with client-node 1.4. */
function kubeconfigYaml(server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
users:
- name: tester
  user:
    token: not-checked
contexts:
- name: standin
  context:
    cluster: standin
    user: tester
    namespace: default
current-context: standin
`;
}

const healthCheck = (port: number, service = ''): Promise<string> =>
  checkHealth(`127.0.0.1:${port}`, service);

async function headersFor(client: EnvoyLikeClient, model: string) {
  const r = await client.process({
    headers: { ':method': 'POST', ':path': '/v1/completions', 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'hi' }),
  });
  return {
    model: r.request.header('x-gateway-model-name'),
    base: r.request.header('x-gateway-base-model-name'),
  };
}

function captureLogs() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'igw-bbr-k8s-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** An environment without any Kubernetes configuration ($HOME has no .kube/config), so nothing leaks in. */
const emptyEnv = () => ({ HOME: join(dir, 'no-home') });

describe('BBR in Kubernetes mode (ConfigMaps through the API server)', () => {
  let api: KubeApiStandin;
  let kubeconfig: string;
  before(async () => {
    api = new KubeApiStandin();
    await api.start();
    kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, kubeconfigYaml(api.url));
  });
  after(() => api.stop());
  /** Cleanup that does not mask the failure that got us there. */
  const drop = (namespace: string, name: string) => {
    if (api.get('v1', 'ConfigMap', namespace, name)) api.delete('v1', 'ConfigMap', namespace, name);
  };

  test('adapters map to their base model as ConfigMaps are added, relabelled and deleted; other namespaces ignored', async () => {
    api.create(configMap('elsewhere', 'other', BBR, 'base-other', ['lora-other']));
    api.create(configMap('qwen', 'default', IPP, 'Qwen/Qwen3-32B', ['food-review-1']));
    const { logger, lines } = captureLogs();
    const bbr = await startBbr(parseFlags([...BASE_FLAGS, `--kubeconfig=${kubeconfig}`]), logger, {
      processMetrics: false,
      namespace: 'default',
      env: emptyEnv(),
    });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${bbr.grpcPort}` });
    try {
      assert.equal(bbr.baseModelSource, 'kubernetes');
      await waitFor('informers synced', () => bbr.baseModelsSynced());
      assert.equal(await healthCheck(bbr.healthPort), 'SERVING');
      assert.deepEqual(await headersFor(client, 'food-review-1'), {
        model: 'food-review-1',
        base: 'Qwen/Qwen3-32B',
      });
      // Scoped to $NAMESPACE: the other namespace's ConfigMap is not seen.
      assert.deepEqual(await headersFor(client, 'lora-other'), { model: 'lora-other', base: '' });

      api.create(configMap('llama', 'default', BBR, 'meta-llama/Llama-3.1-8B', ['sql-lora', 'chat-lora']));
      const base = async (m: string) => (await headersFor(client, m)).base;
      await waitFor('llama added', async () => (await base('chat-lora')) === 'meta-llama/Llama-3.1-8B');
      assert.equal(
        await base('meta-llama/Llama-3.1-8B'),
        'meta-llama/Llama-3.1-8B',
        'a base model maps to itself',
      );

      api.delete('v1', 'ConfigMap', 'default', 'llama');
      await waitFor('llama removed', async () => (await base('chat-lora')) === '');
      assert.deepEqual(await headersFor(client, 'sql-lora'), { model: 'sql-lora', base: '' });

      // Losing the label is a removal too (the informer's label selector drops it).
      api.modify('v1', 'ConfigMap', 'default', 'qwen', (o) => {
        o.metadata.labels = { [IPP]: 'false' };
      });
      await waitFor('qwen unlabelled', async () => (await base('food-review-1')) === '');

      // A ConfigMap without baseModel is reported, not applied; the rest keeps working.
      api.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'broken', namespace: 'default', labels: { [BBR]: 'true' } },
        data: { adapters: '- x\n' },
      });
      await waitFor('broken reported', () =>
        lines.find((l) => /ConfigMap default\/broken: missing or empty baseModel/.test(l.msg)),
      );
      assert.ok(lines.some((l) => l.msg === 'watching base-model ConfigMaps' && l.namespace === 'default'));
    } finally {
      client.close();
      await bbr.stop();
      drop('other', 'elsewhere');
      drop('default', 'qwen');
      drop('default', 'broken');
    }
    await waitFor('stop() closed both watches', () => api.watchCount(CORE_CONFIGMAPS) === 0);
  });

  test('health is NOT_SERVING until the ConfigMaps are listed (here: RBAC missing, then granted); ext_proc serves meanwhile', async () => {
    api.forbid(CORE_CONFIGMAPS);
    api.create(configMap('granite', 'default', BBR, 'ibm/granite', ['granite-lora']));
    const { logger, lines } = captureLogs();
    const bbr = await startBbr(parseFlags([...BASE_FLAGS, `--kubeconfig=${kubeconfig}`]), logger, {
      processMetrics: false,
      env: emptyEnv(), // no namespace: all namespaces, as upstream without $NAMESPACE
      kubernetesBackoff: { initialMs: 20, maxMs: 100 },
    });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${bbr.grpcPort}` });
    try {
      await waitFor('403 logged', () => lines.find((l) => l.level === 50 && /configmaps/i.test(l.msg)));
      assert.equal(bbr.baseModelsSynced(), false);
      assert.equal(await healthCheck(bbr.healthPort), 'NOT_SERVING');
      assert.equal(
        await healthCheck(bbr.healthPort, 'envoy.service.ext_proc.v3.ExternalProcessor'),
        'NOT_SERVING',
      );
      assert.equal(await healthCheck(bbr.healthPort, 'liveness'), 'SERVING');
      assert.deepEqual(await headersFor(client, 'granite-lora'), { model: 'granite-lora', base: '' });

      api.allow(CORE_CONFIGMAPS);
      await waitFor('synced after the grant', () => bbr.baseModelsSynced());
      assert.equal(await healthCheck(bbr.healthPort), 'SERVING');
      assert.equal((await headersFor(client, 'granite-lora')).base, 'ibm/granite');
      assert.ok(lines.some((l) => l.msg === 'base-model ConfigMaps synced: health SERVING'));
    } finally {
      client.close();
      await bbr.stop();
      api.allow(CORE_CONFIGMAPS);
      drop('default', 'granite');
    }
  });

  test('the igw-bbr bin: --kubeconfig and $NAMESPACE, a ConfigMap added and deleted, SIGTERM exits 0', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...BASE_FLAGS, `--kubeconfig=${kubeconfig}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...emptyEnv(), NAMESPACE: 'default', PATH: process.env.PATH },
    });
    const logs: Array<Record<string, unknown>> = [];
    const ports = await new Promise<{ grpcPort: number; healthPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('igw-bbr did not start within 15 s')), 15_000);
      child.once('exit', (code) => reject(new Error(`igw-bbr exited early with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const rec = JSON.parse(line) as { msg: string; grpcPort: number; healthPort: number };
        logs.push(rec);
        if (rec.msg === 'bbr serving') {
          clearTimeout(timer);
          resolve(rec);
        }
      });
    });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${ports.grpcPort}` });
    try {
      await waitFor('health SERVING', async () => (await healthCheck(ports.healthPort)) === 'SERVING');
      assert.equal(logs.find((l) => l.msg === 'bbr serving')?.baseModelSource, 'kubernetes');
      api.create(configMap('mistral', 'default', BBR, 'mistral/base', ['m-lora']));
      api.create(configMap('mistral', 'other', BBR, 'wrong/base', ['m-lora-2']));
      const base = async (m: string) => (await headersFor(client, m)).base;
      await waitFor('mistral added', async () => (await base('m-lora')) === 'mistral/base');
      assert.equal(await base('m-lora-2'), '', '$NAMESPACE scopes the watch');
      api.delete('v1', 'ConfigMap', 'default', 'mistral');
      await waitFor('mistral removed', async () => (await base('m-lora')) === '');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      client.close();
      if (child.exitCode === null) child.kill('SIGKILL');
      drop('other', 'mistral');
    }
  });
});

describe('BBR without any Kubernetes configuration', () => {
  test('starts, health SERVING, the model header works, one warning; no base-model mappings', async () => {
    const { logger, lines } = captureLogs();
    const bbr: RunningBbr = await startBbr(parseFlags(BASE_FLAGS), logger, {
      processMetrics: false,
      env: emptyEnv(),
    });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${bbr.grpcPort}` });
    try {
      assert.equal(bbr.baseModelSource, 'none');
      assert.equal(bbr.baseModelsSynced(), true);
      assert.equal(await healthCheck(bbr.healthPort), 'SERVING');
      assert.deepEqual(await headersFor(client, 'food-review-1'), { model: 'food-review-1', base: '' });
      const warnings = lines.filter((l) => l.level === 40);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!.msg, /no Kubernetes configuration and no --base-model-configmaps-file/);
      assert.match(String(warnings[0]!.reason), /pass --kubeconfig, set KUBECONFIG/);
    } finally {
      client.close();
      await bbr.stop();
    }
  });

  test('a named but unusable configuration (--kubeconfig, $KUBECONFIG) fails the start with the path named', async () => {
    const logger = pino({ level: 'silent' });
    const missing = join(dir, 'missing-kubeconfig');
    await assert.rejects(
      startBbr(parseFlags([...BASE_FLAGS, `--kubeconfig=${missing}`]), logger, {
        processMetrics: false,
        env: emptyEnv(),
      }),
      { name: 'KubeConfigError', message: `--kubeconfig ${missing} does not exist` },
    );
    const garbage = join(dir, 'garbage-kubeconfig');
    writeFileSync(garbage, 'clusters: [unterminated');
    await assert.rejects(
      startBbr(parseFlags(BASE_FLAGS), logger, {
        processMetrics: false,
        env: { ...emptyEnv(), KUBECONFIG: garbage },
      }),
      { name: 'KubeConfigError', message: new RegExp(`^\\$KUBECONFIG ${garbage} cannot be read`) },
    );
  });

  test('custom plugins without base-model-to-header do not watch ConfigMaps', async () => {
    const flags = parseFlags([
      ...BASE_FLAGS,
      `--kubeconfig=${join(dir, 'never-read')}`,
      '--plugin',
      'body-field-to-header:m:{"fieldName":"model","headerName":"X-Gateway-Model-Name"}',
    ]);
    const bbr = await startBbr(flags, pino({ level: 'silent' }), { processMetrics: false, env: emptyEnv() });
    try {
      assert.equal(bbr.baseModelSource, 'none');
      assert.equal(await healthCheck(bbr.healthPort), 'SERVING');
    } finally {
      await bbr.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { PoolSelection } from '@igw/k8s-sync';
import { PoolDatastore } from '../datastore/datastore.js';
import { RecordingSlots } from '../datastore/recording-slots.js';
import { captureLogger } from '../testing/capture-logger.js';
import { FileSource } from './file-source.js';
import { ResourcesFileError } from './resources-file.js';

const dir = mkdtempSync(join(tmpdir(), 'epp-file-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEL: PoolSelection = {
  mode: 'pool',
  namespace: 'prod',
  name: 'pool',
  group: 'inference.networking.k8s.io',
};

const POOL = `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
`;

function podYaml(name: string, ip: string, ready = true): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: vllm}}
status:
  podIP: ${ip}
  conditions: [{type: Ready, status: "${ready ? 'True' : 'False'}"}]
`;
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: vllm}
spec: {replicas: 2}
`;

function docs(...parts: string[]): string {
  return parts.join('---\n');
}

let n = 0;
function fixture(text: string): string {
  const p = join(dir, `resources-${n++}.yaml`);
  writeFileSync(p, text);
  return p;
}

function source(path: string) {
  const cap = captureLogger();
  const ds = new PoolDatastore(new RecordingSlots());
  const src = new FileSource({
    path,
    selection: SEL,
    datastore: ds,
    logger: cap.logger,
    debounceMs: 20,
    pollMs: 50,
  });
  return { src, ds, cap };
}

describe('FileSource', () => {
  test('loads a multi-document file (objects default to the pool namespace, other kinds ignored)', () => {
    const { src, ds } = source(
      fixture(docs(POOL, podYaml('a', '10.0.0.1'), podYaml('b', '10.0.0.2', false), DEPLOYMENT)),
    );
    const snap = src.start();
    src.stop();
    assert.equal(snap.pool?.namespace, 'prod');
    assert.equal(ds.poolSynced(), true);
    assert.deepEqual(
      ds.endpoints().map((e) => e.address),
      ['10.0.0.1:8000'],
    );
  });

  test('reads kind: List dumps (kubectl get -o yaml)', () => {
    const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a, labels: {app: vllm}}
  status: {podIP: 10.0.0.9, conditions: [{type: Ready, status: "True"}]}
`;
    const { src, ds } = source(fixture(docs(POOL, list)));
    src.start();
    src.stop();
    assert.equal(ds.endpoints()[0]?.address, '10.0.0.9:8000');
  });

  test('an edit is picked up by the watcher', async () => {
    const path = fixture(docs(POOL, podYaml('a', '10.0.0.1')));
    const { src, ds } = source(path);
    src.start();
    try {
      const applied = once(src, 'applied');
      writeFileSync(path, docs(POOL, podYaml('a', '10.0.0.1'), podYaml('c', '10.0.0.3')));
      await applied;
      assert.deepEqual(
        ds.endpoints().map((e) => e.podName),
        ['a', 'c'],
      );
      // Editors that write a temp file and rename it over the original are seen too.
      const again = once(src, 'applied');
      writeFileSync(`${path}.tmp`, docs(POOL, podYaml('c', '10.0.0.3')));
      renameSync(`${path}.tmp`, path);
      await again;
      assert.deepEqual(
        ds.endpoints().map((e) => e.podName),
        ['c'],
      );
    } finally {
      src.stop();
    }
  });

  test('a bad edit (YAML syntax, malformed object, deleted file) is reported and the last good state kept', async () => {
    const path = fixture(docs(POOL, podYaml('a', '10.0.0.1')));
    const { src, ds, cap } = source(path);
    src.start();
    try {
      let rejected = once(src, 'rejected');
      writeFileSync(path, `${POOL}\n  bad: [unclosed\n`);
      let [err] = (await rejected) as [Error];
      assert.match(err.message, /YAML document 1/);
      assert.equal(ds.endpoints().length, 1);
      assert.ok(cap.lines.some((l) => l.level === 50 && /keeping the last good state/.test(l.msg)));

      rejected = once(src, 'rejected');
      writeFileSync(path, docs(POOL.replace('number: 8000', 'number: 0'), podYaml('a', '10.0.0.1')));
      [err] = (await rejected) as [Error];
      assert.match(err.message, /InferencePool prod\/pool spec\.targetPorts\[0\]\.number/);
      assert.equal(ds.poolSynced(), true);
      assert.deepEqual(ds.pool()?.targetPorts, [8000]);

      rejected = once(src, 'rejected');
      rmSync(path);
      [err] = (await rejected) as [Error];
      assert.match(err.message, /cannot read/);
      assert.equal(ds.endpoints().length, 1);

      // A good version afterwards is applied again.
      const applied = once(src, 'applied');
      writeFileSync(path, docs(POOL, podYaml('z', '10.0.0.26')));
      await applied;
      assert.equal(ds.endpoints()[0]?.podName, 'z');
    } finally {
      src.stop();
    }
  });

  test('at startup a missing or unparseable file throws; malformed objects are skipped and logged', () => {
    assert.throws(() => source(join(dir, 'nope.yaml')).src.start(), ResourcesFileError);
    assert.throws(() => source(fixture('a: [')).src.start(), /YAML document 1/);
    const { src, ds, cap } = source(
      fixture(
        docs(POOL, podYaml('a', '10.0.0.1'), 'apiVersion: v1\nkind: Pod\nmetadata: {labels: {app: vllm}}\n'),
      ),
    );
    src.start();
    src.stop();
    assert.equal(ds.endpoints().length, 1);
    assert.ok(
      cap.lines.some((l) => /skipping malformed object: Pod prod\/<no name> metadata\.name/.test(l.msg)),
    );
  });

  test('the selected pool missing from the file: loaded but not synced', () => {
    const { src, ds, cap } = source(fixture(docs(podYaml('a', '10.0.0.1'))));
    src.start();
    src.stop();
    assert.equal(ds.poolSynced(), false);
    assert.ok(cap.lines.some((l) => /selected pool is not in it/.test(l.msg)));
  });
});

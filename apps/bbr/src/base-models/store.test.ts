import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ConfigMapObject } from '@igw/k8s-sync';
import { parseConfigMapsYaml } from './configmap-file.js';
import { BaseModelStore } from './store.js';

function cm(
  name: string,
  data: Record<string, string>,
  label = 'inference.llm-d.ai/ipp-managed',
): ConfigMapObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels: { [label]: 'true' } },
    data,
  };
}

describe('BaseModelStore', () => {
  test('adapters map to their base; base models map to themselves; unknown is empty; names trimmed', () => {
    const s = new BaseModelStore();
    assert.equal(
      s.upsertConfigMap(
        cm('a', { baseModel: ' Qwen/Qwen3-32B ', adapters: '- food-review-1\n- " spaced "\n- ""\n' }),
      ),
      undefined,
    );
    assert.equal(s.baseModelOf('food-review-1'), 'Qwen/Qwen3-32B');
    assert.equal(s.baseModelOf(' spaced'), 'Qwen/Qwen3-32B');
    assert.equal(s.baseModelOf('Qwen/Qwen3-32B'), 'Qwen/Qwen3-32B');
    assert.equal(s.baseModelOf('other'), '');
  });
  test('both labels are honoured; a ConfigMap that loses its label is dropped', () => {
    const s = new BaseModelStore();
    s.upsertConfigMap(
      cm('gaie', { baseModel: 'b1', adapters: '[x1]' }, 'inference.networking.k8s.io/bbr-managed'),
    );
    assert.equal(s.baseModelOf('x1'), 'b1');
    s.upsertConfigMap({
      ...cm('gaie', { baseModel: 'b1', adapters: '[x1]' }),
      metadata: { name: 'gaie', namespace: 'default', labels: {} },
    });
    assert.equal(s.baseModelOf('x1'), '');
    assert.equal(s.baseModelOf('b1'), '');
  });
  test('several ConfigMaps share a base (reference counted); removal keeps the others', () => {
    const s = new BaseModelStore();
    s.upsertConfigMap(cm('p1', { baseModel: 'base', adapters: '[a1]' }));
    s.upsertConfigMap(cm('p2', { baseModel: 'base', adapters: '[a2]' }));
    s.removeConfigMap('default', 'p1');
    assert.equal(s.baseModelOf('a1'), '');
    assert.equal(s.baseModelOf('a2'), 'base');
    assert.equal(s.baseModelOf('base'), 'base');
    s.removeConfigMap('default', 'p2');
    assert.equal(s.baseModelOf('base'), '');
  });
  test('invalid data is an issue and the last good state is kept', () => {
    const s = new BaseModelStore();
    s.upsertConfigMap(cm('c', { baseModel: 'b', adapters: '[a]' }));
    assert.match(s.upsertConfigMap(cm('c', { adapters: '[a]' }))!.message, /missing or empty baseModel/);
    assert.match(
      s.upsertConfigMap(cm('c', { baseModel: 'b', adapters: 'key: value' }))!.message,
      /YAML list/,
    );
    assert.match(
      s.upsertConfigMap(cm('c', { baseModel: 'b', adapters: '[a, [' }))!.message,
      /failed to parse adapters/,
    );
    assert.match(s.upsertConfigMap(cm('c', { baseModel: 'b', adapters: '[1]' }))!.message, /not a string/);
    assert.equal(s.baseModelOf('a'), 'b');
  });
  test('replaceAll drops ConfigMaps that are gone', () => {
    const s = new BaseModelStore();
    s.replaceAll([cm('x', { baseModel: 'bx', adapters: '[ax]' }), cm('y', { baseModel: 'by' })]);
    assert.deepEqual(s.stats(), { configMaps: 2, baseModels: 2, adapters: 1 });
    s.replaceAll([cm('y', { baseModel: 'by' })]);
    assert.equal(s.baseModelOf('ax'), '');
    assert.equal(s.baseModelOf('by'), 'by');
  });
});

describe('ConfigMap YAML file', () => {
  test('multi-document files and v1 Lists; invalid documents reported and skipped; NAMESPACE filter', () => {
    const text = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {inference.llm-d.ai/ipp-managed: "true"}\ndata:\n  baseModel: b\n',
      'apiVersion: v1\nkind: List\nitems:\n- metadata: {name: l1, namespace: other}\n  data: {baseModel: c}\n',
      'kind: ConfigMap\nmetadata: {}\n',
      '',
    ].join('---\n');
    const all = parseConfigMapsYaml(text, 'f.yaml');
    assert.deepEqual(
      all.configMaps.map((c) => `${c.metadata.namespace}/${c.metadata.name}`),
      ['default/a', 'other/l1'],
    );
    assert.equal(all.problems.length, 1);
    assert.match(all.problems[0]!, /document 3: not a valid ConfigMap/);
    assert.deepEqual(
      parseConfigMapsYaml(text, 'f.yaml', 'other').configMaps.map((c) => c.metadata.name),
      ['l1'],
    );
  });
  test('the shipped example file maps its adapters', () => {
    const path = new URL('../../examples/base-model-configmaps.yaml', import.meta.url);
    const { configMaps, problems } = parseConfigMapsYaml(readFileSync(path, 'utf8'), 'example');
    assert.deepEqual(problems, []);
    const s = new BaseModelStore();
    assert.deepEqual(s.replaceAll(configMaps), []);
    assert.equal(s.baseModelOf('food-review-2'), 'Qwen/Qwen3-32B');
    assert.equal(s.baseModelOf('sql-lora'), 'meta-llama/Llama-3.1-8B-Instruct');
  });
  test('YAML syntax errors throw with the document number', () => {
    assert.throws(
      () => parseConfigMapsYaml('a: b\n---\nfoo: [unclosed\n', 'bad.yaml'),
      /bad\.yaml: document 2/,
    );
  });
});

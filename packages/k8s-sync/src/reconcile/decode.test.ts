import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeObject } from './decode.js';
import { model, pod, poolV1, poolV1alpha2, rewrite } from './fixtures.js';

function issueOf(raw: unknown) {
  const r = decodeObject(raw, 'default');
  assert.equal(r.ok, false, 'expected a decode failure');
  return (r as { ok: false; issue: { kind: string; name: string; field: string; message: string } }).issue;
}

describe('decodeObject', () => {
  test('v1 and v1alpha2 pools map to one shape', () => {
    const v1 = decodeObject(poolV1('p', { ports: [8000, 8001], failureMode: 'FailOpen' }), 'default');
    assert.ok(v1.ok && v1.object.kind === 'InferencePool');
    assert.deepEqual(v1.object.targetPorts, [8000, 8001]);
    assert.deepEqual(v1.object.selector, { app: 'vllm' });
    assert.equal(v1.object.endpointPickerRef?.failureMode, 'FailOpen');
    assert.equal(v1.object.endpointPickerRef?.port, 9002);

    const a2 = decodeObject(poolV1alpha2('p', { port: 8080 }), 'default');
    assert.ok(a2.ok && a2.object.kind === 'InferencePool');
    assert.equal(a2.object.group, 'inference.networking.x-k8s.io');
    assert.deepEqual(a2.object.targetPorts, [8080]);
    // v1alpha2 infers 9002 for a Service ref without portNumber.
    assert.equal(a2.object.endpointPickerRef?.port, 9002);
    assert.equal(a2.object.endpointPickerRef?.kind, 'Service');
  });

  test('failure mode defaults to FailClose', () => {
    const r = decodeObject(poolV1('p'), 'default');
    assert.ok(r.ok && r.object.kind === 'InferencePool');
    assert.equal(r.object.endpointPickerRef?.failureMode, 'FailClose');
  });

  test('malformed pools name the object and the field', () => {
    const nine = poolV1('p', { ports: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
    let i = issueOf(nine);
    assert.equal(i.kind, 'InferencePool');
    assert.equal(i.name, 'p');
    assert.equal(i.field, 'spec.targetPorts');
    assert.match(i.message, /at most 8/);

    i = issueOf(poolV1('p', { ports: [8000, 8000] }));
    assert.match(i.message, /port number must be unique/);

    i = issueOf(poolV1('p', { ports: [70000] }));
    assert.equal(i.field, 'spec.targetPorts[0].number');

    const noPort = poolV1('p') as { spec: { endpointPickerRef: Record<string, unknown> } };
    delete noPort.spec.endpointPickerRef.port;
    i = issueOf(noPort);
    assert.equal(i.field, 'spec.endpointPickerRef');
    assert.match(i.message, /port is required when kind is 'Service'/);

    i = issueOf(poolV1('p', { selector: {} }));
    assert.equal(i.field, 'spec.selector.matchLabels');

    i = issueOf({ ...poolV1('p'), apiVersion: 'inference.networking.k8s.io/v2' });
    assert.equal(i.field, 'apiVersion');
  });

  test('InferenceModel: criticality enum, weights on all or none, at most 10 targets', () => {
    assert.match(issueOf(model('m', 'x', { criticality: 'Urgent' })).field, /spec.criticality/);
    const mixed = issueOf(model('m', 'x', { targets: [{ name: 'a', weight: 1 }, { name: 'b' }] }));
    assert.equal(mixed.field, 'spec.targetModels');
    assert.match(mixed.message, /all targetModels or for none/);
    const many = Array.from({ length: 11 }, (_, k) => ({ name: `t${k}` }));
    assert.match(issueOf(model('m', 'x', { targets: many })).message, /at most 10/);
    const ok = decodeObject(model('m', 'x', { targets: [{ name: 'a' }] }), 'default');
    assert.ok(ok.ok && ok.object.kind === 'InferenceModel');
    assert.deepEqual(ok.object.targetModels, [{ name: 'a' }]);
  });

  test('InferenceModelRewrite: a rule needs a target; missing weight is 0', () => {
    assert.match(issueOf(rewrite('r', [{ matches: ['a'], targets: [] }])).field, /spec.rules\[0\].targets/);
    const ok = decodeObject(rewrite('r', [{ targets: [{ modelRewrite: 'b' }] }]), 'default');
    assert.ok(ok.ok && ok.object.kind === 'InferenceModelRewrite');
    assert.deepEqual(ok.object.rules, [{ matches: [], targets: [{ modelRewrite: 'b', weight: 0 }] }]);
  });

  test('pods: readiness from the Ready condition, terminating from deletionTimestamp, namespace default', () => {
    const raw = pod('a', '10.0.0.1', { ready: false, deleting: true }) as {
      metadata: Record<string, unknown>;
    };
    delete raw.metadata.namespace;
    const r = decodeObject(raw, 'ns1');
    assert.ok(r.ok && r.object.kind === 'Pod');
    assert.equal(r.object.ready, false);
    assert.equal(r.object.meta.terminating, true);
    assert.equal(r.object.meta.namespace, 'ns1');
  });

  test('garbage and unsupported kinds are issues, not exceptions', () => {
    assert.match(issueOf(null).message, /unsupported kind "<no kind>"/);
    assert.match(issueOf('text').message, /unsupported kind/);
    assert.match(
      issueOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }).message,
      /Deployment/,
    );
    const noName = issueOf({ apiVersion: 'v1', kind: 'Pod', metadata: {} });
    assert.equal(noName.field, 'metadata.name');
    assert.equal(noName.name, '<no name>');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readControlHeaders } from './control-headers.js';

const view = (h: Record<string, string>) => ({ get: (n: string) => h[n] });

describe('control headers', () => {
  test('x-gateway-* names are read and listed for removal', () => {
    const c = readControlHeaders(
      view({
        'x-gateway-inference-objective': 'batch',
        'x-gateway-model-name-rewrite': 'm2',
        'x-gateway-inference-fairness-id': 'tenant-a',
        'x-request-id': 'abc',
      }),
    );
    assert.equal(c.objective, 'batch');
    assert.equal(c.rewrite, 'm2');
    assert.equal(c.fairnessId, 'tenant-a');
    assert.equal(c.requestId, 'abc');
    assert.equal(c.requestIdGenerated, false);
    assert.deepEqual(c.present.sort(), [
      'x-gateway-inference-fairness-id',
      'x-gateway-inference-objective',
      'x-gateway-model-name-rewrite',
    ]);
  });
  test('x-llm-d-* aliases are accepted and win over the old names; both are stripped', () => {
    const c = readControlHeaders(
      view({
        'x-llm-d-inference-objective': 'new',
        'x-gateway-inference-objective': 'old',
        'x-llm-d-model-name-rewrite': 'r',
      }),
    );
    assert.equal(c.objective, 'new');
    assert.equal(c.rewrite, 'r');
    assert.deepEqual(c.present.sort(), [
      'x-gateway-inference-objective',
      'x-llm-d-inference-objective',
      'x-llm-d-model-name-rewrite',
    ]);
  });
  test('absent headers: default fairness id, generated UUIDv4 request id, empty values ignored', () => {
    const c = readControlHeaders(view({ 'x-gateway-inference-objective': '' }));
    assert.equal(c.objective, undefined);
    assert.equal(c.rewrite, undefined);
    assert.equal(c.fairnessId, 'default-flow');
    assert.equal(c.requestIdGenerated, true);
    assert.match(c.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(c.present, ['x-gateway-inference-objective']);
    assert.notEqual(readControlHeaders(view({})).requestId, c.requestId);
  });
});

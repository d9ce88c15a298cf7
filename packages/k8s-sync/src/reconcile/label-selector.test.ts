import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from './label-selector.js';

describe('label selectors', () => {
  test('equality, inequality, set and existence requirements', () => {
    const reqs = parseLabelSelector(
      'app=vllm, tier==gpu,env!=dev, zone in (a, b),team notin (x),canary,!legacy',
    );
    assert.equal(reqs.length, 7);
    const labels = { app: 'vllm', tier: 'gpu', env: 'prod', zone: 'b', team: 'y', canary: '' };
    assert.equal(matchesLabels(reqs, labels), true);
    assert.equal(matchesLabels(reqs, { ...labels, legacy: '1' }), false);
    assert.equal(matchesLabels(reqs, { ...labels, zone: 'c' }), false);
    assert.equal(matchesLabels(reqs, { ...labels, env: 'dev' }), false);
    const { canary: _, ...noCanary } = labels;
    assert.equal(matchesLabels(reqs, noCanary), false);
    assert.deepEqual(parseLabelSelector(''), []);
    assert.equal(matchesLabels([], {}), true);
  });

  test('malformed selectors throw with the selector in the message', () => {
    for (const bad of ['a,,b', 'app=v@l', 'in (a)', '=x', 'a b c']) {
      assert.throws(() => parseLabelSelector(bad), LabelSelectorError, bad);
    }
    assert.throws(
      () => parseLabelSelector('app=v@l'),
      /invalid label selector "app=v@l": invalid value "v@l"/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterBySubset, subsetHintIps } from './subset.js';

const eps = [
  { address: '10.0.0.1:8000', ip: '10.0.0.1' },
  { address: '10.0.0.1:8001', ip: '10.0.0.1' },
  { address: '10.0.0.2:8000', ip: '10.0.0.2' },
];

describe('subset hint', () => {
  test('namespace or key absent -> no hint', () => {
    assert.equal(subsetHintIps({}), null);
    assert.equal(subsetHintIps({ 'envoy.lb.subset_hint': {} }), null);
    assert.equal(
      subsetHintIps({ 'envoy.lb': { 'x-gateway-destination-endpoint-subset': ['10.0.0.1:1'] } }),
      null,
    );
  });
  test('empty list -> nothing allowed', () => {
    const ips = subsetHintIps({ 'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': [] } });
    assert.deepEqual(ips && [...ips], []);
  });
  test('compares only the IP: the port in the hint does not matter; every port of the pod is allowed', () => {
    const ips = subsetHintIps({
      'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': ['10.0.0.1:9999', 7] },
    });
    assert.ok(ips);
    assert.deepEqual(filterBySubset(eps, ips), ['10.0.0.1:8000', '10.0.0.1:8001']);
  });
  test('no match -> empty', () => {
    const ips = subsetHintIps({
      'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': ['10.9.9.9:80'] },
    });
    assert.ok(ips);
    assert.deepEqual(filterBySubset(eps, ips), []);
  });
  test('a scalar string is a one-element list', () => {
    const ips = subsetHintIps({
      'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': '10.0.0.2:8000' },
    });
    assert.ok(ips);
    assert.deepEqual(filterBySubset(eps, ips), ['10.0.0.2:8000']);
  });
});

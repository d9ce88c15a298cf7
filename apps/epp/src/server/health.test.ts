import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXT_PROC_SERVICE, healthStatus } from './health.js';

function state(synced: boolean, leader: boolean, draining: boolean) {
  return { poolSynced: () => synced, isLeader: () => leader, draining: () => draining };
}

describe('health semantics (upstream cmd/epp/runner/health.go)', () => {
  test('without leader election: any name follows pool sync; liveness always SERVING; draining NOT_SERVING', () => {
    for (const svc of ['inference-extension', '', EXT_PROC_SERVICE, 'anything']) {
      assert.equal(healthStatus(svc, state(false, true, false), false), 'NOT_SERVING', svc);
      assert.equal(healthStatus(svc, state(true, true, false), false), 'SERVING', svc);
      assert.equal(healthStatus(svc, state(true, true, true), false), 'NOT_SERVING', svc);
    }
    assert.equal(healthStatus('liveness', state(false, false, true), false), 'SERVING');
  });

  test('with leader election: readiness names need synced and leader; unknown names SERVICE_UNKNOWN', () => {
    for (const svc of ['readiness', '', EXT_PROC_SERVICE]) {
      assert.equal(healthStatus(svc, state(true, true, false), true), 'SERVING', svc);
      assert.equal(healthStatus(svc, state(true, false, false), true), 'NOT_SERVING', svc);
      assert.equal(healthStatus(svc, state(false, true, false), true), 'NOT_SERVING', svc);
    }
    assert.equal(healthStatus('liveness', state(false, false, false), true), 'SERVING');
    assert.equal(healthStatus('inference-extension', state(true, true, false), true), 'SERVICE_UNKNOWN');
  });
});

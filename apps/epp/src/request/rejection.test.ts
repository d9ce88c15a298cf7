import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DROPPED_REASON_HEADER, droppedReasonHeaders, MSG, reject } from './rejection.js';

describe('rejection reasons', () => {
  test('llm-d values go out as x-llm-d-request-dropped-reason', () => {
    assert.deepEqual(droppedReasonHeaders(reject('InferencePoolResourceExhausted', MSG.saturated)), [
      [DROPPED_REASON_HEADER, 'rejected-saturated'],
    ]);
    assert.deepEqual(droppedReasonHeaders(reject('ServiceUnavailable', MSG.noCandidates)), [
      [DROPPED_REASON_HEADER, 'rejected-no-endpoints'],
    ]);
    assert.deepEqual(droppedReasonHeaders(reject('Internal', MSG.emptyResult)), [
      [DROPPED_REASON_HEADER, 'rejected-internal'],
    ]);
  });

  test('400, 404 and 413 keep a logged cause but send no header (llm-d defines no value for them)', () => {
    for (const r of [
      reject('BadRequest', MSG.badJson),
      reject('BadConfiguration', MSG.noInferenceModel('m')),
      reject('PayloadTooLarge', MSG.tooLarge(10)),
    ]) {
      assert.equal(r.reason, 'rejected-bad-request');
      assert.deepEqual(droppedReasonHeaders(r), []);
    }
  });
});

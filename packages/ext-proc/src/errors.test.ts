import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ErrorCode, GatewayError, GrpcStatusError, payloadTooLarge, toGrpcStatus } from './errors.js';

describe('errors', () => {
  test('GatewayError carries the upstream HTTP status and body text', () => {
    const e = new GatewayError(ErrorCode.BadRequest, 'model not found in request body');
    assert.equal(e.httpStatus, 400);
    assert.equal(e.bodyText, 'inference gateway: BadRequest - model not found in request body');
    const bbr = new GatewayError(ErrorCode.BadRequest, 'x', { prefix: 'inference error' });
    assert.equal(bbr.bodyText, 'inference error: BadRequest - x');
    assert.equal(new GatewayError(ErrorCode.InferencePoolResourceExhausted, 'm').httpStatus, 429);
    assert.equal(new GatewayError(ErrorCode.ServiceUnavailable, 'm').httpStatus, 503);
    assert.equal(new GatewayError(ErrorCode.Internal, 'm').httpStatus, 500);
    assert.equal(new GatewayError(ErrorCode.BadConfiguration, 'm').httpStatus, 404);
    assert.equal(payloadTooLarge(10, 11).httpStatus, 413);
    assert.match(payloadTooLarge(10, 11).bodyText, /11 bytes exceeds the limit of 10 bytes/);
  });
  test('toGrpcStatus maps every thrown value', () => {
    assert.deepEqual(toGrpcStatus(new GrpcStatusError(status.UNAVAILABLE, 'not ready')), {
      code: status.UNAVAILABLE,
      details: 'not ready',
    });
    assert.equal(toGrpcStatus(new Error('boom')).code, status.INTERNAL);
    assert.equal(toGrpcStatus('str').details, 'internal error: str');
  });
});

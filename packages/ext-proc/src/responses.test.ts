import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bodyReply, headersReply } from './responses.js';

describe('headersReply / bodyReply', () => {
  test('each phase fills its own member, and only that one', () => {
    const cases = [
      [headersReply('request'), 'requestHeaders'],
      [headersReply('response'), 'responseHeaders'],
      [bodyReply('request'), 'requestBody'],
      [bodyReply('response'), 'responseBody'],
    ] as const;
    for (const [reply, member] of cases) {
      assert.deepEqual(Object.keys(reply), [member]);
      assert.deepEqual(reply[member], { response: {} });
    }
  });

  test('header mutation, route cache, body and dynamic metadata are carried', () => {
    const r = bodyReply(
      'request',
      { setHeaders: [['x-a', '1']], removeHeaders: ['x-b'], clearRouteCache: true, body: Buffer.from('hi') },
      { 'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.1:8000' } },
    );
    const common = r.requestBody?.response;
    assert.ok(common);
    assert.equal(common.clearRouteCache, true);
    assert.deepEqual(common.bodyMutation, { body: Buffer.from('hi') });
    assert.deepEqual(common.headerMutation?.removeHeaders, ['x-b']);
    assert.equal(common.headerMutation?.setHeaders?.[0]?.header?.key, 'x-a');
    assert.ok(r.dynamicMetadata?.fields?.['envoy.lb']);
    // empty metadata adds no member
    assert.equal(headersReply('response', {}, {}).dynamicMetadata, undefined);
  });
});

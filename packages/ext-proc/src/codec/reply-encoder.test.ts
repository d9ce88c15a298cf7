import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProcessingResponse } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { extProcServiceDefinition } from '../proto.js';
import { bodyReply, headersReply, streamedChunkReply } from '../responses.js';
import { encodeCommonReply, encodeStreamedChunk, REPLY_FIELD } from './reply-encoder.js';

const def = extProcServiceDefinition().Process;
/** The generated codec (proto-loader + protobufjs), the reference. */
const generic = (m: ProcessingResponse): Buffer => def.responseSerialize(m);
const decode = (b: Buffer): unknown => def.responseDeserialize(b);

function same(hand: Buffer, reference: ProcessingResponse): void {
  const ref = generic(reference);
  assert.deepEqual(decode(hand), decode(ref));
  // Same field order as protobufjs, so the bytes match too.
  assert.deepEqual(hand, ref);
}

const md = {
  'envoy.lb': {
    'x-gateway-destination-endpoint': '10.0.0.1:8000,10.0.0.2:8000',
    scores: { '10.0.0.1:8000': 0.75, '10.0.0.2:8000': -1e-9 },
    list: ['a', 1, true, null, { deep: [[]] }],
    flag: false,
    nothing: null,
    skipped: undefined,
    unicode: 'é✓😀',
  },
  other: {},
};

describe('encodeCommonReply matches the generated codec', () => {
  test('request headers reply with sets, removes, route cache and metadata', () => {
    const parts = {
      setHeaders: [
        ['x-gateway-destination-endpoint', '10.0.0.1:8000'],
        ['Content-Length', '1024'],
        ['x-evil', 'a\r\nb\x00c\x7f\td'],
        ['x-utf8', 'naïve ✓'],
        ['x-empty', ''],
      ] as Array<[string, string]>,
      removeHeaders: ['x-gateway-inference-objective', 'x-llm-d-model-name-rewrite'],
      clearRouteCache: true,
    };
    same(encodeCommonReply(REPLY_FIELD.requestHeaders, parts, md), headersReply('request', parts, md));
  });

  test('empty parts, no metadata, empty metadata', () => {
    same(encodeCommonReply(REPLY_FIELD.requestHeaders, {}), headersReply('request', {}));
    same(encodeCommonReply(REPLY_FIELD.responseHeaders, {}, {}), headersReply('response', {}, {}));
    same(
      encodeCommonReply(REPLY_FIELD.requestBody, { clearRouteCache: false }),
      bodyReply('request', { clearRouteCache: false }),
    );
  });

  test('removes only, response headers member', () => {
    const parts = { removeHeaders: ['content-length'] };
    same(encodeCommonReply(REPLY_FIELD.responseHeaders, parts), headersReply('response', parts));
  });

  test('long values need multi-byte length varints', () => {
    const parts = { setHeaders: [['x-long', 'v'.repeat(70_000)]] as Array<[string, string]> };
    const bigMd = { ns: { k: 'x'.repeat(20_000), n: Array.from({ length: 300 }, (_, i) => i) } };
    same(encodeCommonReply(REPLY_FIELD.requestHeaders, parts, bigMd), headersReply('request', parts, bigMd));
  });
});

describe('encodeStreamedChunk matches the generated codec', () => {
  test('chunks of several sizes, with and without end of stream', () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 62_000, 2_200_000]) {
      const chunk = Buffer.alloc(size, 0x61 + (size % 26));
      for (const eos of [false, true]) {
        same(
          encodeStreamedChunk(REPLY_FIELD.requestBody, chunk, eos),
          streamedChunkReply('request', chunk, eos),
        );
        same(
          encodeStreamedChunk(REPLY_FIELD.responseBody, chunk, eos),
          streamedChunkReply('response', chunk, eos),
        );
      }
    }
  });

  test('a chunk that carries the dynamic metadata (request headers skipped)', () => {
    const chunk = Buffer.from('{"model":"m"}');
    const ref = streamedChunkReply('request', chunk, true);
    ref.dynamicMetadata = headersReply('request', {}, md).dynamicMetadata;
    same(encodeStreamedChunk(REPLY_FIELD.requestBody, chunk, true, md), ref);
  });

  test('a view into a larger buffer encodes only its bytes', () => {
    const big = Buffer.from('0123456789abcdef');
    const view = big.subarray(4, 9);
    same(
      encodeStreamedChunk(REPLY_FIELD.requestBody, view, false),
      streamedChunkReply('request', view, false),
    );
  });
});

test('the service definition sends a pre-encoded Buffer as is and encodes a message object', () => {
  const pre = encodeStreamedChunk(REPLY_FIELD.requestBody, Buffer.from('abc'), true);
  assert.equal(def.responseSerialize(pre as never), pre);
  const obj = streamedChunkReply('request', Buffer.from('abc'), true);
  assert.deepEqual(def.responseSerialize(obj), pre);
});

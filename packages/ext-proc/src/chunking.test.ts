import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkBody, concatChunks, STREAMED_BODY_CHUNK_BYTES } from './chunking.js';

describe('chunkBody', () => {
  test('splits at 62,000 bytes with the remainder last', () => {
    const body = Buffer.alloc(150_000, 7);
    const chunks = chunkBody(body);
    assert.deepEqual(
      chunks.map((c) => c.length),
      [62_000, 62_000, 26_000],
    );
    assert.equal(STREAMED_BODY_CHUNK_BYTES, 62_000);
    assert.ok(Buffer.concat(chunks).equals(body));
  });
  test('an exact multiple gives no empty tail; an empty body gives one empty chunk', () => {
    assert.deepEqual(
      chunkBody(Buffer.alloc(124_000)).map((c) => c.length),
      [62_000, 62_000],
    );
    assert.deepEqual(
      chunkBody(Buffer.alloc(0)).map((c) => c.length),
      [0],
    );
  });
  test('rejects a non-positive chunk size', () => {
    assert.throws(() => chunkBody(Buffer.alloc(3), 0), RangeError);
  });
  test('concatChunks avoids copying a single chunk', () => {
    const one = Buffer.from('abc');
    assert.equal(concatChunks([one], 3), one);
    assert.equal(concatChunks([Buffer.from('a'), Buffer.from('bc')], 3).toString(), 'abc');
    assert.equal(concatChunks([], 0).length, 0);
  });
});

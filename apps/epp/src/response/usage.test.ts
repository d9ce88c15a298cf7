import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SseUsageScanner, usageOf } from './usage.js';

const sse = [
  'data: {"id":"1","model":"m","choices":[{"delta":{"content":"Hi"}}]}\n\n',
  'data: {"id":"1","model":"m","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}\n\n',
  'data: [DONE]\n\n',
].join('');

describe('usage', () => {
  test('JSON usage; missing fields count as 0; no usage -> undefined', () => {
    assert.deepEqual(usageOf({ usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } }), {
      promptTokens: 5,
      completionTokens: 7,
      totalTokens: 12,
    });
    assert.deepEqual(usageOf({ usage: { prompt_tokens: 5 } }), {
      promptTokens: 5,
      completionTokens: 0,
      totalTokens: 0,
    });
    assert.equal(usageOf({ usage: null }), undefined);
    assert.equal(usageOf({}), undefined);
    assert.equal(usageOf('x'), undefined);
  });
  test('SSE: the usage line before [DONE], in one chunk', () => {
    const s = new SseUsageScanner();
    s.feed(Buffer.from(sse));
    s.end();
    assert.deepEqual(s.usage, { promptTokens: 12, completionTokens: 3, totalTokens: 15 });
    assert.equal(s.sawDone, true);
  });
  test('SSE: every split point of the stream gives the same usage', () => {
    const bytes = Buffer.from(sse);
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new SseUsageScanner();
      s.feed(bytes.subarray(0, cut));
      s.feed(bytes.subarray(cut));
      s.end();
      assert.equal(s.usage?.totalTokens, 15, `cut at ${cut}`);
    }
  });
  test('SSE: byte-at-a-time with CRLF line ends and a final line without newline', () => {
    const text =
      'data: {"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\r\n\r\ndata: [DONE]';
    const s = new SseUsageScanner();
    for (const b of Buffer.from(text)) s.feed(Buffer.from([b]));
    s.end();
    assert.equal(s.usage?.totalTokens, 3);
    assert.equal(s.sawDone, true);
  });
  test('SSE: invalid JSON lines and usage:null chunks are skipped; the last usage wins', () => {
    const s = new SseUsageScanner();
    s.feed(Buffer.from('data: {"usage": broken\n'));
    s.feed(Buffer.from('data: {"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n'));
    s.feed(Buffer.from('data: {"usage":null}\n'));
    s.feed(Buffer.from('event: x\ndata: [DONE]\n'));
    s.end();
    assert.equal(s.usage?.totalTokens, 2);
  });
});

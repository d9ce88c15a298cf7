import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapModelInJsonText, SseModelMapper } from './model-mapback.js';

const m = { from: 'llama-canary', to: 'llama' };

describe('model name mapped back after a rewrite', () => {
  test('JSON: top-level model replaced, the rest byte-identical', () => {
    const text =
      '{"id":"x","model":"llama-canary","choices":[{"text":"model llama-canary","model":"llama-canary"}]}';
    assert.equal(
      mapModelInJsonText(text, m),
      '{"id":"x","model":"llama","choices":[{"text":"model llama-canary","model":"llama-canary"}]}',
    );
  });
  test('JSON: another model name is left alone', () => {
    const text = '{"model":"something-else"}';
    assert.equal(mapModelInJsonText(text, m), text);
  });
  const stream = [
    'data: {"model":"llama-canary","choices":[{"delta":{"content":"é"}}]}\n\n',
    'data: {"model":"llama-canary","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n',
    'data: [DONE]\n\n',
  ].join('');
  const expected = stream.replaceAll('"model":"llama-canary"', '"model":"llama"');
  test('SSE: all events mapped, whatever the chunking', () => {
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const mapper = new SseModelMapper(m);
      const out = Buffer.concat([
        mapper.push(bytes.subarray(0, cut), false),
        mapper.push(bytes.subarray(cut), true),
      ]);
      assert.equal(out.toString(), expected, `cut at ${cut}`);
    }
  });
  test('SSE: a chunk ending mid-line is held until its newline; complete lines go out at once', () => {
    const mapper = new SseModelMapper(m);
    const first = mapper.push(Buffer.from('data: {"model":"llama-canary"}\ndata: {"mod'), false);
    assert.equal(first.toString(), 'data: {"model":"llama"}\n');
    const second = mapper.push(Buffer.from('el":"llama-canary"}\n'), false);
    assert.equal(second.toString(), 'data: {"model":"llama"}\n');
    assert.equal(mapper.push(Buffer.alloc(0), true).length, 0);
  });
  test('SSE: non-JSON data lines, comments and CRLF are forwarded unchanged', () => {
    const mapper = new SseModelMapper(m);
    const text =
      ': llama-canary comment\r\ndata: llama-canary not json\r\ndata: {"model":"llama-canary"}\r\n';
    assert.equal(
      mapper.push(Buffer.from(text), true).toString(),
      ': llama-canary comment\r\ndata: llama-canary not json\r\ndata: {"model":"llama"}\r\n',
    );
  });
});

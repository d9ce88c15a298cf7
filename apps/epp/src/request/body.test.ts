import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequestBody, rewriteModel } from './body.js';
import { isRejection } from './rejection.js';

const parse = (v: unknown) => parseRequestBody(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

function ok(v: unknown) {
  const r = parse(v);
  if (isRejection(r)) assert.fail(`unexpected rejection: ${r.message}`);
  return r;
}

function rejected(v: unknown): string {
  const r = parse(v);
  assert.ok(isRejection(r), 'expected a rejection');
  assert.equal(r.code, 'BadRequest');
  assert.equal(r.reason, 'rejected-bad-request');
  return r.message;
}

describe('request body parsing: upstream 400 messages', () => {
  test('invalid JSON, empty body and non-object bodies', () => {
    assert.equal(rejected('{"model": '), 'Error unmarshaling request body');
    assert.equal(rejected(''), 'Error unmarshaling request body');
    assert.equal(rejected('[1,2]'), 'Error unmarshaling request body');
    assert.equal(rejected('"text"'), 'Error unmarshaling request body');
    assert.equal(rejected('null'), 'Error unmarshaling request body');
  });
  test('model missing or not a string', () => {
    assert.equal(rejected({ prompt: 'hi' }), 'model not found in request body');
    assert.equal(rejected({ model: 7, prompt: 'hi' }), 'model not found in request body');
  });
  test('messages not a list / empty', () => {
    assert.equal(rejected({ model: 'm', messages: 'hi' }), 'messages is not a list');
    assert.equal(rejected({ model: 'm', messages: [] }), 'messages is empty');
  });
  test('prompt missing / not a string', () => {
    assert.equal(rejected({ model: 'm' }), 'prompt not found in request');
    assert.equal(rejected({ model: 'm', prompt: ['a', 'b'] }), 'prompt is not a string');
    assert.equal(rejected({ model: 'm', prompt: null }), 'prompt is not a string');
  });
  test('input of an unusable type', () => {
    assert.equal(rejected({ model: 'm', input: 42 }), 'input is not a string or a list');
    assert.equal(rejected({ model: 'm', input: [true] }), 'input is not a string or a list');
  });
});

describe('prompt extraction', () => {
  test('completions: the prompt string', () => {
    const r = ok({ model: 'm', prompt: 'Hello world' });
    assert.equal(r.kind, 'completions');
    assert.equal(r.prompt, 'Hello world');
    assert.equal(r.model, 'm');
  });
  test('chat: <|im_start|> rendering; messages without string role/content skipped', () => {
    const r = ok({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'tool' },
        { content: 'no role' },
        'not an object',
        {
          role: 'user',
          content: [{ type: 'text', text: 'part1 ' }, { type: 'image_url' }, { type: 'text', text: 'part2' }],
        },
      ],
    });
    assert.equal(r.kind, 'chat');
    assert.equal(
      r.prompt,
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\npart1 part2<|im_end|>\n',
    );
  });
  test('chat wins over prompt when both are present (upstream checks messages first)', () => {
    const r = ok({ model: 'm', messages: [{ role: 'user', content: 'x' }], prompt: 'ignored' });
    assert.equal(r.kind, 'chat');
  });
  test('responses API: instructions as system turn, items rendered, strings as user turns', () => {
    const r = ok({
      model: 'm',
      instructions: 'Be nice.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Q?' }] },
        'more',
        { type: 'function_call' },
      ],
    });
    assert.equal(r.kind, 'responses');
    assert.equal(
      r.prompt,
      '<|im_start|>system\nBe nice.<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>user\nmore<|im_end|>\n',
    );
    const s = ok({ model: 'm', instructions: 'I', input: 'hello' });
    assert.equal(s.kind, 'responses');
    assert.equal(s.prompt, '<|im_start|>system\nI<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n');
  });
  test('embeddings: string, list of strings, token lists', () => {
    assert.deepEqual(
      [ok({ model: 'e', input: 'abc' }).kind, ok({ model: 'e', input: 'abc' }).prompt],
      ['embeddings', 'abc'],
    );
    assert.equal(ok({ model: 'e', input: ['a', 'b'] }).prompt, 'a\nb');
    assert.equal(ok({ model: 'e', input: [1, 2, 3] }).prompt, '[1,2,3]');
    assert.equal(ok({ model: 'e', input: [[1, 2], [3]] }).prompt, '[[1,2],[3]]');
    assert.equal(ok({ model: 'e', input: [] }).prompt, '');
  });
  test('UTF-8 text survives', () => {
    assert.equal(ok({ model: 'm', prompt: 'héllo ✓ 日本' }).prompt, 'héllo ✓ 日本');
  });
});

describe('model rewrite keeps every other byte', () => {
  test('only the model value changes', () => {
    const text = '{ "seed": 12345678901234567890, "model" : "a",\n "prompt":"p", "x":{"model":"inner"}}';
    const r = ok(text);
    assert.equal(
      rewriteModel(r, 'target-<&>').toString(),
      '{ "seed": 12345678901234567890, "model" : "target-<&>",\n "prompt":"p", "x":{"model":"inner"}}',
    );
  });
});

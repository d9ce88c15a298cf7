import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResponseTracker } from './tracker.js';

const json = Buffer.from('{"model":"t","usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}}');

describe('response tracker', () => {
  test('JSON without mapping: chunks pass through as they are; usage read at the end', () => {
    const t = new ResponseTracker();
    t.onHeaders('application/json');
    const a = json.subarray(0, 10);
    const b = json.subarray(10);
    assert.equal(t.onChunk(a, false), a);
    assert.equal(t.onChunk(b, true), b);
    assert.equal(t.usage?.totalTokens, 10);
    assert.equal(t.responseBytes, json.length);
    assert.equal(t.complete, true);
  });
  test('JSON with mapping: held to the end, model mapped, usage read', () => {
    const t = new ResponseTracker({ mapping: { from: 't', to: 'client-name' } });
    t.onHeaders('application/json');
    assert.equal(t.onChunk(json.subarray(0, 10), false).length, 0);
    const out = t.onChunk(json.subarray(10), true);
    assert.equal(out.toString(), json.toString().replace('"model":"t"', '"model":"client-name"'));
    assert.equal(t.usage?.promptTokens, 4);
    assert.equal(t.mayChangeLength, true);
  });
  test('invalid JSON is forwarded unchanged (with and without mapping), no usage', () => {
    for (const mapping of [undefined, { from: 't', to: 'c' }]) {
      const t = new ResponseTracker(mapping ? { mapping } : {});
      t.onHeaders('application/json');
      const bad = Buffer.from('{"model":"t", oops');
      const out = Buffer.concat([t.onChunk(bad.subarray(0, 5), false), t.onChunk(bad.subarray(5), true)]);
      assert.equal(out.toString(), bad.toString());
      assert.equal(t.usage, undefined);
    }
  });
  test('a body over the copy bound streams through untouched (held bytes released in order)', () => {
    const t = new ResponseTracker({ mapping: { from: 't', to: 'c' }, maxCopyBytes: 16 });
    t.onHeaders('application/json');
    const out = [
      t.onChunk(json.subarray(0, 10), false),
      t.onChunk(json.subarray(10, 30), false),
      t.onChunk(json.subarray(30), true),
    ];
    assert.equal(Buffer.concat(out).toString(), json.toString());
    assert.equal(t.usage, undefined);
  });
  test('SSE: pass-through without mapping, usage from the final data lines', () => {
    const t = new ResponseTracker();
    t.onHeaders('text/event-stream; charset=utf-8');
    const c1 = Buffer.from('data: {"model":"t","choices":[]}\n\n');
    const c2 = Buffer.from(
      'data: {"usage":{"prompt_tokens":2,"completion_tokens":5,"total_tokens":7}}\n\ndata: [DONE]\n\n',
    );
    assert.equal(t.onChunk(c1, false), c1);
    assert.equal(t.onChunk(c2, true), c2);
    assert.equal(t.isSse, true);
    assert.equal(t.usage?.completionTokens, 5);
  });
  test('SSE with mapping: model mapped on every event', () => {
    const t = new ResponseTracker({ mapping: { from: 'target', to: 'alias' } });
    t.onHeaders('text/event-stream');
    const out = t.onChunk(Buffer.from('data: {"model":"target"}\n\ndata: [DONE]\n\n'), true);
    assert.equal(out.toString(), 'data: {"model":"alias"}\n\ndata: [DONE]\n\n');
  });
  test('same-length names do not drop Content-Length', () => {
    assert.equal(new ResponseTracker({ mapping: { from: 'ab', to: 'cd' } }).mayChangeLength, false);
    assert.equal(new ResponseTracker().mayChangeLength, false);
  });
});

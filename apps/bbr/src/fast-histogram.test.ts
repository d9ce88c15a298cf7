import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

test('FastHistogram renders cumulative buckets, +Inf, _sum and _count per label set', async () => {
  const registry = new Registry();
  const h = new FastHistogram('x_seconds', 'help text', ['a'] as const, [0.001, 0.01], registry);
  const one = h.labels({ a: '1' });
  one.observe(0.0005);
  one.observe(0.005);
  one.observe(1);
  h.labels({ a: '2' });
  const text = await registry.metrics();
  assert.match(text, /^# TYPE x_seconds histogram$/m);
  assert.match(text, /^x_seconds_bucket\{a="1",le="0.001"\} 1$/m);
  assert.match(text, /^x_seconds_bucket\{a="1",le="0.01"\} 2$/m);
  assert.match(text, /^x_seconds_bucket\{a="1",le="\+Inf"\} 3$/m);
  assert.match(text, /^x_seconds_sum\{a="1"\} 1.0055$/m);
  assert.match(text, /^x_seconds_count\{a="2"\} 0$/m);
  h.reset();
  assert.match(await registry.metrics(), /^x_seconds_count\{a="1"\} 0$/m);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineConfig } from './engines.js';
import { MetricsExtractor } from './extractor.js';
import { vllmPage } from './fixtures/pages.js';

describe('memory', () => {
  test('no linear-memory growth over 100,000 parses of mixed pages', () => {
    const ex = new MetricsExtractor(engineConfig('vllm'));
    const pages = [
      vllmPage({ seed: 1 }).bytes,
      new TextEncoder().encode(
        'vllm:num_requests_waiting 1.23456789012345678e3\nvllm:kv_cache_usage_perc 0.1\n',
      ),
      Uint8Array.from({ length: 2048 }, (_, i) => (i * 131) & 0xff),
    ];
    for (const p of pages) ex.extract(p); // the largest page sizes the input area once
    const before = ex.memoryBytes();
    for (let i = 0; i < 100_000; i++) ex.extract(pages[i % pages.length]!);
    assert.equal(ex.memoryBytes(), before);
  });

  test('a page larger than any before grows memory once, then stays; the 16 MiB default cap holds', () => {
    const ex = new MetricsExtractor(engineConfig('vllm'));
    const small = ex.memoryBytes();
    const line = 'vllm:num_requests_waiting{model_name="m"} 2\n';
    const big = new TextEncoder().encode(line.repeat(Math.floor((4 * 1024 * 1024) / line.length)));
    assert.equal(ex.extract(big).waitingQueueSize, 2);
    const grown = ex.memoryBytes();
    assert.ok(grown > small);
    for (let i = 0; i < 3; i++) ex.extract(big);
    assert.equal(ex.memoryBytes(), grown);
    const huge = new Uint8Array(16 * 1024 * 1024 + 1);
    assert.equal(ex.extract(huge).errors[0]?.code, 'PageTooLarge');
    assert.equal(ex.memoryBytes(), grown);
  });

  test('a page of one very long line (no newline) terminates', () => {
    const ex = new MetricsExtractor(engineConfig('vllm'));
    const long = new Uint8Array(1024 * 1024).fill(0x61);
    assert.ok(ex.extract(long).errors.length > 0);
    const longWanted = new TextEncoder().encode(`vllm:num_requests_waiting{a="${'x'.repeat(500_000)}`);
    assert.equal(ex.extract(longWanted).errors[0]?.code, 'MalformedLine');
  });
});

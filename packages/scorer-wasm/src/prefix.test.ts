import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { xxh64 } from './reference/xxhash64.js';
import { Scheduler } from './scheduler.js';
import { configOf, metrics } from './test-helpers.js';
import type { ScheduleRequest } from './types.js';

const PREFIX_ONLY = (params = '') =>
  configOf(
    `- type: prefix-cache-scorer${params ? `\n  parameters: {${params}}` : ''}\n- type: queue-scorer`,
    '  - pluginRef: prefix-cache-scorer\n    weight: 10\n  - pluginRef: queue-scorer',
  );

const req = (prompt: string | Uint8Array, p: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  prompt,
  targetModel: 'llama',
  priority: 0,
  nowMs: 1000,
  wantScores: true,
  ...p,
});

function block(ch: string, n = 64): string {
  return ch.repeat(n);
}

function prefixScores(s: Scheduler, r: ScheduleRequest): Record<string, number> {
  const res = s.schedule(r);
  assert.equal(res.status, 'ok');
  if (res.status !== 'ok') return {};
  return Object.fromEntries(res.scores!.map((x) => [x.address, x.perScorer['prefix-cache-scorer']!]));
}

function le64(h: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, h, true);
  return b;
}

const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const enc = (s: string) => new TextEncoder().encode(s);

describe('prefix hashing (spec 3.5)', () => {
  test('v1.0 chain: h0 = xxh64(model ‖ block0), hi = xxh64(block_i ‖ LE64(h_{i-1})); partial block dropped', () => {
    const s = Scheduler.create(PREFIX_ONLY(), { seed: 1 });
    const prompt = `${block('a') + block('b')}tail`;
    const hs = s.prefixHashes('llama', prompt);
    const h0 = xxh64(cat(enc('llama'), enc(block('a'))));
    const h1 = xxh64(cat(enc(block('b')), le64(h0)));
    assert.deepEqual(hs, [h0, h1]);
    assert.deepEqual(s.prefixHashes('llama', block('a', 63)), []);
  });

  test('token-approximate chain only with blockSizeTokens: seed = xxh64(model), 16 tokens x 4 bytes', () => {
    const s = Scheduler.create(PREFIX_ONLY('blockSizeTokens: 16'), { seed: 1 });
    const hs = s.prefixHashes('llama', block('a') + block('b'));
    const seed = xxh64(enc('llama'));
    const h0 = xxh64(cat(enc(block('a')), le64(seed)));
    const h1 = xxh64(cat(enc(block('b')), le64(h0)));
    assert.deepEqual(hs, [h0, h1]);
  });

  test('at most maxPrefixBlocksToMatch blocks; the block size is configurable', () => {
    const s = Scheduler.create(PREFIX_ONLY('hashBlockSize: 8, maxPrefixBlocksToMatch: 5'), { seed: 1 });
    assert.equal(s.prefixHashes('m', 'x'.repeat(1000)).length, 5);
    assert.equal(s.prefixHashes('m', 'x'.repeat(23)).length, 2);
  });
});

describe('prefix matching and recording', () => {
  const pool = (params = '') => {
    const s = Scheduler.create(PREFIX_ONLY(params), { seed: 5 });
    const hs = ['10.0.0.1:8000', '10.0.0.2:8000', '10.0.0.3:8000'].map((a) => s.addEndpoint(a));
    return { s, hs };
  };

  test('a short prompt scores 0 everywhere and records nothing', () => {
    const { s } = pool();
    assert.deepEqual(Object.values(prefixScores(s, req('short'))), [0, 0, 0]);
    assert.equal(s.stats().prefixIndexEntries, 0);
  });

  test('the primary pick records its blocks; the same prompt then matches fully there', () => {
    const { s, hs } = pool();
    s.updateMetrics(hs[1]!, metrics({ waitingQueueSize: 0 }));
    s.updateMetrics(hs[0]!, metrics({ waitingQueueSize: 3 }));
    s.updateMetrics(hs[2]!, metrics({ waitingQueueSize: 3 }));
    const prompt = block('a') + block('b') + block('c') + block('d');
    const first = s.schedule(req(prompt));
    assert.ok(first.status === 'ok' && first.endpoints[0] === '10.0.0.2:8000');
    assert.deepEqual(first.status === 'ok' && first.prefix, {
      matchedBlocks: 0,
      totalBlocks: 4,
      blockSizeBytes: 64,
    });
    assert.deepEqual(prefixScores(s, req(prompt)), {
      '10.0.0.1:8000': 0,
      '10.0.0.2:8000': 1,
      '10.0.0.3:8000': 0,
    });
    // shares the first two blocks
    assert.deepEqual(prefixScores(s, req(block('a') + block('b') + block('x') + block('y'))), {
      '10.0.0.1:8000': 0,
      '10.0.0.2:8000': 0.5,
      '10.0.0.3:8000': 0,
    });
    // another model never matches (model in block 0)
    assert.deepEqual(Object.values(prefixScores(s, req(prompt, { targetModel: 'other' }))), [0, 0, 0]);
    const st = s.stats();
    assert.equal(st.prefixLookups, 4);
    assert.ok(st.prefixHitBlocks >= 6);
  });

  test('walk stops at the first hash no endpoint holds; every holder of a walked hash counts', () => {
    const { s, hs } = pool();
    const p4 = block('a') + block('b') + block('c') + block('d');
    const p2 = block('a') + block('b');
    // 10.0.0.1 gets the 4-block prompt, 10.0.0.3 the 2-block one (steer with queues)
    s.updateMetrics(hs[0]!, metrics({ waitingQueueSize: 0 }));
    s.updateMetrics(hs[1]!, metrics({ waitingQueueSize: 9 }));
    s.updateMetrics(hs[2]!, metrics({ waitingQueueSize: 9 }));
    s.schedule(req(p4));
    s.updateMetrics(hs[0]!, metrics({ waitingQueueSize: 9 }));
    s.updateMetrics(hs[2]!, metrics({ waitingQueueSize: 0 }));
    s.schedule(req(p2, { subsetHint: ['10.0.0.3'] }));
    assert.deepEqual(prefixScores(s, req(p4 + block('e'))), {
      '10.0.0.1:8000': 4 / 5,
      '10.0.0.2:8000': 0,
      '10.0.0.3:8000': 2 / 5,
    });
  });

  test('per-endpoint LRU evicts the least recently used entries at lruCapacityPerServer', () => {
    const { s, hs } = pool('lruCapacityPerServer: 4');
    s.updateMetrics(hs[0]!, metrics({ waitingQueueSize: 0 }));
    s.updateMetrics(hs[1]!, metrics({ waitingQueueSize: 5 }));
    s.updateMetrics(hs[2]!, metrics({ waitingQueueSize: 5 }));
    const a = block('a') + block('b') + block('c');
    const b = block('x') + block('y') + block('z');
    s.schedule(req(a)); // 3 entries on .1
    s.schedule(req(b)); // 3 more: the 2 oldest of `a` are evicted
    assert.equal(s.stats().prefixIndexEntries, 4);
    assert.equal(prefixScores(s, req(b))['10.0.0.1:8000'], 1);
    // a's first block is gone, so the walk stops immediately
    assert.equal(prefixScores(s, req(a))['10.0.0.1:8000'], 0);
  });

  test('removing an endpoint drops its entries; a reused slot starts empty with a new generation', () => {
    const { s, hs } = pool();
    s.updateMetrics(hs[0]!, metrics({ waitingQueueSize: 0 }));
    s.updateMetrics(hs[1]!, metrics({ waitingQueueSize: 5 }));
    s.updateMetrics(hs[2]!, metrics({ waitingQueueSize: 5 }));
    const p = block('a').repeat(10) + block('b');
    s.schedule(req(p));
    assert.equal(s.stats().prefixIndexEntries, 11);
    s.removeEndpoint(hs[0]!);
    assert.equal(s.stats().prefixIndexEntries, 0);
    const again = s.addEndpoint('10.0.0.9:8000');
    assert.equal(again.slot, hs[0]!.slot);
    assert.equal(again.generation, hs[0]!.generation + 1);
    assert.deepEqual(Object.values(prefixScores(s, req(p))), [0, 0, 0]);
  });
});

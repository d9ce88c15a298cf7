// Test helpers: run a page through the WASM extractor and the TS reference and insist they agree.
import assert from 'node:assert/strict';
import { MetricsExtractor } from './extractor.js';
import { ReferenceExtractor } from './reference.js';
import type { EndpointMetrics, ExtractorConfig } from './types.js';

const encoder = new TextEncoder();

/** The reference reports no column; compare malformed-line messages without it. */
export function comparable(m: EndpointMetrics): EndpointMetrics {
  return {
    ...m,
    errors: m.errors.map((e) =>
      e.code === 'MalformedLine' ? { ...e, message: e.message.replace(/ \(column \d+\)|: [^:]+$/g, '') } : e,
    ),
  };
}

export class Pair {
  readonly wasm: MetricsExtractor;
  readonly ref: ReferenceExtractor;
  constructor(cfg: ExtractorConfig) {
    this.wasm = new MetricsExtractor(cfg);
    this.ref = new ReferenceExtractor(cfg);
  }
  /** The WASM result, after checking the reference gives the same one. */
  extract(page: string | Uint8Array): EndpointMetrics {
    const bytes = typeof page === 'string' ? encoder.encode(page) : page;
    const got = this.wasm.extract(bytes);
    assert.deepStrictEqual(comparable(got), comparable(this.ref.extract(bytes)));
    return got;
  }
}

/** A config asking for just one value (the others disabled). */
export function only(
  field: 'waitingQueue' | 'running' | 'kvUsage' | 'lora' | 'cacheInfo',
  spec: string,
): ExtractorConfig {
  const cfg: ExtractorConfig = { waitingQueue: '', running: '', kvUsage: '', lora: '', cacheInfo: '' };
  cfg[field] = spec;
  return cfg;
}

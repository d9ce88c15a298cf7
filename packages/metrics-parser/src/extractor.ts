// MetricsExtractor: the public face of the WASM page scanner.
import { assemble, pageDoesNotFit, pageTooLarge } from './assemble.js';
import { ErrorCodes } from './errors.js';
import { buildPlan, type ExtractionPlan } from './plan.js';
import type { EndpointMetrics, ExtractorConfig } from './types.js';
import { WasmScanner, WasmTrap } from './wasm.js';

/** Synchronous construction (WebAssembly.Module over the .wasm read with readFileSync). One instance per config. */
export class MetricsExtractor {
  private readonly plan: ExtractionPlan;
  private scanner: WasmScanner;

  /** Throws MetricSpecError (upstream message) for a malformed spec, ExtractorConfigError for other limits. */
  constructor(readonly config: ExtractorConfig) {
    this.plan = buildPlan(config);
    this.scanner = new WasmScanner(this.plan.slots);
  }

  /** Extract the configured metrics from one /metrics page (UTF-8 bytes). Never throws for bad page bytes. */
  extract(page: Uint8Array): EndpointMetrics {
    if (page.length > this.plan.maxPageBytes) return pageTooLarge(page.length, this.plan.maxPageBytes);
    return this.run(page.length, page);
  }

  /**
   * The same for a page received in chunks (e.g. the HTTP body's Buffers): the chunks are copied straight into
   * WASM memory, so the caller needs no Buffer.concat. The cap applies to the total length.
   */
  extractChunks(chunks: readonly Uint8Array[]): EndpointMetrics {
    let total = 0;
    for (const c of chunks) total += c.length;
    if (total > this.plan.maxPageBytes) return pageTooLarge(total, this.plan.maxPageBytes);
    return this.run(total, chunks);
  }

  private run(length: number, input: Uint8Array | readonly Uint8Array[]): EndpointMetrics {
    try {
      const results =
        input instanceof Uint8Array ? this.scanner.scan(input) : this.scanner.scanChunks(input, length);
      if (results === 'no-memory') return pageDoesNotFit(length);
      return assemble(this.plan, results);
    } catch (e) {
      if (!(e instanceof WasmTrap || e instanceof WebAssembly.RuntimeError)) throw e;
      // A trapped instance is poisoned: start a fresh one for the next page.
      this.scanner = new WasmScanner(this.plan.slots);
      return {
        errors: [
          {
            metric: 'page',
            code: ErrorCodes.InternalError,
            message: `metrics parser trapped: ${(e as Error).message}`,
          },
        ],
      };
    }
  }

  /** Bytes of WASM linear memory in use (grows only for a page larger than any seen before). */
  memoryBytes(): number {
    return this.scanner.memoryBytes();
  }
}

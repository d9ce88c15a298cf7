// MetricsExtractor: the public face of the WASM page scanner.
import { assemble, pageTooLarge } from './assemble.js';
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
    try {
      const results = this.scanner.scan(page);
      if (results === 'no-memory') return pageTooLarge(page.length, this.scanner.memoryBytes());
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

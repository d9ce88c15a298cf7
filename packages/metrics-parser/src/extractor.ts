// MetricsExtractor: the TypeScript face of the WASM page scanner (filled in by the next commit).
import type { EndpointMetrics, ExtractorConfig } from './types.js';

/** Synchronous construction (WebAssembly.Module over the .wasm read with readFileSync). One instance per config. */
export class MetricsExtractor {
  constructor(readonly config: ExtractorConfig) {}

  /** Extract the configured metrics from one /metrics page (UTF-8 bytes). Never throws for bad page bytes. */
  extract(_page: Uint8Array): EndpointMetrics {
    throw new Error('not implemented yet');
  }
}

// @igw/metrics-parser: Prometheus text-format (0.0.4 / OpenMetrics text) extractor for model-server /metrics pages.
export { ENGINE_NAMES, engineConfig, isEngineName } from './engines.js';
export type { ErrorCode } from './errors.js';
export { ErrorCodes, ExtractorConfigError, MetricSpecError } from './errors.js';
export { MetricsExtractor } from './extractor.js';
export { parseMetricSpec } from './spec.js';
export type {
  EndpointMetrics,
  EngineName,
  ExtractorConfig,
  MetricError,
  MetricField,
  MetricSpec,
} from './types.js';

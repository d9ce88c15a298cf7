// The one module of error codes and error classes of this package.

export const ErrorCodes = {
  /** The spec string is malformed (parseMetricSpec); thrown as MetricSpecError. */
  InvalidSpec: 'InvalidSpec',
  /** No sample line and no HELP/TYPE line names the family. */
  FamilyNotFound: 'FamilyNotFound',
  /** The family is declared (HELP/TYPE) but has no samples. */
  NoMetrics: 'NoMetrics',
  /** Samples exist but none carries the spec's labels (or all have negative timestamps, as upstream). */
  NoMatch: 'NoMatch',
  /** A line of a wanted family does not parse; that spec errors, the rest of the page is still used. */
  MalformedLine: 'MalformedLine',
  /** The selected sample's value is NaN or infinite where a count or fraction is needed. */
  InvalidValue: 'InvalidValue',
  /** A label that must hold an integer (max_lora, block_size, ...) does not (Go strconv.Atoi message). */
  InvalidInteger: 'InvalidInteger',
  /** The page exceeds maxPageBytes. */
  PageTooLarge: 'PageTooLarge',
  /** The WASM instance trapped (a bug); it was re-created, the page yields no values. */
  InternalError: 'InternalError',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Thrown by parseMetricSpec / MetricsExtractor construction; message is the upstream one. */
export class MetricSpecError extends Error {
  readonly code = ErrorCodes.InvalidSpec;
  constructor(message: string) {
    super(message);
    this.name = 'MetricSpecError';
  }
}

/** Thrown for an unusable ExtractorConfig (limits of the WASM tables, bad maxPageBytes). */
export class ExtractorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtractorConfigError';
  }
}

/** Go's %q for the ASCII/UTF-8 strings we deal with (quotes, backslashes and control characters escaped). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %+v of a map[string]string: `map[a:1 b:2]`, keys sorted. */
export function goMap(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `map[${keys.map((k) => `${k}:${labels[k]}`).join(' ')}]`;
}

export function familyNotFound(name: string): string {
  return `metric family ${goQuote(name)} not found`;
}
export function noMetrics(name: string): string {
  return `no metrics available for ${goQuote(name)}`;
}
export function noMatch(name: string, labels: Record<string, string>): string {
  return `no matching metric found for ${goQuote(name)} with labels ${goMap(labels)}`;
}

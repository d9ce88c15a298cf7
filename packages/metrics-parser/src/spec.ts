// Metric spec strings: `name` or `name{l1=v1,l2=v2}` with the upstream (GIE metrics_spec.go) rules and messages.
import { goQuote, MetricSpecError } from './errors.js';
import type { MetricSpec } from './types.js';

/** '' (after trimming) -> null (metric disabled). Malformed -> throws MetricSpecError with the upstream message. */
export function parseMetricSpec(spec: string): MetricSpec | null {
  const s = spec.trim();
  if (s === '') return null;
  let name = s;
  const labels: Record<string, string> = {};
  const start = s.indexOf('{');
  const end = s.indexOf('}');
  if (start !== -1 || end !== -1) {
    if (start === -1 || end === -1 || end <= start + 1) {
      throw new MetricSpecError(
        `invalid metric spec string: ${goQuote(s)}, missing or malformed label block`,
      );
    }
    name = s.slice(0, start).trim();
    for (const rawPair of s.slice(start + 1, end).split(',')) {
      const pair = rawPair.trim();
      const parts = pair.split('=');
      if (parts.length !== 2) {
        throw new MetricSpecError(`invalid label pair: ${goQuote(pair)} in metric spec: ${goQuote(s)}`);
      }
      const labelName = parts[0]!.trim();
      const labelValue = parts[1]!.trim();
      if (labelName === '' || labelValue === '') {
        throw new MetricSpecError(
          `empty label name or value in pair: ${goQuote(pair)} in metric spec: ${goQuote(s)}`,
        );
      }
      labels[labelName] = labelValue;
    }
    if (end !== s.length - 1) {
      throw new MetricSpecError(`invalid characters after label section in: ${goQuote(s)}`);
    }
  }
  if (name === '') throw new MetricSpecError(`empty metric name in spec: ${goQuote(s)}`);
  return { name, labels };
}

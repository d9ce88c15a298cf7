// parse-prometheus-text-format ships no types; this is the part the benchmark uses.
declare module 'parse-prometheus-text-format' {
  interface GenericMetric {
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
  }
  interface GenericFamily {
    name: string;
    help: string;
    type: string;
    metrics: GenericMetric[];
  }
  export default function parsePrometheusTextFormat(text: string): GenericFamily[];
}

// Go time.ParseDuration subset ('200ms', '1.5s', '1m30s'); a bare number means milliseconds.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export function parseDurationMs(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const text = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let neg = false;
  let i = 0;
  if (text.startsWith('-')) {
    neg = true;
    i = 1;
  }
  if (i >= text.length) return null;
  let total = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    i = re.lastIndex;
  }
  return neg ? -total : total;
}

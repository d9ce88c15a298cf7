// Go's fmt `%v` of a value decoded by encoding/json into `any` (upstream: fmt.Sprintf("%v", body[field])).
// Numbers are float64 printed like strconv 'g' with shortest digits: %e form (two-digit exponent) when the decimal
// exponent is < -4 or >= 6 (e.g. 1e+06, 1.2345678e+07), plain decimal otherwise.

export function goFormatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return goFormatFloat(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(goFormatValue).join(' ')}]`;
      const keys = Object.keys(v as object).sort();
      return `map[${keys.map((k) => `${k}:${goFormatValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
    }
    default:
      return String(v);
  }
}

export function goFormatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const exp = f.toExponential(); // shortest round-trip digits, e.g. "-1.2345e+7"
  const [mant, e] = exp.split('e') as [string, string];
  const x = Number(e);
  if (x < -4 || x >= 6) return `${mant}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  // -4 <= x < 6: JS's own decimal form is the same shortest fixed notation Go prints.
  return String(f);
}

// Label and field selectors as the API server parses them (k8s.io/apimachinery/pkg/labels): equality
// (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) requirements, comma-joined (AND).

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export class SelectorParseError extends Error {
  constructor(
    readonly selector: string,
    detail: string,
  ) {
    super(`unable to parse requirement: ${detail} (selector "${selector}")`);
    this.name = 'SelectorParseError';
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key)) throw new SelectorParseError(selector, `invalid label key "${key}"`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new SelectorParseError(selector, `invalid label value "${value}"`);
  }
  return value;
}

/** Parses a label selector; '' (or undefined) selects everything. Throws SelectorParseError. */
export function parseLabelSelector(selector: string | undefined): Requirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  const reqs: Requirement[] = [];
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (part === '') throw new SelectorParseError(selector, 'empty requirement');
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map((v) => checkValue(selector, v));
      if (values.length === 0) throw new SelectorParseError(selector, `"${part}" has an empty value set`);
      reqs.push({ key: checkKey(selector, set[1]!), op: set[2] as 'in' | 'notin', values });
      continue;
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (eq) {
      reqs.push({
        key: checkKey(selector, eq[1]!),
        op: eq[2] === '!=' ? 'neq' : 'eq',
        value: checkValue(selector, eq[3]!.trim()),
      });
      continue;
    }
    if (part.startsWith('!')) {
      reqs.push({ key: checkKey(selector, part.slice(1).trim()), op: 'notexists' });
      continue;
    }
    reqs.push({ key: checkKey(selector, part), op: 'exists' });
  }
  return reqs;
}

export function matchesLabels(
  reqs: readonly Requirement[],
  labels: Readonly<Record<string, string>> = {},
): boolean {
  for (const r of reqs) {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
        if (!has || v !== r.value) return false;
        break;
      case 'neq':
        if (has && v === r.value) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Field selectors: only `metadata.name` and `metadata.namespace` with `=`, `==`, `!=` (what every resource supports). */
export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  op: 'eq' | 'neq';
  value: string;
}

export function parseFieldSelector(selector: string | undefined): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const m = /^\s*([a-zA-Z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) throw new SelectorParseError(selector, `invalid field requirement "${raw}"`);
    if (m[1] !== 'metadata.name' && m[1] !== 'metadata.namespace') {
      throw new SelectorParseError(selector, `field label not supported: ${m[1]}`);
    }
    return { field: m[1], op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]! };
  });
}

export function matchesFields(
  reqs: readonly FieldRequirement[],
  meta: { name?: string; namespace?: string },
): boolean {
  for (const r of reqs) {
    const actual = (r.field === 'metadata.name' ? meta.name : meta.namespace) ?? '';
    if ((actual === r.value) !== (r.op === 'eq')) return false;
  }
  return true;
}

/** matchLabels -> the equality selector string the informers send (`a=b,c=d`, keys sorted for stable comparisons). */
export function formatMatchLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

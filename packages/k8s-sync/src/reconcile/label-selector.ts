// Kubernetes label selector strings (`--endpoint-selector`), the syntax of `kubectl -l`:
// `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), comma separated.

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: readonly string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export class LabelSelectorError extends Error {
  constructor(selector: string, reason: string) {
    super(`invalid label selector "${selector}": ${reason}`);
    this.name = 'LabelSelectorError';
  }
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const text = selector.trim();
  if (text === '') return [];
  const reqs: LabelRequirement[] = [];
  for (const rawPart of splitTopLevel(text)) {
    const part = rawPart.trim();
    if (part === '') throw new LabelSelectorError(selector, 'empty requirement');
    const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    let req: LabelRequirement;
    if (setMatch) {
      const values = setMatch[3]!.split(',').map((v) => v.trim());
      for (const v of values) {
        if (!VALUE.test(v)) throw new LabelSelectorError(selector, `invalid value "${v}"`);
      }
      req = { key: setMatch[1]!, op: setMatch[2] as 'in' | 'notin', values };
    } else if (part.startsWith('!')) {
      req = { key: part.slice(1).trim(), op: 'doesnotexist' };
    } else {
      const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
      if (m) {
        const value = m[3]!.trim();
        if (!VALUE.test(value)) throw new LabelSelectorError(selector, `invalid value "${value}"`);
        req = { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
      } else if (/^\S+$/.test(part)) {
        req = { key: part, op: 'exists' };
      } else {
        throw new LabelSelectorError(selector, `cannot parse "${part}"`);
      }
    }
    if (!KEY.test(req.key)) throw new LabelSelectorError(selector, `invalid label key "${req.key}"`);
    reqs.push(req);
  }
  return reqs;
}

/** matchLabels as requirements. */
export function requirementsFromLabels(labels: Readonly<Record<string, string>>): LabelRequirement[] {
  return Object.entries(labels).map(([key, v]) => ({ key, op: 'in', values: [v] }));
}

export function matchesLabels(
  reqs: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const r of reqs) {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'doesnotexist':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
    }
  }
  return true;
}

/** The equality requirements only, as a matchLabels map (what PoolInfo.selector shows in standalone mode). */
export function equalityLabels(reqs: readonly LabelRequirement[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of reqs) if (r.op === 'in' && r.values.length === 1) out[r.key] = r.values[0]!;
  return out;
}

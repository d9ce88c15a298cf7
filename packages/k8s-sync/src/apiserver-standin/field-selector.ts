// Field selectors as every resource supports them: `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`.
export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  op: 'eq' | 'neq';
  value: string;
}

export class FieldSelectorError extends Error {
  constructor(selector: string, reason: string) {
    super(`invalid field selector "${selector}": ${reason}`);
    this.name = 'FieldSelectorError';
  }
}

export function parseFieldSelector(selector: string | undefined): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const m = /^\s*([a-zA-Z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) throw new FieldSelectorError(selector, `cannot parse "${raw}"`);
    if (m[1] !== 'metadata.name' && m[1] !== 'metadata.namespace') {
      throw new FieldSelectorError(selector, `field label not supported: ${m[1]}`);
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

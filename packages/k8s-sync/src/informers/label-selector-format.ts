// Requirements back to the selector string the API server parses (`labelSelector=` of list and watch).
import type { LabelRequirement } from '../reconcile/label-selector.js';

/** Keys sorted, so equal selectors give equal strings (a changed string means a changed selector). */
export function formatLabelSelector(reqs: readonly LabelRequirement[]): string {
  return [...reqs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case 'doesnotexist':
          return `!${r.key}`;
        case 'in':
          return r.values.length === 1
            ? `${r.key}=${r.values[0]}`
            : `${r.key} in (${[...r.values].sort().join(',')})`;
        default:
          return r.values.length === 1
            ? `${r.key}!=${r.values[0]}`
            : `${r.key} notin (${[...r.values].sort().join(',')})`;
      }
    })
    .join(',');
}

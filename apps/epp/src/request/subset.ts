// The subset hint (endpoint picker protocol v0.3+): Envoy's metadata_context
// filter_metadata["envoy.lb.subset_hint"]["x-gateway-destination-endpoint-subset"] is a list of "ip:port".
// Only the text before the first ':' is compared with the pod IP, as upstream does.

export const SUBSET_NAMESPACE = 'envoy.lb.subset_hint';
export const SUBSET_KEY = 'x-gateway-destination-endpoint-subset';

/**
 * The allowed pod IPs: null when there is no hint (namespace or key absent: every endpoint), an empty set for
 * `[]` (nothing allowed). A non-list value or non-string entries are ignored entry by entry (a scalar string is
 * taken as a one-element list).
 */
export function subsetHintIps(metadata: Record<string, unknown>): Set<string> | null {
  const ns = metadata[SUBSET_NAMESPACE];
  if (typeof ns !== 'object' || ns === null) return null;
  if (!(SUBSET_KEY in ns)) return null;
  const raw = (ns as Record<string, unknown>)[SUBSET_KEY];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  const ips = new Set<string>();
  for (const entry of list) {
    if (typeof entry !== 'string') continue;
    const colon = entry.indexOf(':');
    ips.add(colon < 0 ? entry : entry.slice(0, colon));
  }
  return ips;
}

/** The endpoint addresses whose IP is allowed by the hint, in datastore order. */
export function filterBySubset(
  endpoints: ReadonlyArray<{ address: string; ip: string }>,
  ips: Set<string>,
): string[] {
  const out: string[] = [];
  for (const e of endpoints) if (ips.has(e.ip)) out.push(e.address);
  return out;
}

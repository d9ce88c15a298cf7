// The routing policies compared, all through the same dev gateway (packages/dev-gateway, bin igw-gateway).

/** EndpointPickerConfig: the EPP's default profile (queue 2, KV 2) with the prefix-cache scorer removed. */
export const NO_PREFIX_CONFIG = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: max-score-picker
- type: single-profile-handler
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: max-score-picker
`;

/** Whether a policy runs when no --policies list is given. @param {Policy} p @param {boolean} quick */
export function runsByDefault(p, quick) {
  return !(quick && (p.control || p.fullOnly));
}

/**
 * `eppConfig` set (even '') = the EPP runs in the request path with that config ('' = its built-in default), with
 * `eppArgs` added to its command line. `control` = a measurement aid, not a policy to compare (left out of quick
 * runs; first seed only). `fullOnly` = left out of quick runs.
 * @typedef {{ name: string, label: string, lbPolicy: 'epp' | 'round-robin' | 'random' | 'least-request',
 *   eppConfig?: string, eppArgs?: string[], control?: boolean, fullOnly?: boolean }} Policy
 * @type {Policy[]}
 */
export const POLICIES = [
  { name: 'round-robin', label: 'round robin (Kubernetes Service)', lbPolicy: 'round-robin' },
  // The least informative baseline: quick runs leave it out to stay under 5 minutes.
  { name: 'random', label: 'random', lbPolicy: 'random', fullOnly: true },
  { name: 'least-request', label: "least request (Envoy's P2C)", lbPolicy: 'least-request' },
  {
    name: 'epp',
    label: 'our EPP, default profile (queue 2, KV 2, prefix 3)',
    lbPolicy: 'epp',
    eppConfig: '',
  },
  {
    name: 'epp-no-prefix',
    label: 'our EPP, prefix scoring off (queue 2, KV 2)',
    lbPolicy: 'epp',
    eppConfig: NO_PREFIX_CONFIG,
  },
  // Control: the default profile without the EPP's assumed load (picks since the last scrape counted as queued),
  // i.e. what upstream's scorers see: every request between two 50 ms scrapes gets the same numbers.
  {
    name: 'epp-no-assumed',
    label: 'control: our EPP, default profile, --assumed-load=false (upstream behaviour); first seed only',
    lbPolicy: 'epp',
    eppConfig: '',
    eppArgs: ['--assumed-load=false'],
    control: true,
  },
  // Control: round robin picks, but every request still goes through the EPP (its pick ignored by the gateway), so
  // the EPP path's own latency can be told apart from the EPP's routing decisions.
  {
    name: 'rr-via-epp',
    label: 'control: round robin with the EPP in the path, its pick ignored; first seed only',
    lbPolicy: 'round-robin',
    eppConfig: '',
    control: true,
  },
];

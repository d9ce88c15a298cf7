// The internal shapes every source (file or Kubernetes) reconciles into. One shape per concept, whatever the API
// version the object came from, so the datastore and the request path never branch on versions.

export type FailureMode = 'FailOpen' | 'FailClose';
export type Criticality = 'Critical' | 'Standard' | 'Sheddable';

/** The two InferencePool API groups: v1 GA and the older v1alpha2 (selected by --pool-group). */
export const POOL_GROUP_V1 = 'inference.networking.k8s.io';
export const POOL_GROUP_V1ALPHA2 = 'inference.networking.x-k8s.io';
export type PoolGroup = typeof POOL_GROUP_V1 | typeof POOL_GROUP_V1ALPHA2;

/** The pod label that chooses the metrics engine per pod (GAIE >= v1.4, llm-d-router). */
export const ENGINE_TYPE_LABEL = 'inference.networking.k8s.io/engine-type';

export interface EndpointPickerRef {
  group: string;
  kind: string;
  name: string;
  /** Service port; v1alpha2 infers 9002 when unset. */
  port?: number;
  failureMode: FailureMode;
}

export interface PoolInfo {
  name: string;
  namespace: string;
  /** API group the pool was read from; '' in standalone mode (--endpoint-selector, no InferencePool). */
  group: PoolGroup | '';
  /** Label selector (matchLabels) over pods in the pool's namespace. */
  selector: Readonly<Record<string, string>>;
  /** 1..8 unique ports; each pod IP x port is one endpoint. */
  targetPorts: readonly number[];
  appProtocol: 'http' | 'kubernetes.io/h2c';
  endpointPickerRef?: EndpointPickerRef;
  /** endpointPickerRef.failureMode, FailClose when unset (the CRD default). */
  failureMode: FailureMode;
}

export interface EndpointInfo {
  /** 'ip:port', the value of x-gateway-destination-endpoint. */
  address: string;
  ip: string;
  port: number;
  podName: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** Value of the engine-type label, undefined when the pod has none. */
  engineType?: string;
}

export interface TargetModel {
  name: string;
  /** Undefined when no target sets a weight (then the pick is uniform). */
  weight?: number;
}

/** InferenceModel v1alpha2 (<= v0.5), looked up by spec.modelName. */
export interface InferenceModelInfo {
  /** metadata.name */
  name: string;
  namespace: string;
  modelName: string;
  /** Unset in the object -> 'Standard' (criticalitySet tells which). */
  criticality: Criticality;
  criticalitySet: boolean;
  /** Empty = route to modelName itself. */
  targetModels: readonly TargetModel[];
  poolName: string;
  creationTimestamp: string;
}

/** InferenceObjective v1alpha2, looked up by metadata.name (the x-gateway-inference-objective header). */
export interface InferenceObjectiveInfo {
  name: string;
  namespace: string;
  /** Unset -> 0; < 0 is sheddable. */
  priority: number;
  prioritySet: boolean;
  poolName: string;
  creationTimestamp: string;
}

export interface RewriteTarget {
  modelRewrite: string;
  weight: number;
}

export interface RewriteRule {
  /** Exact model names; empty = catch-all. */
  matches: readonly string[];
  targets: readonly RewriteTarget[];
}

/** InferenceModelRewrite v1alpha2 (GAIE v1.2-v1.5). */
export interface ModelRewriteInfo {
  name: string;
  namespace: string;
  poolName: string;
  creationTimestamp: string;
  rules: readonly RewriteRule[];
}

/** The rule that applies to a model name, per the upstream precedence. */
export interface RewriteMatch {
  rewrite: ModelRewriteInfo;
  rule: RewriteRule;
  /** 'exact' when a match named the model, 'catch-all' for a rule with no matches. */
  kind: 'exact' | 'catch-all';
}

/** One problem found while reconciling: the object is skipped, the rest goes on. */
export interface ReconcileIssue {
  kind: string;
  namespace: string;
  name: string;
  /** Dotted path of the offending field, '' when it is about the object as a whole. */
  field: string;
  message: string;
}

export interface PoolSnapshot {
  /** Undefined when the selected pool does not exist (not synced). */
  pool: PoolInfo | undefined;
  /** Sorted by address for stable diffs. */
  endpoints: readonly EndpointInfo[];
  /** By spec.modelName; duplicates resolved oldest-wins. */
  models: ReadonlyMap<string, InferenceModelInfo>;
  /** By metadata.name. */
  objectives: ReadonlyMap<string, InferenceObjectiveInfo>;
  /** Oldest first (then name), i.e. the precedence order among equally specific rules. */
  rewrites: readonly ModelRewriteInfo[];
  /** Objects skipped or conflicts lost (e.g. modelName in use), for logs and tests. */
  issues: readonly ReconcileIssue[];
}

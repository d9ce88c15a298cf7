// Builders of raw Kubernetes objects for tests (compiled with the package, used only by *.test.ts).

export function poolV1(
  name: string,
  opts: {
    namespace?: string;
    selector?: Record<string, string>;
    ports?: number[];
    failureMode?: string;
  } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name, namespace: opts.namespace ?? 'default' },
    spec: {
      selector: { matchLabels: opts.selector ?? { app: 'vllm' } },
      targetPorts: (opts.ports ?? [8000]).map((number) => ({ number })),
      endpointPickerRef: {
        name: `${name}-epp`,
        port: { number: 9002 },
        ...(opts.failureMode && { failureMode: opts.failureMode }),
      },
    },
  };
}

export function poolV1alpha2(
  name: string,
  opts: { namespace?: string; selector?: Record<string, string>; port?: number } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferencePool',
    metadata: { name, namespace: opts.namespace ?? 'default' },
    spec: {
      selector: opts.selector ?? { app: 'vllm' },
      targetPortNumber: opts.port ?? 8000,
      extensionRef: { name: `${name}-epp`, failureMode: 'FailOpen' },
    },
  };
}

export function pod(
  name: string,
  ip: string,
  opts: {
    namespace?: string;
    labels?: Record<string, string>;
    ready?: boolean;
    deleting?: boolean;
  } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      labels: opts.labels ?? { app: 'vllm' },
      ...(opts.deleting && { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    },
    status: {
      podIP: ip,
      phase: 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

export function model(
  name: string,
  modelName: string,
  opts: {
    pool?: string;
    created?: string;
    criticality?: string;
    targets?: Array<{ name: string; weight?: number }>;
  } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferenceModel',
    metadata: { name, namespace: 'default', ...(opts.created && { creationTimestamp: opts.created }) },
    spec: {
      modelName,
      ...(opts.criticality && { criticality: opts.criticality }),
      ...(opts.targets && { targetModels: opts.targets }),
      poolRef: { name: opts.pool ?? 'pool' },
    },
  };
}

export function objective(
  name: string,
  priority: number | undefined,
  pool = 'pool',
): Record<string, unknown> {
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferenceObjective',
    metadata: { name, namespace: 'default' },
    spec: { ...(priority !== undefined && { priority }), poolRef: { name: pool } },
  };
}

export function rewrite(
  name: string,
  rules: Array<{ matches?: string[]; targets: Array<{ modelRewrite: string; weight?: number }> }>,
  opts: { created?: string; pool?: string } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferenceModelRewrite',
    metadata: { name, namespace: 'default', ...(opts.created && { creationTimestamp: opts.created }) },
    spec: {
      poolRef: { name: opts.pool ?? 'pool' },
      rules: rules.map((r) => ({
        ...(r.matches && { matches: r.matches.map((value) => ({ model: { type: 'Exact', value } })) }),
        targets: r.targets,
      })),
    },
  };
}

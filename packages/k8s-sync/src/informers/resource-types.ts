// The resource types the stand-in serves: which URL paths exist, and the kind/list kind of each.
// A resource that is not installed answers 404 like an API server without the CRD.

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** `group/version/plural` ('' group kept: `/v1/pods`). */
export type ResourceKey = string;

export function resourceKey(r: Pick<ResourceType, 'group' | 'version' | 'plural'>): ResourceKey {
  return `${r.group}/${r.version}/${r.plural}`;
}

export function apiVersionOf(r: Pick<ResourceType, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export const CORE_PODS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
};
export const CORE_CONFIGMAPS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const CORE_NAMESPACES: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
export const LEASES: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
};
export const POOLS_V1: ResourceType = {
  group: 'inference.networking.k8s.io',
  version: 'v1',
  plural: 'inferencepools',
  kind: 'InferencePool',
  namespaced: true,
};
const X = 'inference.networking.x-k8s.io';
export const POOLS_V1ALPHA2: ResourceType = {
  group: X,
  version: 'v1alpha2',
  plural: 'inferencepools',
  kind: 'InferencePool',
  namespaced: true,
};
export const MODELS_V1ALPHA2: ResourceType = {
  group: X,
  version: 'v1alpha2',
  plural: 'inferencemodels',
  kind: 'InferenceModel',
  namespaced: true,
};
export const OBJECTIVES_V1ALPHA2: ResourceType = {
  group: X,
  version: 'v1alpha2',
  plural: 'inferenceobjectives',
  kind: 'InferenceObjective',
  namespaced: true,
};
export const REWRITES_V1ALPHA2: ResourceType = {
  group: X,
  version: 'v1alpha2',
  plural: 'inferencemodelrewrites',
  kind: 'InferenceModelRewrite',
  namespaced: true,
};

/** Everything a GAIE cluster of v1.0-v1.5 serves to the EPP and BBR. */
export const DEFAULT_RESOURCES: readonly ResourceType[] = [
  CORE_PODS,
  CORE_CONFIGMAPS,
  CORE_NAMESPACES,
  LEASES,
  POOLS_V1,
  POOLS_V1ALPHA2,
  MODELS_V1ALPHA2,
  OBJECTIVES_V1ALPHA2,
  REWRITES_V1ALPHA2,
];

export interface ParsedPath {
  resource: ResourceKey;
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
}

/**
 * /api/v1/[namespaces/{ns}/]{plural}[/{name}] and /apis/{group}/{version}/[namespaces/{ns}/]{plural}[/{name}].
 * `/api/v1/namespaces[/{name}]` is the namespaces resource itself. Undefined for any other shape.
 */
export function parseResourcePath(pathname: string): ParsedPath | undefined {
  const seg = pathname.split('/').filter((s) => s !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) {
    group = '';
    version = seg[1]!;
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 4) {
    group = seg[1]!;
    version = seg[2]!;
    rest = seg.slice(3);
  } else {
    return undefined;
  }
  const decoded = rest.map((s) => decodeURIComponent(s));
  let namespace: string | undefined;
  if (decoded[0] === 'namespaces' && decoded.length >= 3) {
    namespace = decoded[1];
    decoded.splice(0, 2);
  }
  if (decoded.length < 1 || decoded.length > 2) return undefined;
  const plural = decoded[0]!;
  const name = decoded[1];
  return {
    resource: resourceKey({ group, version, plural }),
    group,
    version,
    plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

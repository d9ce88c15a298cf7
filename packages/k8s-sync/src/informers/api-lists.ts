// Collection paths and list calls per resource type. Lists go through client-node's generated API clients (the same
// auth and TLS as the watches); the informer turns their typed results back into wire JSON.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { ResourceType } from './resource-types.js';

export function collectionPath(rt: ResourceType, namespace?: string): string {
  const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  return namespace === undefined || !rt.namespaced
    ? `${base}/${rt.plural}`
    : `${base}/namespaces/${encodeURIComponent(namespace)}/${rt.plural}`;
}

export type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;

export function listFunction(
  kc: KubeConfig,
  rt: ResourceType,
  namespace: string | undefined,
  labelSelector?: string,
  fieldSelector?: string,
): ListFn {
  const selectors = {
    ...(labelSelector !== undefined ? { labelSelector } : {}),
    ...(fieldSelector !== undefined ? { fieldSelector } : {}),
  };
  if (rt.group === '') {
    const core = kc.makeApiClient(CoreV1Api);
    if (rt.plural === 'pods') {
      return namespace === undefined
        ? () => core.listPodForAllNamespaces(selectors)
        : () => core.listNamespacedPod({ namespace, ...selectors });
    }
    if (rt.plural === 'configmaps') {
      return namespace === undefined
        ? () => core.listConfigMapForAllNamespaces(selectors)
        : () => core.listNamespacedConfigMap({ namespace, ...selectors });
    }
    throw new Error(`no list function for core resource ${rt.plural}`);
  }
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = rt;
  return namespace === undefined
    ? () => custom.listCustomObjectForAllNamespaces({ group, version, plural, ...selectors })
    : () => custom.listNamespacedCustomObject({ group, version, namespace, plural, ...selectors });
}

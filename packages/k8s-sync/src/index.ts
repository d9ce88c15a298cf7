// @igw/k8s-sync: the Kubernetes object schemas and the one reconcile step shared by every source.

export * from './informers/index.js';
export { KubeConfigError, type KubeConfigSource, kubeConfigForServer, loadKubeConfig } from './kubeconfig.js';
export * from './leader/index.js';
export {
  type DecodedObject,
  type DecodeResult,
  decodeObject,
  SUPPORTED_KINDS,
  type SupportedKind,
} from './reconcile/decode.js';
export {
  equalityLabels,
  type LabelRequirement,
  LabelSelectorError,
  matchesLabels,
  parseLabelSelector,
  requirementsFromLabels,
} from './reconcile/label-selector.js';
export {
  compareAge,
  endpointAddress,
  matchRewrite,
  type PoolSelection,
  reconcile,
} from './reconcile/reconcile.js';
export { ResourceSet, type StoredObject } from './reconcile/resource-set.js';
export * from './reconcile/schemas.js';
export * from './reconcile/types.js';

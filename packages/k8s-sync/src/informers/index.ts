// The Kubernetes side of @igw/k8s-sync: informers that feed a ResourceSet, and the pieces they are made of.
export { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
export {
  BBR_CONFIGMAP_SELECTORS,
  type ConfigMapSource,
  type ConfigMapSourceOptions,
  type ConfigMapTarget,
  resourceSetTarget,
  startConfigMapSource,
} from './configmap-source.js';
export { classifyError, type SourceError, type SourceErrorCode } from './errors.js';
export {
  defaultKinds,
  type KubernetesSource,
  type KubernetesSourceOptions,
  type SourceState,
  startKubernetesSource,
} from './kubernetes-source.js';
export { formatLabelSelector } from './label-selector-format.js';
export { type SourceLogger, silentLogger } from './logger.js';
export type { ResourcePhase, ResourceStatus } from './watched-resource.js';

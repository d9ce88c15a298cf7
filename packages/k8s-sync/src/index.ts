// @igw/k8s-sync: the Kubernetes object schemas and the one reconcile step shared by every source.
export * from './reconcile/types.js';

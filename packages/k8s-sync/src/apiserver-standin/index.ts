// The kube API server stand-in for tests (this package's and other packages'): see server.ts.

export * from '../informers/resource-types.js';
export type { KubeObject, ObjectMeta, StoreEvent } from './object-store.js';
export { ObjectStore, StoreError } from './object-store.js';
export { type AccessRequest, allows, type Grant, type PolicyRule } from './rbac.js';
export type { RecordedRequest, StandinOptions, Verb } from './server.js';
export { KubeApiStandin } from './server.js';
export { statusBody } from './status.js';
export { captureLogger, type LogEntry, waitFor } from './test-support.js';

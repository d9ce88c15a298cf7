// The EPP request path: the ext_proc processor main.ts wires into the gRPC server.

export type { EppRequestOptions } from './options.js';
export { DESTINATION_KEY, DESTINATION_NAMESPACE, SCORES_HEADER, SERVED_KEY } from './options.js';
export { createEppProcessor, type EppProcessorDeps, POOL_NOT_SYNCED } from './processor.js';
export { DROPPED_REASON_HEADER } from './rejection.js';

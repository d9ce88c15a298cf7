// Options of the request path, set by main.ts from the flags.

export interface EppRequestOptions {
  /** --emit-endpoint-scores: add x-gateway-destination-endpoint-scores to the forwarded request. */
  emitEndpointScores?: boolean;
  /** --disable-endpoint-subset-filter: ignore the envoy.lb.subset_hint metadata. */
  disableSubsetFilter?: boolean;
  /** Destination header and metadata key (v0.3 -destinationEndpointHintKey); default x-gateway-destination-endpoint. */
  destinationKey?: string;
  /** Dynamic metadata namespace (v0.3 -destinationEndpointHintMetadataNamespace); default envoy.lb. */
  destinationMetadataNamespace?: string;
  /** Seed of the director's weighted draws (rewrites, InferenceModel targets); random when unset. */
  seed?: number;
  /** Most bytes of a non-SSE response body copied for usage / model mapping (default 16 MiB). */
  maxResponseCopyBytes?: number;
}

export interface ResolvedRequestOptions {
  emitEndpointScores: boolean;
  disableSubsetFilter: boolean;
  destinationKey: string;
  destinationMetadataNamespace: string;
  seed: number | undefined;
  maxResponseCopyBytes: number;
}

export const DESTINATION_KEY = 'x-gateway-destination-endpoint';
export const DESTINATION_NAMESPACE = 'envoy.lb';
export const SCORES_HEADER = 'x-gateway-destination-endpoint-scores';
export const SERVED_KEY = 'x-gateway-destination-endpoint-served';

export function resolveRequestOptions(o: EppRequestOptions = {}): ResolvedRequestOptions {
  return {
    emitEndpointScores: o.emitEndpointScores ?? false,
    disableSubsetFilter: o.disableSubsetFilter ?? false,
    destinationKey: o.destinationKey || DESTINATION_KEY,
    destinationMetadataNamespace: o.destinationMetadataNamespace || DESTINATION_NAMESPACE,
    seed: o.seed,
    maxResponseCopyBytes: o.maxResponseCopyBytes ?? 16 * 1024 * 1024,
  };
}

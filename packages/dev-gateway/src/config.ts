// The gateway's configuration (what the CLI flags and the programmatic API fill in) and its defaults.

export type LbPolicy = 'epp' | 'round-robin' | 'random' | 'least-request';
export type FailureMode = 'FailOpen' | 'FailClose';
export type BodyMode = 'FULL_DUPLEX_STREAMED' | 'BUFFERED';
export type ResponseBodyMode = BodyMode | 'NONE';

export interface GatewayConfig {
  /** host:port to listen on; port 0 = any free port. */
  listen: string;
  /** EPP ext_proc address host:port; undefined = no EPP (only with a non-epp lb policy). */
  epp?: string | undefined;
  eppSecure: boolean;
  /** BBR ext_proc address; when set it runs first, then the EPP (Envoy filter order). */
  bbr?: string | undefined;
  bbrSecure: boolean;
  /** Envoy's message_timeout: the wait for each ext_proc reply. */
  messageTimeoutMs: number;
  /** Undefined = the pool's endpointPickerRef.failureMode when a resources file is read, else FailClose. */
  failureMode?: FailureMode | undefined;
  lbPolicy: LbPolicy;
  /** Request body processing mode (both processors). */
  bodyMode: BodyMode;
  /** Response body mode towards the EPP; NONE = straight through. The EPP can still override it (mode_override). */
  responseBodyMode: ResponseBodyMode;
  /** Send response headers to the EPP (SEND); false = SKIP the response phase entirely. */
  responseHeaders: boolean;
  resourcesFile?: string | undefined;
  poolName?: string | undefined;
  poolNamespace: string;
  /** Sent as metadata_context envoy.lb.subset_hint / x-gateway-destination-endpoint-subset. */
  subsetHint?: string[] | undefined;
  maxRequestBodyBytes: number;
  connectTimeoutMs: number;
  /** Seed of the random and least-request choices (undefined = Math.random), for repeatable benchmarks. */
  seed?: number | undefined;
}

export const DEFAULTS = {
  listen: '127.0.0.1:8081',
  messageTimeoutMs: 200,
  poolNamespace: 'default',
  maxRequestBodyBytes: 64 * 1024 * 1024,
  connectTimeoutMs: 2_000,
} as const;

export function defaultConfig(over: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    listen: '127.0.0.1:0',
    eppSecure: true,
    bbrSecure: true,
    messageTimeoutMs: DEFAULTS.messageTimeoutMs,
    lbPolicy: 'epp',
    bodyMode: 'FULL_DUPLEX_STREAMED',
    responseBodyMode: 'FULL_DUPLEX_STREAMED',
    responseHeaders: true,
    poolNamespace: DEFAULTS.poolNamespace,
    maxRequestBodyBytes: DEFAULTS.maxRequestBodyBytes,
    connectTimeoutMs: DEFAULTS.connectTimeoutMs,
    ...over,
  };
}

/** Metadata names of the endpoint picker protocol (GAIE proposal 004). */
export const LB_NAMESPACE = 'envoy.lb';
export const DESTINATION_KEY = 'x-gateway-destination-endpoint';
export const SERVED_KEY = 'x-gateway-destination-endpoint-served';
export const SUBSET_NAMESPACE = 'envoy.lb.subset_hint';
export const SUBSET_KEY = 'x-gateway-destination-endpoint-subset';

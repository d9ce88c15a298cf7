// Every answer the gateway itself gives (not the model server, not an ext_proc immediate response), in one
// place. Status codes and texts follow Envoy's local replies where Envoy has one.

export interface LocalReply {
  status: number;
  /** Short code, also the access log's `outcome` and the x-igw-gateway-error response header. */
  code: string;
  body: string;
}

export const LocalReplies = {
  payloadTooLarge: (limit: number): LocalReply => ({
    status: 413,
    code: 'request_payload_too_large',
    body: `request body larger than ${limit} bytes`,
  }),
  badRequestBody: (detail: string): LocalReply => ({
    status: 400,
    code: 'downstream_body_error',
    body: `could not read the request body: ${detail}`,
  }),
  // Envoy's ext_proc filter with failure_mode_allow=false: gRPC error -> 500, message timeout -> 504.
  extProcError: (processor: string, detail: string): LocalReply => ({
    status: 500,
    code: `ext_proc_error_${processor}`,
    body: `ext_proc error (${processor}): ${detail}`,
  }),
  extProcTimeout: (processor: string, detail: string): LocalReply => ({
    status: 504,
    code: `ext_proc_timeout_${processor}`,
    body: `ext_proc message timeout (${processor}): ${detail}`,
  }),
  noDestination: (): LocalReply => ({
    status: 503,
    code: 'no_destination_endpoint',
    body: 'no healthy upstream: no x-gateway-destination-endpoint was set and the gateway is not failing open',
  }),
  badDestination: (value: string): LocalReply => ({
    status: 503,
    code: 'invalid_destination_endpoint',
    body: `no healthy upstream: invalid x-gateway-destination-endpoint "${value}"`,
  }),
  noEndpoints: (): LocalReply => ({
    status: 503,
    code: 'no_pool_endpoints',
    body: 'no healthy upstream: the pool has no endpoints',
  }),
  upstreamConnect: (detail: string): LocalReply => ({
    status: 503,
    code: 'upstream_connect_error',
    body: `upstream connect error or disconnect/reset before headers. reset reason: connection failure, ${detail}`,
  }),
  upstreamReset: (detail: string): LocalReply => ({
    status: 503,
    code: 'upstream_reset_before_response',
    body: `upstream connect error or disconnect/reset before headers. reset reason: ${detail}`,
  }),
  shuttingDown: (): LocalReply => ({
    status: 503,
    code: 'gateway_shutting_down',
    body: 'the gateway is shutting down',
  }),
} as const;

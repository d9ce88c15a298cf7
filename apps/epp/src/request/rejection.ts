// Why a request is refused before it reaches a model server: the upstream error code and message (the body Envoy
// returns is `inference gateway: <code> - <message>`), plus llm-d's `x-llm-d-request-dropped-reason` value.
// The director returns these as values; the processor turns them into ext-proc GatewayErrors.

/** The ext-proc error codes the request path can produce (a subset of @igw/ext-proc's ErrorCode). */
export type RejectCode =
  | 'BadRequest'
  | 'BadConfiguration'
  | 'InferencePoolResourceExhausted'
  | 'ServiceUnavailable'
  | 'Internal'
  | 'PayloadTooLarge';

/**
 * The llm-d reason values this EPP can produce (llm-d-router `pkg/common/error` RequestDroppedReason:
 * rejected-saturated, -no-endpoints, -ttl-expired, -context-cancelled, -shutting-down, -internal, evicted*).
 */
export type LlmdDroppedReason =
  | 'rejected-saturated'
  | 'rejected-no-endpoints'
  | 'rejected-internal'
  | 'rejected-shutting-down';

/**
 * The cause a rejection is logged with. llm-d defines no value for a malformed request (400), an unknown model
 * (404) or an oversized body (413): `rejected-bad-request` is ours, logged only, never sent as the header.
 */
export type DroppedReason = LlmdDroppedReason | 'rejected-bad-request';

export const DROPPED_REASON_HEADER = 'x-llm-d-request-dropped-reason';

const LLMD_REASONS: ReadonlySet<DroppedReason> = new Set<LlmdDroppedReason>([
  'rejected-saturated',
  'rejected-no-endpoints',
  'rejected-internal',
  'rejected-shutting-down',
]);

/** The response headers of a rejection: `x-llm-d-request-dropped-reason` only when llm-d defines the value. */
export function droppedReasonHeaders(r: Pick<Rejection, 'reason'>): Array<[string, string]> {
  return LLMD_REASONS.has(r.reason) ? [[DROPPED_REASON_HEADER, r.reason]] : [];
}

export interface Rejection {
  readonly rejected: true;
  readonly code: RejectCode;
  readonly message: string;
  readonly reason: DroppedReason;
}

const REASON_OF: Record<RejectCode, DroppedReason> = {
  BadRequest: 'rejected-bad-request',
  BadConfiguration: 'rejected-bad-request',
  PayloadTooLarge: 'rejected-bad-request',
  InferencePoolResourceExhausted: 'rejected-saturated',
  ServiceUnavailable: 'rejected-no-endpoints',
  Internal: 'rejected-internal',
};

export function reject(
  code: RejectCode,
  message: string,
  reason: DroppedReason = REASON_OF[code],
): Rejection {
  return { rejected: true, code, message, reason };
}

export function isRejection(v: unknown): v is Rejection {
  return typeof v === 'object' && v !== null && (v as { rejected?: unknown }).rejected === true;
}

/** The upstream messages, verbatim ([G]@v1.0.0 handlers/server.go, requestcontrol/director.go, util/request/body.go). */
export const MSG = {
  badJson: 'Error unmarshaling request body',
  bodyNotObject: 'request body is not a JSON object',
  noModel: 'model not found in request body',
  messagesNotList: 'messages is not a list',
  messagesEmpty: 'messages is empty',
  promptMissing: 'prompt not found in request',
  promptNotString: 'prompt is not a string',
  inputInvalid: 'input is not a string or a list',
  saturated: 'system saturated, sheddable request dropped',
  noCandidates: 'failed to find candidate pods for serving the request',
  schedulerFailed: (detail: string) => `failed to find target pod: ${detail}`,
  emptyResult: 'results must be greater than zero',
  noPodsHeadersOnly: 'no pods available in datastore',
  /** [G]@v0.3.0 handlers/request.go: the legacy profile requires an InferenceModel for the requested model. */
  noInferenceModel: (model: string) => `error finding a model object in InferenceModel for input ${model}`,
  tooLarge: (limit: number) => `request body exceeds --max-request-body-bytes (${limit} bytes)`,
} as const;

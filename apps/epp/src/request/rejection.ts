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
 * llm-d's reason values (llm-d-router `pkg/common/error`). llm-d has no value for a malformed request;
 * `rejected-bad-request` is ours, used for 400 and 413 so that every rejection carries a reason.
 */
export type DroppedReason =
  | 'rejected-saturated'
  | 'rejected-no-endpoints'
  | 'rejected-internal'
  | 'rejected-shutting-down'
  | 'rejected-bad-request';

export const DROPPED_REASON_HEADER = 'x-llm-d-request-dropped-reason';

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

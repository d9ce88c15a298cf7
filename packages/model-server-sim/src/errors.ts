// The one module of error kinds the simulator answers with. Bodies follow OpenAI's error envelope as vLLM and
// llm-d-inference-sim send it: {"error":{"message","type","param","code"}} with `code` = the HTTP status.

export type SimErrorKind =
  | 'bad_request' // 400: malformed JSON, missing or invalid fields, context length exceeded
  | 'not_found' // 404: unknown model or adapter, unknown path
  | 'method_not_allowed' // 405
  | 'payload_too_large' // 413: body larger than maxRequestBodyBytes
  | 'unsupported_media_type' // 415
  | 'queue_full' // 429: waiting queue at its cap
  | 'injected' // any status: failure injection
  | 'internal' // 500
  | 'unavailable'; // 503: pod closing

const STATUS: Record<Exclude<SimErrorKind, 'injected'>, number> = {
  bad_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  queue_full: 429,
  internal: 500,
  unavailable: 503,
};

/** OpenAI SDK error class names by status, as llm-d-inference-sim reports them in `type`. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequestError';
    case 401:
      return 'AuthenticationError';
    case 403:
      return 'PermissionDeniedError';
    case 404:
      return 'NotFoundError';
    case 422:
      return 'UnprocessableEntityError';
    case 429:
      return 'RateLimitError';
    default:
      return status >= 500 ? 'InternalServerError' : 'APIConnectionError';
  }
}

export class SimError extends Error {
  readonly kind: SimErrorKind;
  readonly status: number;
  readonly param: string | null;

  constructor(kind: SimErrorKind, message: string, opts: { status?: number; param?: string | null } = {}) {
    super(message);
    this.name = 'SimError';
    this.kind = kind;
    this.status = opts.status ?? (kind === 'injected' ? 500 : STATUS[kind]);
    this.param = opts.param ?? null;
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: number } } {
    return {
      error: {
        message: this.message,
        type: errorTypeForStatus(this.status),
        param: this.param,
        code: this.status,
      },
    };
  }
}

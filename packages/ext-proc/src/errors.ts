// The one module of error codes shared by every ext_proc server here (EPP, BBR).
// A GatewayError becomes an Envoy ImmediateResponse (HTTP status + text body); a GrpcStatusError ends the
// ext_proc stream with a gRPC status (Envoy then applies its failure mode). Anything else thrown by a
// processor is mapped to gRPC INTERNAL by the stream driver.
import { status as GrpcStatus } from '@grpc/grpc-js';

/** Upstream error codes (GAIE v1.0 `pkg/epp/util/error`, IPP `pkg/common/error`) and their HTTP statuses. */
export const ErrorCode = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  BadConfiguration: 'BadConfiguration',
  PayloadTooLarge: 'PayloadTooLarge',
  InferencePoolResourceExhausted: 'InferencePoolResourceExhausted',
  ResourceExhausted: 'ResourceExhausted',
  Internal: 'Internal',
  ServiceUnavailable: 'ServiceUnavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  BadConfiguration: 404,
  PayloadTooLarge: 413,
  InferencePoolResourceExhausted: 429,
  ResourceExhausted: 429,
  Internal: 500,
  ServiceUnavailable: 503,
};

/** Body prefix of GAIE v1.0 (EPP); the payload processor (BBR) and llm-d use 'inference error'. */
export const GATEWAY_PREFIX = 'inference gateway';
export const PAYLOAD_PROCESSOR_PREFIX = 'inference error';

export interface GatewayErrorOptions {
  /** Body text prefix; default 'inference gateway'. */
  prefix?: string;
  /** Extra response headers for the immediate response (e.g. x-llm-d-request-dropped-reason). */
  headers?: Array<[string, string]>;
  cause?: unknown;
}

/** An error the gateway answers with an immediate HTTP response: body `<prefix>: <Code> - <Msg>`. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly bodyText: string;
  readonly headers: Array<[string, string]>;

  constructor(code: ErrorCode, message: string, opts: GatewayErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.httpStatus = HTTP_STATUS_OF[code];
    this.bodyText = `${opts.prefix ?? GATEWAY_PREFIX}: ${code} - ${message}`;
    this.headers = opts.headers ?? [];
  }
}

export function isGatewayError(v: unknown): v is GatewayError {
  return v instanceof GatewayError;
}

/** An error that ends the ext_proc stream with this gRPC status instead of an HTTP reply. */
export class GrpcStatusError extends Error {
  readonly grpcCode: GrpcStatus;
  constructor(grpcCode: GrpcStatus, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GrpcStatusError';
    this.grpcCode = grpcCode;
  }
}

/** Map any thrown value to the gRPC status the stream ends with. */
export function toGrpcStatus(err: unknown): { code: GrpcStatus; details: string } {
  if (err instanceof GrpcStatusError) return { code: err.grpcCode, details: err.message };
  if (err instanceof GatewayError) return { code: GrpcStatus.UNKNOWN, details: err.bodyText };
  const msg = err instanceof Error ? err.message : String(err);
  return { code: GrpcStatus.INTERNAL, details: `internal error: ${msg}` };
}

/** 413 for a request body over the configured limit. */
export function payloadTooLarge(limitBytes: number, seenBytes: number, prefix?: string): GatewayError {
  return new GatewayError(
    ErrorCode.PayloadTooLarge,
    `request body of at least ${seenBytes} bytes exceeds the limit of ${limitBytes} bytes (--max-request-body-bytes)`,
    prefix === undefined ? {} : { prefix },
  );
}

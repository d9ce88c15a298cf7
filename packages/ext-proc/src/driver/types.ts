// The processor interface every ext_proc server here (EPP, BBR) implements; the stream driver owns the protocol.
import type { GatewayError } from '../errors.js';
import type { RequestHeadersView } from '../headers.js';
import type { JsonValue } from '../struct.js';

/** How the request body reaches the server: held to end-of-stream and streamed back, or one buffered message. */
export type StreamMode = 'FULL_DUPLEX_STREAMED' | 'BUFFERED';

export interface StreamContext {
  requestHeaders: RequestHeadersView;
  /** Undefined until response headers arrive. */
  responseHeaders: RequestHeadersView | undefined;
  /** metadata_context.filter_metadata as plain JSON, merged over the stream's messages (later wins per namespace). */
  metadata: Record<string, JsonValue>;
  mode: StreamMode;
  responseMode: StreamMode;
  /** Free per-stream state for the processor. */
  state: Record<string, unknown>;
  /** Aborted when the stream ends for any reason (success, error, client cancel). */
  signal: AbortSignal;
}

export interface RequestDecision {
  setHeaders?: Array<[string, string]>;
  removeHeaders?: string[];
  /** Replacement body; undefined = forward the original bytes. */
  body?: Buffer;
  /** e.g. { 'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.1:8000' } } */
  dynamicMetadata?: Record<string, Record<string, unknown>>;
  /** Default true (both EPP and BBR clear the route cache after mutating headers). */
  clearRouteCache?: boolean;
}

export interface ResponseHeadersDecision {
  setHeaders?: Array<[string, string]>;
  removeHeaders?: string[];
}

type MaybePromise<T> = T | Promise<T>;

export interface StreamProcessor {
  /** Headers-only request (end_of_stream on headers, or request_body_mode NONE). Default: empty reply. */
  onHeadersOnly?(ctx: StreamContext): MaybePromise<RequestDecision | GatewayError>;
  /** The whole body buffered to end_of_stream (bounded by maxRequestBodyBytes -> 413). */
  onRequest(ctx: StreamContext, body: Buffer): MaybePromise<RequestDecision | GatewayError>;
  onResponseHeaders?(ctx: StreamContext, headers: RequestHeadersView): ResponseHeadersDecision | undefined;
  /** Streamed response body chunk: return the bytes to forward (default: unchanged). */
  onResponseBodyChunk?(ctx: StreamContext, chunk: Buffer, endOfStream: boolean): Buffer | undefined;
  /** Always called exactly once (success, error or cancel). */
  onStreamEnd?(ctx: StreamContext, outcome: StreamOutcome): void;
}

export type StreamOutcome =
  | { kind: 'completed' }
  | { kind: 'immediate-response'; error: GatewayError }
  | { kind: 'grpc-error'; code: number; details: string }
  | { kind: 'cancelled' };

/** Minimal logger shape (pino-compatible). */
export interface DriverLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface HandleStreamOptions {
  /** Mode when Envoy sends no protocol_config: true = FULL_DUPLEX_STREAMED (default), false = BUFFERED. */
  streaming?: boolean;
  /** Request body limit; over it the request gets an immediate 413. Default 64 MiB. */
  maxRequestBodyBytes?: number;
  /** streamed_response chunk size; default 62,000 bytes. */
  chunkBytes?: number;
  /** When the driver adds `Content-Length` (the forwarded body length) to the request header reply. Default 'always'. */
  contentLength?: 'always' | 'non-empty' | 'never';
  /** Prefix of driver-made error bodies (the 413); default 'inference gateway'. */
  errorPrefix?: string;
  logger?: DriverLogger;
}

// Builders for the ProcessingResponse messages the servers send.
import { chunkBody, STREAMED_BODY_CHUNK_BYTES } from './chunking.js';
import type { GatewayError } from './errors.js';
import type { CommonResponse } from './gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { ProcessingResponse } from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { StatusCode } from './gen/envoy/type/v3/StatusCode.js';
import { buildHeaderMutation } from './headers.js';
import { toStruct } from './struct.js';

export type Phase = 'request' | 'response';

export interface CommonReplyParts {
  setHeaders?: ReadonlyArray<readonly [string, string]>;
  removeHeaders?: readonly string[];
  clearRouteCache?: boolean;
  /** Whole-body replacement (BUFFERED / STREAMED modes only). */
  body?: Buffer;
}

export function commonResponse(parts: CommonReplyParts): CommonResponse {
  const common: CommonResponse = {};
  const mutation = buildHeaderMutation(parts.setHeaders, parts.removeHeaders);
  if (mutation) common.headerMutation = mutation;
  if (parts.clearRouteCache) common.clearRouteCache = true;
  if (parts.body !== undefined) common.bodyMutation = { body: parts.body };
  return common;
}

/** Nested dynamic metadata ({ namespace: { key: value } }) as a google.protobuf.Struct. */
export function dynamicMetadataStruct(md: Record<string, Record<string, unknown>> | undefined) {
  if (!md || Object.keys(md).length === 0) return undefined;
  return toStruct(md);
}

/** The four ProcessingResponse members that carry a CommonResponse. */
type CommonReplyMember = 'requestHeaders' | 'responseHeaders' | 'requestBody' | 'responseBody';

function commonReply(
  member: CommonReplyMember,
  parts: CommonReplyParts,
  dynamicMetadata: Record<string, Record<string, unknown>> | undefined,
): ProcessingResponse {
  const r: ProcessingResponse = {};
  r[member] = { response: commonResponse(parts) };
  const md = dynamicMetadataStruct(dynamicMetadata);
  if (md) r.dynamicMetadata = md;
  return r;
}

/** The reply to a request/response headers message. */
export function headersReply(
  phase: Phase,
  parts: CommonReplyParts = {},
  dynamicMetadata?: Record<string, Record<string, unknown>>,
): ProcessingResponse {
  return commonReply(phase === 'request' ? 'requestHeaders' : 'responseHeaders', parts, dynamicMetadata);
}

/** The reply to a request/response body message (BUFFERED / STREAMED modes, or the last streamed chunk). */
export function bodyReply(
  phase: Phase,
  parts: CommonReplyParts = {},
  dynamicMetadata?: Record<string, Record<string, unknown>>,
): ProcessingResponse {
  return commonReply(phase === 'request' ? 'requestBody' : 'responseBody', parts, dynamicMetadata);
}

/** One FULL_DUPLEX_STREAMED body chunk reply. */
export function streamedChunkReply(phase: Phase, chunk: Buffer, endOfStream: boolean): ProcessingResponse {
  const response = { bodyMutation: { streamedResponse: { body: chunk, endOfStream } } };
  return phase === 'request' ? { requestBody: { response } } : { responseBody: { response } };
}

/** The body as streamed_response replies: chunks of at most 62,000 bytes, only the last with end_of_stream. */
export function streamedBodyReplies(
  phase: Phase,
  body: Buffer,
  maxChunk: number = STREAMED_BODY_CHUNK_BYTES,
): ProcessingResponse[] {
  const chunks = chunkBody(body, maxChunk);
  return chunks.map((c, i) => streamedChunkReply(phase, c, i === chunks.length - 1));
}

/** An ImmediateResponse carrying the error's HTTP status and `<prefix>: <Code> - <Msg>` body. */
export function immediateReply(err: GatewayError): ProcessingResponse {
  const headers = buildHeaderMutation(err.headers, undefined);
  return {
    immediateResponse: {
      status: { code: err.httpStatus as StatusCode },
      body: Buffer.from(err.bodyText, 'utf8'),
      details: err.code,
      ...(headers ? { headers } : {}),
    },
  };
}

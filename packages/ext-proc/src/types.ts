// Friendly names for the generated message types (gen/ is produced by `npm run gen`).
export type { HeaderMap, HeaderMap__Output } from './gen/envoy/config/core/v3/HeaderMap.js';
export type { HeaderValue, HeaderValue__Output } from './gen/envoy/config/core/v3/HeaderValue.js';
export type {
  HeaderValueOption,
  HeaderValueOption__Output,
} from './gen/envoy/config/core/v3/HeaderValueOption.js';
export type { Metadata, Metadata__Output } from './gen/envoy/config/core/v3/Metadata.js';
export type {
  ProcessingMode,
  ProcessingMode__Output,
} from './gen/envoy/extensions/filters/http/ext_proc/v3/ProcessingMode.js';
export type { BodyMutation, BodyMutation__Output } from './gen/envoy/service/ext_proc/v3/BodyMutation.js';
export type { BodyResponse, BodyResponse__Output } from './gen/envoy/service/ext_proc/v3/BodyResponse.js';
export type {
  CommonResponse,
  CommonResponse__Output,
} from './gen/envoy/service/ext_proc/v3/CommonResponse.js';
export type {
  ExternalProcessorClient,
  ExternalProcessorHandlers,
} from './gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
export type {
  HeaderMutation,
  HeaderMutation__Output,
} from './gen/envoy/service/ext_proc/v3/HeaderMutation.js';
export type {
  HeadersResponse,
  HeadersResponse__Output,
} from './gen/envoy/service/ext_proc/v3/HeadersResponse.js';
export type { HttpBody, HttpBody__Output } from './gen/envoy/service/ext_proc/v3/HttpBody.js';
export type { HttpHeaders, HttpHeaders__Output } from './gen/envoy/service/ext_proc/v3/HttpHeaders.js';
export type { HttpTrailers, HttpTrailers__Output } from './gen/envoy/service/ext_proc/v3/HttpTrailers.js';
export type {
  ImmediateResponse,
  ImmediateResponse__Output,
} from './gen/envoy/service/ext_proc/v3/ImmediateResponse.js';
export type {
  ProcessingRequest,
  ProcessingRequest__Output,
} from './gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
export type {
  ProcessingResponse,
  ProcessingResponse__Output,
} from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
export type {
  ProtocolConfiguration,
  ProtocolConfiguration__Output,
} from './gen/envoy/service/ext_proc/v3/ProtocolConfiguration.js';
export type {
  StreamedBodyResponse,
  StreamedBodyResponse__Output,
} from './gen/envoy/service/ext_proc/v3/StreamedBodyResponse.js';
export type { Struct, Struct__Output } from './gen/google/protobuf/Struct.js';

export type BodySendMode =
  | 'NONE'
  | 'STREAMED'
  | 'BUFFERED'
  | 'BUFFERED_PARTIAL'
  | 'FULL_DUPLEX_STREAMED'
  | 'GRPC';

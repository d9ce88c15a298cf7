// One gRPC client for envoy.service.ext_proc.v3.ExternalProcessor, set up as Envoy's ext_proc filter connects:
// plaintext or TLS without certificate verification (Envoy's empty validation context), channelz off, and message
// limits raised past grpc-js's 4 MiB default so 64 MiB bodies fit. Shared by EnvoyLikeClient and the dev gateway.
import * as grpc from '@grpc/grpc-js';
import type { ExternalProcessorClient } from '../gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import { extProcProto } from '../proto.js';

/** Default gRPC message limit both ways: bodies up to 64 MiB plus framing. */
export const DEFAULT_CLIENT_MAX_MESSAGE_BYTES = 80 * 1024 * 1024;

export interface ExtProcChannelOptions {
  /** 'host:port' of the ext_proc server. */
  address: string;
  /** TLS without certificate verification. Default false. */
  secure?: boolean;
  /** gRPC message size limit both ways; default DEFAULT_CLIENT_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** More grpc-js channel options (e.g. reconnect backoff); they win over the defaults above. */
  channelOptions?: grpc.ChannelOptions;
}

export function createExtProcClient(opts: ExtProcChannelOptions): ExternalProcessorClient {
  const Ctor = extProcProto().envoy.service.ext_proc.v3.ExternalProcessor;
  const creds = opts.secure
    ? grpc.credentials.createSsl(null, null, null, {
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      })
    : grpc.credentials.createInsecure();
  const max = opts.maxMessageBytes ?? DEFAULT_CLIENT_MAX_MESSAGE_BYTES;
  return new Ctor(opts.address, creds, {
    'grpc.enable_channelz': 0,
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
    ...opts.channelOptions,
  });
}

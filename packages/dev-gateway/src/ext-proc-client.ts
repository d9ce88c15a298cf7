// The gateway's gRPC channel to one ext_proc server, built on @igw/ext-proc's createExtProcClient and ReplyReader
// (the layer EnvoyLikeClient is built on) with extra channel options to be Envoy-like: gRPC's default reconnect backoff
// (1 s growing to 120 s, shared by every channel to the address through the global subchannel pool) would keep a
// restarted EPP unused for seconds to minutes, while Envoy connects on demand when a stream needs a connection.
// Here: 100 ms growing to at most 500 ms, and a subchannel pool of our own.
import type * as grpc from '@grpc/grpc-js';
import {
  createExtProcClient,
  type ExternalProcessorClient,
  type ProcessingRequest,
  type ProcessingResponse__Output,
  ReplyReader,
} from '@igw/ext-proc';

export interface ExtProcClientOptions {
  /** host:port */
  address: string;
  /** TLS without certificate verification (Envoy's empty validation context). */
  secure: boolean;
  /** gRPC message size limit both ways; default 80 MiB (bodies up to 64 MiB plus framing). */
  maxMessageBytes?: number;
}

export interface ExtProcStream {
  call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>;
  reader: ReplyReader;
}

/** What ExtProcSession needs: satisfied by this class and by @igw/ext-proc's EnvoyLikeClient. */
export interface StreamOpener {
  openStream(): ExtProcStream;
}

export class ExtProcClient implements StreamOpener {
  private readonly client: ExternalProcessorClient;

  constructor(readonly opts: ExtProcClientOptions) {
    this.client = createExtProcClient({
      ...opts,
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.min_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 500,
        'grpc.use_local_subchannel_pool': 1,
      },
    });
  }

  get address(): string {
    return this.opts.address;
  }

  openStream(): ExtProcStream {
    const call = this.client.Process();
    return { call, reader: new ReplyReader(call) };
  }

  close(): void {
    this.client.close();
  }
}

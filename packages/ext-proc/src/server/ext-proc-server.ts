// One-call ext_proc server: createGrpcServer + the stream driver + bindServer, with in-flight stream tracking
// for graceful shutdown (SIGTERM: health NOT_SERVING, let in-flight streams finish, then stop).
import type * as grpc from '@grpc/grpc-js';
import { serveStream } from '../driver/stream-driver.js';
import type { HandleStreamOptions, StreamProcessor } from '../driver/types.js';
import {
  addExtProcService,
  bindServer,
  createGrpcServer,
  type GrpcServerOptions,
  shutdownServer,
} from './grpc-server.js';
import type { CertificatePair } from './tls.js';

export interface ExtProcServerOptions {
  port: number;
  host?: string;
  secure: boolean;
  certPath?: string | undefined;
  processor: StreamProcessor;
  stream?: HandleStreamOptions;
  grpc?: GrpcServerOptions;
  /** Called with the server before binding (e.g. to add a health service on the same port). */
  configure?: (server: grpc.Server) => void;
}

export interface ExtProcServer {
  server: grpc.Server;
  port: number;
  certificate?: CertificatePair;
  /** Streams currently open. */
  inFlight(): number;
  /** Stop accepting streams, wait up to graceMs for in-flight ones, then force-close. */
  stop(graceMs?: number): Promise<void>;
}

export async function startExtProcServer(opts: ExtProcServerOptions): Promise<ExtProcServer> {
  const streamOpts: HandleStreamOptions = { ...opts.stream };
  const server = createGrpcServer({
    ...opts.grpc,
    maxBodyBytes: opts.grpc?.maxBodyBytes ?? streamOpts.maxRequestBodyBytes,
  });
  let open = 0;
  const onStreamDone = () => {
    open--;
  };
  addExtProcService(server, (call) => {
    open++;
    serveStream(call, opts.processor, streamOpts, onStreamDone);
  });
  opts.configure?.(server);
  const bound = await bindServer(server, opts.port, {
    secure: opts.secure,
    certPath: opts.certPath,
    ...(opts.host ? { host: opts.host } : {}),
  });
  return {
    server,
    port: bound.port,
    ...(bound.certificate ? { certificate: bound.certificate } : {}),
    inFlight: () => open,
    stop: (graceMs = 10_000) => shutdownServer(server, graceMs),
  };
}

// grpc-js server plumbing shared by the EPP and the BBR: channelz off (measured ~20% per-stream CPU and a
// history of leaks), keepalive, message size limits raised to the largest body we accept (grpc-js refuses
// messages over 4 MiB by default), TLS by default.
import * as grpc from '@grpc/grpc-js';
import type { ExternalProcessorHandlers } from '../gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import { extProcServiceDefinition } from '../proto.js';
import { type CertificatePair, type SecurityOptions, serverCredentials } from './tls.js';

export const DEFAULT_MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;
/** Room for the protobuf envelope around the largest body. */
const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

export interface GrpcServerOptions {
  /** Largest request body accepted; gRPC message limits are set above it. Default 64 MiB. */
  maxBodyBytes?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  /** Lets a proxy rebalance after restarts; unset = unlimited. */
  maxConnectionAgeMs?: number;
  maxConnectionAgeGraceMs?: number;
  maxConcurrentStreams?: number;
}

export function grpcServerChannelOptions(opts: GrpcServerOptions = {}): grpc.ChannelOptions {
  const maxMsg = Math.min(
    (opts.maxBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES) + MESSAGE_OVERHEAD_BYTES,
    2 ** 31 - 1,
  );
  const o: grpc.ChannelOptions = {
    'grpc.enable_channelz': 0,
    'grpc.max_receive_message_length': maxMsg,
    'grpc.max_send_message_length': maxMsg,
    'grpc.keepalive_time_ms': opts.keepaliveTimeMs ?? 30_000,
    'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs ?? 10_000,
  };
  if (opts.maxConnectionAgeMs !== undefined) o['grpc.max_connection_age_ms'] = opts.maxConnectionAgeMs;
  if (opts.maxConnectionAgeGraceMs !== undefined)
    o['grpc.max_connection_age_grace_ms'] = opts.maxConnectionAgeGraceMs;
  if (opts.maxConcurrentStreams !== undefined) o['grpc.max_concurrent_streams'] = opts.maxConcurrentStreams;
  return o;
}

export function createGrpcServer(opts: GrpcServerOptions = {}): grpc.Server {
  return new grpc.Server(grpcServerChannelOptions(opts));
}

export interface BindOptions extends SecurityOptions {
  /** Default '0.0.0.0' (all IPv4 interfaces, as upstream's `:port`). Tests use 127.0.0.1. */
  host?: string;
}

export interface BoundServer {
  port: number;
  /** The certificate served (self-signed or loaded) when secure. */
  certificate?: CertificatePair;
}

/** Bind `server` on host:port (0 = any free port) with TLS or plaintext; resolves with the bound port. */
export async function bindServer(server: grpc.Server, port: number, opts: BindOptions): Promise<BoundServer> {
  const { credentials, certificate } = await serverCredentials(opts);
  const host = opts.host ?? '0.0.0.0';
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return certificate ? { port: bound, certificate } : { port: bound };
}

export type ExtProcCallHandler = ExternalProcessorHandlers['Process'];

export function addExtProcService(server: grpc.Server, handler: ExtProcCallHandler): void {
  const impl: ExternalProcessorHandlers = { Process: handler };
  server.addService(extProcServiceDefinition(), impl);
}

/** Graceful stop: tryShutdown, then forceShutdown after `graceMs`. */
export function shutdownServer(server: grpc.Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

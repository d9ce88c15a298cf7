// Public API of @igw/ext-proc.
export * from './chunking.js';
export * from './client/channel.js';
export * from './client/envoy-like-client.js';
export * from './client/health-client.js';
export { ReplyReader } from './client/reply-reader.js';
export * from './driver/stream-driver.js';
export type * from './driver/types.js';
export * from './errors.js';
export * from './headers.js';
export * from './proto.js';
export * from './responses.js';
export * from './server/ext-proc-server.js';
export * from './server/grpc-server.js';
export * from './server/health.js';
export * from './server/tls.js';
export * from './struct.js';
export type * from './types.js';

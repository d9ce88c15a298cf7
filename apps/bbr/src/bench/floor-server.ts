// The floor: a bare grpc-js ext_proc server that answers the same message sequence as the BBR (header reply after
// the body's end-of-stream, then the body echoed in 62,000-byte streamed chunks) with no work: no body scan, no
// plugins, no driver; a fixed header mutation of the same shape.

import type * as grpc from '@grpc/grpc-js';
import {
  addExtProcService,
  createGrpcServer,
  type ProcessingResponse,
  STREAMED_BODY_CHUNK_BYTES,
} from '@igw/ext-proc';

const HEADERS_REPLY: ProcessingResponse = {
  requestHeaders: {
    response: {
      clearRouteCache: true,
      headerMutation: {
        setHeaders: [
          {
            header: {
              key: 'X-Gateway-Model-Name',
              rawValue: Buffer.from('meta-llama/Llama-3.1-8B-Instruct'),
            },
          },
          { header: { key: 'X-Gateway-Base-Model-Name', rawValue: Buffer.from('') } },
          { header: { key: 'Content-Length', rawValue: Buffer.from('0') } },
        ],
      },
    },
  },
};

export function createFloorServer(): grpc.Server {
  const server = createGrpcServer();
  addExtProcService(server, (call) => {
    let chunks: Buffer[] = [];
    call.on('data', (m) => {
      if (m.request === 'requestHeaders' && m.requestHeaders?.endOfStream)
        call.write({ requestHeaders: { response: {} } });
      if (m.request !== 'requestBody') return;
      chunks.push(m.requestBody!.body ?? Buffer.alloc(0));
      if (!m.requestBody!.endOfStream) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks = [];
      call.write(HEADERS_REPLY);
      for (let off = 0; off === 0 || off < body.length; off += STREAMED_BODY_CHUNK_BYTES) {
        const end = Math.min(off + STREAMED_BODY_CHUNK_BYTES, body.length);
        call.write({
          requestBody: {
            response: {
              bodyMutation: {
                streamedResponse: { body: body.subarray(off, end), endOfStream: end === body.length },
              },
            },
          },
        });
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  });
  return server;
}

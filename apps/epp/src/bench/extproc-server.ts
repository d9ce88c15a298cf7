// Child process of the ext_proc benchmark: `node extproc-server.js floor|driver|epp`. Runs one ext_proc server on a free
// loopback port and answers the parent over IPC:
//   {cmd:'cpu'} -> {cpu: process.cpuUsage()}         (the parent diffs two readings around a run)
//   {cmd:'eld-start'} / {cmd:'eld-stop'} -> {p99Ms, maxMs, meanMs}   (event-loop delay over the window)
// floor: a bare grpc-js ext_proc handler that answers the same message sequence as the EPP (headers reply with the
//        destination header, Content-Length and envoy.lb metadata, then the body as 62,000-byte streamed chunks)
//        without doing any work: no parsing, no scheduling, no metrics.
// driver: ext-proc's stream driver with a processor that returns a fixed decision (no parsing, no scheduling):
//        splits the EPP's cost over the floor into the shared driver's part and the EPP logic's part.
// epp:   createEppProcessor over ext-proc's stream driver, the real PoolDatastore and the WASM Scheduler with
//        the default plugin set and 8 endpoints whose metrics are refreshed every 100 ms.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  addExtProcService,
  bindServer,
  createGrpcServer,
  headersReply,
  STREAMED_BODY_CHUNK_BYTES,
  startExtProcServer,
  streamedChunkReply,
} from '@igw/ext-proc';
import { createBenchProcessor } from './bench-epp.js';

const FLOOR_DESTINATION = '10.0.0.1:8000';

async function startFloor(): Promise<number> {
  const server = createGrpcServer();
  addExtProcService(server, (call) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    call.on('data', (m) => {
      if (m.requestHeaders) {
        if (m.requestHeaders.endOfStream) call.write(headersReply('request', { clearRouteCache: true }));
        return;
      }
      if (!m.requestBody) return;
      const b = m.requestBody.body ?? Buffer.alloc(0);
      chunks.push(b);
      bytes += b.length;
      if (!m.requestBody.endOfStream) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
      call.write(
        headersReply(
          'request',
          {
            setHeaders: [
              ['x-gateway-destination-endpoint', FLOOR_DESTINATION],
              ['Content-Length', String(body.length)],
            ],
            clearRouteCache: true,
          },
          { 'envoy.lb': { 'x-gateway-destination-endpoint': FLOOR_DESTINATION } },
        ),
      );
      const n = Math.max(1, Math.ceil(body.length / STREAMED_BODY_CHUNK_BYTES));
      for (let i = 0; i < n; i++) {
        const start = i * STREAMED_BODY_CHUNK_BYTES;
        call.write(
          streamedChunkReply('request', body.subarray(start, start + STREAMED_BODY_CHUNK_BYTES), i === n - 1),
        );
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  });
  return (await bindServer(server, 0, { secure: false, host: '127.0.0.1' })).port;
}

async function startEpp(): Promise<number> {
  const processor = createBenchProcessor();
  const server = await startExtProcServer({ port: 0, host: '127.0.0.1', secure: false, processor });
  return server.port;
}

async function startDriverOnly(): Promise<number> {
  const processor = {
    onRequest: () => ({
      setHeaders: [['x-gateway-destination-endpoint', FLOOR_DESTINATION]] as Array<[string, string]>,
      dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': FLOOR_DESTINATION } },
      clearRouteCache: true,
    }),
  };
  const server = await startExtProcServer({ port: 0, host: '127.0.0.1', secure: false, processor });
  return server.port;
}

const starters: Record<string, () => Promise<number>> = {
  floor: startFloor,
  driver: startDriverOnly,
  epp: startEpp,
};
const kind = process.argv[2] ?? '';
const start = starters[kind];
if (start === undefined) throw new Error(`usage: extproc-server.js floor|driver|epp (got ${kind})`);
const port = await start();

let eld: ReturnType<typeof monitorEventLoopDelay> | undefined;
// Ballast: V8 paces full GCs by heap and external-memory size, so a tiny floor process with 100 KB buffers
// churning through it runs many more mark-compacts than the EPP (tens of MB of heap, the WASM memory) for the same
// garbage. The floor and driver-only servers take a ballast of the EPP's size (plain data, no per-request work) so
// the comparison is about work, not GC pacing.
let ballast: { onHeap: number[][]; external: ArrayBuffer } | undefined;
function allocateBallast(heapBytes: number, externalBytes: number): void {
  // Arrays of doubles live on the V8 heap (8 bytes each); the ArrayBuffer counts as external memory.
  const onHeap: number[][] = [];
  for (let left = heapBytes; left > 0; left -= 8 * 65_536) onHeap.push(new Array<number>(65_536).fill(0.5));
  const external = new ArrayBuffer(Math.max(0, externalBytes));
  new Uint8Array(external).fill(1);
  ballast = { onHeap, external };
}

process.on('message', (msg: { cmd: string; heapBytes?: number; externalBytes?: number }) => {
  if (msg.cmd === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  else if (msg.cmd === 'mem') {
    const m = process.memoryUsage();
    const ballastBytes = ballast ? ballast.onHeap.length * 8 * 65_536 + ballast.external.byteLength : 0;
    process.send?.({ heapUsed: m.heapUsed, external: m.external, ballastBytes });
  } else if (msg.cmd === 'ballast') {
    allocateBallast(msg.heapBytes ?? 0, msg.externalBytes ?? 0);
    process.send?.({ ok: true });
  } else if (msg.cmd === 'eld-start') {
    eld = monitorEventLoopDelay({ resolution: 5 });
    eld.enable();
    process.send?.({ ok: true });
  } else if (msg.cmd === 'eld-stop' && eld) {
    eld.disable();
    process.send?.({ p99Ms: eld.percentile(99) / 1e6, maxMs: eld.max / 1e6, meanMs: eld.mean / 1e6 });
  } else if (msg.cmd === 'exit') process.exit(0);
});
// The parent went away (finished, crashed or killed): do not outlive it.
process.on('disconnect', () => process.exit(0));
process.send?.({ port });

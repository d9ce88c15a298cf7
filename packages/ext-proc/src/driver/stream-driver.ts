// The ext_proc stream driver: one instance per Process stream. It owns the protocol (modes, ordering, chunking,
// Content-Length, immediate responses, 413, trailers, late chunks, cancellation, backpressure) and calls the
// StreamProcessor at the points where a decision is needed. Inbound messages are handled strictly in order; an
// async processor step holds later messages until it is done. No exception escapes: a GatewayError becomes an
// ImmediateResponse, anything else a gRPC status.
import { type ServerDuplexStream, status as Status } from '@grpc/grpc-js';
import { concatChunks, STREAMED_BODY_CHUNK_BYTES } from '../chunking.js';
import { GatewayError, GrpcStatusError, payloadTooLarge, toGrpcStatus } from '../errors.js';
import type { ProcessingRequest__Output } from '../gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { HeaderMapView } from '../headers.js';
import { bodyReply, headersReply, immediateReply, streamedChunkReply } from '../responses.js';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from '../server/grpc-server.js';
import { fromStruct } from '../struct.js';
import type {
  DriverLogger,
  HandleStreamOptions,
  RequestDecision,
  StreamContext,
  StreamMode,
  StreamOutcome,
  StreamProcessor,
} from './types.js';

export type ExtProcCall = ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>;

const END = Symbol('end');
type Item = ProcessingRequest__Output | typeof END;

type RequestPhase = 'headers' | 'body' | 'done';
/** 'NONE' = Envoy sends no request body (headers answered at once). */
type RequestBodyMode = StreamMode | 'NONE';

const STREAM_OVER = new Error('ext_proc stream ended');
const noopLogger: DriverLogger = { debug() {}, warn() {}, error() {} };

function isPromise<T>(v: unknown): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Serve one ext_proc stream. Resolves when the stream is over (never rejects). */
export function handleStream(
  call: ExtProcCall,
  processor: StreamProcessor,
  opts: HandleStreamOptions = {},
): Promise<void> {
  return new StreamDriver(call, processor, opts).done;
}

class StreamDriver {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly log: DriverLogger;
  private readonly maxBody: number;
  private readonly chunkBytes: number;
  // Created on first use of ctx.signal: an AbortController per stream costs measurable CPU (abort() builds a
  // DOMException) and most processors never look at it.
  private abort: AbortController | undefined;
  private readonly ctx: StreamContext;

  private queue: Item[] = [];
  private running = false;
  private finished = false;
  private configured = false;
  private requestBodyMode: RequestBodyMode = 'FULL_DUPLEX_STREAMED';
  private requestPhase: RequestPhase = 'headers';
  private headersReceived = false;
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private responseBodyDone = false;
  private lateChunks = 0;

  constructor(
    private readonly call: ExtProcCall,
    private readonly processor: StreamProcessor,
    private readonly opts: HandleStreamOptions,
  ) {
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.log = opts.logger ?? noopLogger;
    this.maxBody = opts.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
    this.chunkBytes = opts.chunkBytes ?? STREAMED_BODY_CHUNK_BYTES;
    const defaultMode: StreamMode = opts.streaming === false ? 'BUFFERED' : 'FULL_DUPLEX_STREAMED';
    const driver = this;
    this.ctx = {
      requestHeaders: HeaderMapView.empty(),
      responseHeaders: undefined,
      metadata: {},
      mode: defaultMode,
      responseMode: defaultMode,
      state: {},
      get signal() {
        if (!driver.abort) {
          driver.abort = new AbortController();
          if (driver.finished) driver.abort.abort(STREAM_OVER);
        }
        return driver.abort.signal;
      },
    };
    call.on('data', (m: ProcessingRequest__Output) => this.enqueue(m));
    call.on('end', () => this.enqueue(END));
    call.on('cancelled', () => this.finish({ kind: 'cancelled' }));
    call.on('error', (err: Error) => {
      this.log.debug({ err: err.message }, 'ext_proc stream error');
      this.finish({ kind: 'cancelled' });
    });
    // A stream the client abandons without a clean end also closes the call.
    call.on('close', () => this.finish({ kind: 'cancelled' }));
  }

  private enqueue(item: Item): void {
    if (this.finished) return;
    this.queue.push(item);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.finished) {
        const item = this.queue.shift()!;
        const r = item === END ? this.onClientEnd() : this.onMessage(item);
        if (r) await r;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.running = false;
    }
  }

  private onMessage(m: ProcessingRequest__Output): void | Promise<void> {
    if (!this.configured) this.configure(m);
    if (m.metadataContext?.filterMetadata) {
      for (const [ns, s] of Object.entries(m.metadataContext.filterMetadata))
        this.ctx.metadata[ns] = fromStruct(s);
    }
    switch (m.request) {
      case 'requestHeaders':
        return this.onRequestHeaders(m.requestHeaders!);
      case 'requestBody':
        return this.onRequestBody(
          m.requestBody!.body ?? Buffer.alloc(0),
          m.requestBody!.endOfStream === true,
        );
      case 'requestTrailers':
        // No reply (upstream ignores trailers). Trailers do end the body in full-duplex mode, though.
        if (this.requestPhase === 'body') return this.completeRequest();
        return;
      case 'responseHeaders':
        return this.onResponseHeaders(m.responseHeaders!);
      case 'responseBody':
        return this.onResponseBody(
          m.responseBody!.body ?? Buffer.alloc(0),
          m.responseBody!.endOfStream === true,
        );
      case 'responseTrailers':
        return;
      default:
        throw new GrpcStatusError(Status.INVALID_ARGUMENT, 'ProcessingRequest carries no request event');
    }
  }

  /** protocol_config (first message only) decides the body modes; without it, opts.streaming does. */
  private configure(m: ProcessingRequest__Output): void {
    this.configured = true;
    const pc = m.protocolConfig;
    if (!pc) {
      this.requestBodyMode = this.ctx.mode;
      return;
    }
    const req = pc.requestBodyMode ?? 'NONE';
    switch (req) {
      case 'FULL_DUPLEX_STREAMED':
        this.requestBodyMode = this.ctx.mode = 'FULL_DUPLEX_STREAMED';
        break;
      case 'BUFFERED':
      case 'BUFFERED_PARTIAL':
        this.requestBodyMode = this.ctx.mode = 'BUFFERED';
        break;
      case 'NONE':
        this.requestBodyMode = 'NONE';
        break;
      default:
        throw new GrpcStatusError(
          Status.UNIMPLEMENTED,
          `request_body_mode ${req} is not supported (use FULL_DUPLEX_STREAMED or BUFFERED)`,
        );
    }
    const resp = pc.responseBodyMode ?? 'NONE';
    this.ctx.responseMode = resp === 'FULL_DUPLEX_STREAMED' ? 'FULL_DUPLEX_STREAMED' : 'BUFFERED';
  }

  private onRequestHeaders(
    h: NonNullable<ProcessingRequest__Output['requestHeaders']>,
  ): void | Promise<void> {
    if (this.headersReceived) {
      this.log.warn({}, 'duplicate request_headers ignored');
      return;
    }
    this.headersReceived = true;
    this.ctx.requestHeaders = HeaderMapView.fromProto(h.headers);
    if (h.endOfStream === true || this.requestBodyMode === 'NONE') {
      this.requestPhase = 'done';
      const d = this.processor.onHeadersOnly ? this.processor.onHeadersOnly(this.ctx) : {};
      return isPromise<RequestDecision | GatewayError>(d)
        ? d.then((x) => this.replyHeadersOnly(x))
        : this.replyHeadersOnly(d);
    }
    this.requestPhase = 'body';
    // BUFFERED: the headers reply goes out at once; the body reply carries the mutations.
    if (this.requestBodyMode === 'BUFFERED') this.write(headersReply('request'));
  }

  private replyHeadersOnly(d: RequestDecision | GatewayError): void {
    if (d instanceof GatewayError) {
      this.sendImmediate(d);
      return;
    }
    this.write(
      headersReply(
        'request',
        {
          setHeaders: d.setHeaders,
          removeHeaders: d.removeHeaders,
          clearRouteCache: d.clearRouteCache ?? true,
        },
        d.dynamicMetadata,
      ),
    );
  }

  private onRequestBody(chunk: Buffer, eos: boolean): void | Promise<void> {
    if (this.requestPhase === 'done') {
      // Chunks after the first end-of-stream (or after a headers-only request) are ignored.
      this.lateChunks++;
      if (this.lateChunks === 1) this.log.debug({}, 'request body chunk after end-of-stream ignored');
      return;
    }
    if (this.requestPhase === 'headers') this.requestPhase = 'body'; // request headers skipped by the proxy
    if (this.bodyBytes + chunk.length > this.maxBody) {
      this.requestPhase = 'done';
      return this.sendImmediate(
        payloadTooLarge(this.maxBody, this.bodyBytes + chunk.length, this.opts.errorPrefix),
      );
    }
    if (chunk.length > 0) {
      this.bodyChunks.push(chunk);
      this.bodyBytes += chunk.length;
    }
    if (eos) return this.completeRequest();
  }

  private completeRequest(): void | Promise<void> {
    this.requestPhase = 'done';
    const body = concatChunks(this.bodyChunks, this.bodyBytes);
    this.bodyChunks = [];
    const d = this.processor.onRequest(this.ctx, body);
    return isPromise<RequestDecision | GatewayError>(d)
      ? d.then((x) => this.replyRequest(x, body))
      : this.replyRequest(d, body);
  }

  private replyRequest(d: RequestDecision | GatewayError, original: Buffer): void | Promise<void> {
    if (d instanceof GatewayError) return this.sendImmediate(d);
    const out = d.body ?? original;
    const setHeaders = [...(d.setHeaders ?? [])];
    const policy = this.opts.contentLength ?? 'always';
    if (
      (policy === 'always' || (policy === 'non-empty' && out.length > 0)) &&
      !setHeaders.some(([k]) => k.toLowerCase() === 'content-length')
    ) {
      setHeaders.push(['Content-Length', String(out.length)]);
    }
    const parts = { setHeaders, removeHeaders: d.removeHeaders, clearRouteCache: d.clearRouteCache ?? true };
    if (this.requestBodyMode === 'BUFFERED') {
      this.write(
        bodyReply('request', d.body === undefined ? parts : { ...parts, body: d.body }, d.dynamicMetadata),
      );
      return;
    }
    let first = true;
    if (this.headersReceived) {
      this.write(headersReply('request', parts, d.dynamicMetadata));
      first = false;
    }
    return this.writeChunks(out, (chunk, last) => {
      const r = streamedChunkReply('request', chunk, last);
      if (first && d.dynamicMetadata) {
        // Request headers were skipped by the proxy: the metadata rides on the first body reply.
        r.dynamicMetadata = headersReply('request', {}, d.dynamicMetadata).dynamicMetadata;
        first = false;
      }
      return r;
    });
  }

  /** Write the body as streamed chunks, waiting for 'drain' whenever grpc-js buffers past its high-water mark. */
  private writeChunks(
    body: Buffer,
    build: (chunk: Buffer, last: boolean) => ProcessingResponse,
  ): void | Promise<void> {
    const n = body.length <= this.chunkBytes ? 1 : Math.ceil(body.length / this.chunkBytes);
    let i = 0;
    const next = (): void | Promise<void> => {
      while (i < n && !this.finished) {
        const start = i * this.chunkBytes;
        const chunk = n === 1 ? body : body.subarray(start, Math.min(start + this.chunkBytes, body.length));
        i++;
        if (!this.write(build(chunk, i === n)) && i < n) return this.drained().then(next);
      }
    };
    return next();
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.call.off('drain', done);
        this.call.off('close', done);
        this.call.off('cancelled', done);
        resolve();
      };
      this.call.on('drain', done);
      // A stream that goes away while we wait must not leave the writer hanging.
      this.call.on('close', done);
      this.call.on('cancelled', done);
    });
  }

  private onResponseHeaders(h: NonNullable<ProcessingRequest__Output['responseHeaders']>): void {
    const view = HeaderMapView.fromProto(h.headers);
    this.ctx.responseHeaders = view;
    const d = this.processor.onResponseHeaders?.(this.ctx, view) ?? undefined;
    this.write(
      headersReply('response', d ? { setHeaders: d.setHeaders, removeHeaders: d.removeHeaders } : {}),
    );
    if (h.endOfStream === true) this.responseBodyDone = true;
  }

  private onResponseBody(chunk: Buffer, eos: boolean): void {
    if (this.responseBodyDone) {
      this.lateChunks++;
      return;
    }
    if (eos) this.responseBodyDone = true;
    const out = this.processor.onResponseBodyChunk?.(this.ctx, chunk, eos) ?? chunk;
    if (this.ctx.responseMode === 'FULL_DUPLEX_STREAMED') {
      this.write(streamedChunkReply('response', out, eos));
    } else {
      this.write(bodyReply('response', out === chunk ? {} : { body: out }));
    }
  }

  private onClientEnd(): void {
    // Envoy half-closed: everything queued before it has been answered.
    this.endCall({ kind: 'completed' });
  }

  private sendImmediate(err: GatewayError): void {
    this.write(immediateReply(err));
    // Envoy ignores anything after an immediate response; end the stream (status OK, as upstream).
    this.endCall({ kind: 'immediate-response', error: err });
  }

  private write(msg: ProcessingResponse): boolean {
    if (this.finished || this.call.cancelled || this.call.writableEnded) return true;
    return this.call.write(msg);
  }

  private endCall(outcome: StreamOutcome): void {
    if (this.finished) return;
    if (!this.call.cancelled && !this.call.writableEnded) this.call.end();
    this.finish(outcome);
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    if (err instanceof GatewayError && this.requestPhase !== 'headers') {
      this.sendImmediate(err);
      return;
    }
    const st = toGrpcStatus(err);
    if (!(err instanceof GrpcStatusError)) this.log.error({ err }, 'ext_proc stream failed');
    const open = !this.call.cancelled && !this.call.writableEnded;
    this.finish({ kind: 'grpc-error', code: st.code, details: st.details });
    if (open) this.call.emit('error', { code: st.code, details: st.details });
  }

  private finish(outcome: StreamOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.queue = [];
    this.abort?.abort(STREAM_OVER);
    try {
      this.processor.onStreamEnd?.(this.ctx, outcome);
    } catch (err) {
      this.log.error({ err }, 'onStreamEnd threw');
    }
    this.resolveDone();
  }
}

// The ext_proc stream driver: one instance per Process stream. It owns the protocol (modes, ordering, chunking,
// Content-Length, immediate responses, 413, trailers, late chunks, cancellation, backpressure) and calls the
// StreamProcessor at the points where a decision is needed. Inbound messages are handled strictly in order; an
// async processor step holds later messages until it is done. No exception escapes: a GatewayError becomes an
// ImmediateResponse, anything else a gRPC status.
import { type ServerDuplexStream, status as Status } from '@grpc/grpc-js';
import { concatChunks, STREAMED_BODY_CHUNK_BYTES } from '../chunking.js';
import { encodeCommonReply, encodeStreamedChunk, REPLY_FIELD } from '../codec/reply-encoder.js';
import { GatewayError, GrpcStatusError, payloadTooLarge, toGrpcStatus } from '../errors.js';
import type { ProcessingRequest__Output } from '../gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { HeaderMapView, type RequestHeadersView } from '../headers.js';
import { bodyReply, headersReply, immediateReply } from '../responses.js';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from '../server/grpc-server.js';
import { fromStruct, type JsonValue } from '../struct.js';
import type {
  DriverLogger,
  HandleStreamOptions,
  RequestDecision,
  StreamContext,
  StreamMode,
  StreamOutcome,
  StreamProcessor,
} from './types.js';

/**
 * The call handed to the driver. Its response serializer must pass pre-encoded Buffers through (the hot replies
 * are encoded by codec/reply-encoder.ts): extProcServiceDefinition() (used by addExtProcService) has such a serializer.
 */
export type ExtProcCall = ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse | Buffer>;

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
  return new Promise((resolve) => {
    new StreamDriver(call, processor, opts, resolve);
  });
}

/** handleStream without the promise: `onDone` is called once when the stream is over. */
export function serveStream(
  call: ExtProcCall,
  processor: StreamProcessor,
  opts: HandleStreamOptions,
  onDone: () => void,
): void {
  new StreamDriver(call, processor, opts, onDone);
}

const CANCELLED: StreamOutcome = Object.freeze({ kind: 'cancelled' });
const COMPLETED: StreamOutcome = Object.freeze({ kind: 'completed' });

/**
 * The per-stream context handed to the processor. A class (not an object literal with a getter): a literal's
 * accessor is allocated per instance and keeps the object off V8's fast paths, measurable at thousands of streams/s.
 */
class DriverContext implements StreamContext {
  requestHeaders: RequestHeadersView = HeaderMapView.empty();
  responseHeaders: RequestHeadersView | undefined = undefined;
  metadata: Record<string, JsonValue> = {};
  state: Record<string, unknown> = {};
  // Created on first use of ctx.signal: an AbortController per stream costs measurable CPU (abort() builds a
  // DOMException) and most processors never look at it.
  abort: AbortController | undefined = undefined;
  over = false;

  constructor(
    public mode: StreamMode,
    public responseMode: StreamMode,
  ) {}

  get signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.over) this.abort.abort(STREAM_OVER);
    }
    return this.abort.signal;
  }

  end(): void {
    this.over = true;
    this.abort?.abort(STREAM_OVER);
  }
}

class StreamDriver {
  private readonly log: DriverLogger;
  private readonly maxBody: number;
  private readonly chunkBytes: number;
  private readonly ctx: DriverContext;

  private queue: Item[] | undefined;
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
    private readonly onDone: () => void,
  ) {
    this.log = opts.logger ?? noopLogger;
    this.maxBody = opts.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
    this.chunkBytes = opts.chunkBytes ?? STREAMED_BODY_CHUNK_BYTES;
    const defaultMode: StreamMode = opts.streaming === false ? 'BUFFERED' : 'FULL_DUPLEX_STREAMED';
    this.ctx = new DriverContext(defaultMode, defaultMode);
    call.on('data', (m: ProcessingRequest__Output) => this.enqueue(m));
    call.on('end', () => this.enqueue(END));
    // A stream the client abandons without a clean end also closes the call.
    const cancelled = () => this.finish(CANCELLED);
    call.on('cancelled', cancelled);
    call.on('close', cancelled);
    call.on('error', (err: Error) => {
      this.log.debug({ err: err.message }, 'ext_proc stream error');
      this.finish(CANCELLED);
    });
  }

  /**
   * Messages are handled in order, synchronously while every step is synchronous (no promise per message); a
   * step that returns a promise holds the later messages in `queue` until it settles.
   */
  private enqueue(item: Item): void {
    if (this.finished) return;
    if (this.running) {
      if (this.queue) this.queue.push(item);
      else this.queue = [item];
      return;
    }
    this.step(item);
  }

  private step(item: Item): void {
    let next: Item | undefined = item;
    while (next !== undefined && !this.finished) {
      this.running = true;
      let r: void | Promise<void>;
      try {
        r = next === END ? this.onClientEnd() : this.onMessage(next);
      } catch (err) {
        this.running = false;
        this.fail(err);
        return;
      }
      if (r) {
        r.then(
          () => {
            this.running = false;
            const q = this.queue?.shift();
            if (q !== undefined) this.step(q);
          },
          (err: unknown) => {
            this.running = false;
            this.fail(err);
          },
        );
        return;
      }
      this.running = false;
      next = this.queue?.shift();
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
    // Request headers skipped by the proxy: the metadata rides on the first body reply.
    let firstMetadata: RequestDecision['dynamicMetadata'];
    if (this.headersReceived)
      this.write(encodeCommonReply(REPLY_FIELD.requestHeaders, parts, d.dynamicMetadata));
    else firstMetadata = d.dynamicMetadata;
    return this.writeChunks(out, (chunk, last) => {
      const r = encodeStreamedChunk(REPLY_FIELD.requestBody, chunk, last, firstMetadata);
      firstMetadata = undefined;
      return r;
    });
  }

  /** Write the body as streamed chunks, waiting for 'drain' whenever grpc-js buffers past its high-water mark. */
  private writeChunks(body: Buffer, build: (chunk: Buffer, last: boolean) => Buffer): void | Promise<void> {
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
      encodeCommonReply(
        REPLY_FIELD.responseHeaders,
        d ? { setHeaders: d.setHeaders, removeHeaders: d.removeHeaders } : {},
      ),
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
      this.write(encodeStreamedChunk(REPLY_FIELD.responseBody, out, eos));
    } else {
      this.write(bodyReply('response', out === chunk ? {} : { body: out }));
    }
  }

  private onClientEnd(): void {
    // Envoy half-closed: everything queued before it has been answered.
    this.endCall(COMPLETED);
  }

  private sendImmediate(err: GatewayError): void {
    this.write(immediateReply(err));
    // Envoy ignores anything after an immediate response; end the stream (status OK, as upstream).
    this.endCall({ kind: 'immediate-response', error: err });
  }

  private write(msg: ProcessingResponse | Buffer): boolean {
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
    this.queue = undefined;
    this.ctx.end();
    try {
      this.processor.onStreamEnd?.(this.ctx, outcome);
    } catch (err) {
      this.log.error({ err }, 'onStreamEnd threw');
    }
    this.onDone();
  }
}

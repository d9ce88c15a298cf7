// One ext_proc stream for one HTTP request, driven the way Envoy's ext_proc filter drives it: request headers
// (SEND), the request body FULL_DUPLEX_STREAMED (every chunk sent, replies read after) or BUFFERED (headers reply
// first, then one body message), then, if configured and not overridden by the server (mode_override), the
// response headers and the response body chunk by chunk. Built on the raw stream of @igw/ext-proc's
// EnvoyLikeClient (openStream) because a proxy must interleave the response phase with the upstream response.
//
// message_timeout: a watchdog armed whenever a message is sent and a reply is due, reset by every reply; when it
// fires the stream is cancelled and the caller applies its failure mode.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import {
  applyHeaderMutation,
  fromStruct,
  httpStatusNumber,
  type JsonValue,
  type ProcessingRequest,
  type ProcessingResponse__Output,
  type ReplyReader,
  toStruct,
} from '@igw/ext-proc';
import type { BodyMode, ResponseBodyMode } from './config.js';
import type { StreamOpener } from './ext-proc-client.js';

export type HeaderList = Array<[string, string]>;

export type FailureKind = 'timeout' | 'grpc-error' | 'protocol';

/** The ext_proc server could not be used: the caller applies the failure mode (FailOpen / FailClose). */
export class ProcessorFailure extends Error {
  override name = 'ProcessorFailure';
  constructor(
    readonly processor: string,
    readonly kind: FailureKind,
    message: string,
    /** The gRPC status code when the stream ended with one. */
    readonly grpcCode?: number,
  ) {
    super(`${processor} ext_proc ${kind}: ${message}`);
  }
}

export interface ImmediateReply {
  kind: 'immediate';
  status: number;
  headers: HeaderList;
  body: Buffer;
  details: string;
}

export interface RequestPhaseResult {
  kind: 'continue';
  headers: HeaderList;
  body: Buffer | undefined;
  clearRouteCache: boolean;
}

export interface ProcessorSettings {
  /** 'bbr' or 'epp', for logs and errors. */
  name: string;
  client: StreamOpener;
  requestBodyMode: BodyMode;
  responseHeaders: boolean;
  responseBodyMode: ResponseBodyMode;
  messageTimeoutMs: number;
  /** metadata_context.filter_metadata sent with request-phase messages (e.g. the subset hint). */
  requestMetadata?: Record<string, Record<string, unknown>> | undefined;
}

const MAX_TIMER_MS = 2_147_483_647;

type Reply = ProcessingResponse__Output;

function headerMap(list: HeaderList) {
  return { headers: list.map(([key, v]) => ({ key, rawValue: Buffer.from(v, 'utf8') })) };
}

function immediateOf(reply: Reply): ImmediateReply {
  const ir = reply.immediateResponse!;
  const code = ir.status?.code as string | number | undefined;
  const status = typeof code === 'number' ? code : code === undefined ? 0 : (httpStatusNumber(code) ?? 0);
  return {
    kind: 'immediate',
    // Envoy answers 200 when the status is unset or out of range? It uses the code as is; 0 is invalid HTTP.
    status: status >= 200 && status <= 599 ? status : 500,
    headers: applyHeaderMutation([], ir.headers),
    body: ir.body ?? Buffer.alloc(0),
    details: ir.details ?? '',
  };
}

export class ExtProcSession {
  /** Merged dynamic_metadata of every reply (namespace -> fields). */
  readonly dynamicMetadata: Record<string, Record<string, JsonValue>> = {};
  private readonly call: ClientDuplexStream<ProcessingRequest, Reply>;
  private readonly reader: ReplyReader;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private closed = false;
  private first = true;
  private responseHeadersMode: boolean;
  private responseBodyMode: ResponseBodyMode;

  constructor(private readonly s: ProcessorSettings) {
    const { call, reader } = s.client.openStream();
    this.call = call;
    this.reader = reader;
    this.responseHeadersMode = s.responseHeaders;
    this.responseBodyMode = s.responseBodyMode;
  }

  /** Whether the response must go through this processor (config, possibly overridden by the server). */
  get wantsResponseHeaders(): boolean {
    return this.responseHeadersMode;
  }

  get responseMode(): ResponseBodyMode {
    return this.responseBodyMode;
  }

  private send(
    m: ProcessingRequest,
    md: Record<string, Record<string, unknown>> | undefined,
    replyDue: boolean,
  ) {
    if (this.first) {
      m.protocolConfig = {
        requestBodyMode: this.s.requestBodyMode,
        responseBodyMode: this.responseBodyMode === 'NONE' ? 'NONE' : this.responseBodyMode,
      };
      this.first = false;
    }
    if (md) {
      const filterMetadata: Record<string, ReturnType<typeof toStruct>> = {};
      for (const [ns, v] of Object.entries(md)) filterMetadata[ns] = toStruct(v);
      m.metadataContext = { filterMetadata };
    }
    this.call.write(m);
    if (replyDue) this.arm();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.call.cancel();
    }, this.s.messageTimeoutMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Next reply; the end of the stream or a timeout become ProcessorFailure. */
  private async next(what: string): Promise<Reply> {
    const ev = await this.reader.next(MAX_TIMER_MS, what);
    if (ev.kind === 'end') {
      this.disarm();
      if (this.timedOut)
        throw new ProcessorFailure(
          this.s.name,
          'timeout',
          `no reply within ${this.s.messageTimeoutMs} ms (${what})`,
        );
      throw new ProcessorFailure(
        this.s.name,
        'grpc-error',
        `stream ended while waiting for ${what}: code ${ev.status.code} ${ev.status.details}`,
        ev.status.code,
      );
    }
    this.disarm();
    const r = ev.reply;
    if (r.dynamicMetadata) {
      for (const [ns, v] of Object.entries(fromStruct(r.dynamicMetadata))) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v))
          this.dynamicMetadata[ns] = { ...this.dynamicMetadata[ns], ...v };
      }
    }
    if (r.modeOverride) {
      const mo = r.modeOverride;
      if (mo.responseHeaderMode === 'SKIP') this.responseHeadersMode = false;
      else if (mo.responseHeaderMode === 'SEND') this.responseHeadersMode = true;
      const rb = mo.responseBodyMode;
      if (rb === 'NONE' || rb === 'BUFFERED' || rb === 'FULL_DUPLEX_STREAMED') this.responseBodyMode = rb;
    }
    return r;
  }

  private expect(r: Reply, want: NonNullable<Reply['response']>, what: string): void {
    if (r.response !== want) {
      throw new ProcessorFailure(
        this.s.name,
        'protocol',
        `expected a ${want} reply (${what}), got ${r.response ?? 'an empty reply'}`,
      );
    }
  }

  /** Runs the request phase. `body` undefined = headers-only request. */
  async processRequest(
    headers: HeaderList,
    body: Buffer | undefined,
  ): Promise<RequestPhaseResult | ImmediateReply> {
    const md = this.s.requestMetadata;
    let out = headers;
    let outBody = body;
    let crc = false;
    const common = (r: Reply, which: 'requestHeaders' | 'requestBody') => {
      const c = r[which]?.response;
      out = applyHeaderMutation(out, c?.headerMutation);
      if (c?.clearRouteCache) crc = true;
      return c;
    };
    if (body === undefined) {
      this.send({ requestHeaders: { headers: headerMap(headers), endOfStream: true } }, md, true);
      const r = await this.next('the request headers reply');
      if (r.response === 'immediateResponse') return immediateOf(r);
      this.expect(r, 'requestHeaders', 'headers-only request');
      common(r, 'requestHeaders');
    } else if (this.s.requestBodyMode === 'BUFFERED') {
      this.send({ requestHeaders: { headers: headerMap(headers), endOfStream: false } }, md, true);
      let r = await this.next('the request headers reply');
      if (r.response === 'immediateResponse') return immediateOf(r);
      this.expect(r, 'requestHeaders', 'buffered request headers');
      common(r, 'requestHeaders');
      this.send({ requestBody: { body, endOfStream: true } }, md, true);
      r = await this.next('the request body reply');
      if (r.response === 'immediateResponse') return immediateOf(r);
      this.expect(r, 'requestBody', 'buffered request body');
      const bm = common(r, 'requestBody')?.bodyMutation;
      if (bm?.mutation === 'body') outBody = bm.body ?? Buffer.alloc(0);
      else if (bm?.mutation === 'clearBody' && bm.clearBody) outBody = Buffer.alloc(0);
      else if (bm?.mutation === 'streamedResponse')
        throw new ProcessorFailure(this.s.name, 'protocol', 'streamed_response in BUFFERED mode');
    } else {
      // Full duplex: Envoy sends the headers and every chunk as they arrive; the server answers when it likes.
      this.send({ requestHeaders: { headers: headerMap(headers), endOfStream: false } }, md, false);
      this.send({ requestBody: { body, endOfStream: true } }, md, true);
      let r = await this.next('the request headers reply');
      if (r.response === 'immediateResponse') return immediateOf(r);
      this.expect(r, 'requestHeaders', 'full-duplex request headers');
      common(r, 'requestHeaders');
      const chunks: Buffer[] = [];
      for (;;) {
        this.arm();
        r = await this.next('a streamed request body reply');
        if (r.response === 'immediateResponse') return immediateOf(r);
        this.expect(r, 'requestBody', 'full-duplex request body');
        const bm = common(r, 'requestBody')?.bodyMutation;
        if (bm?.mutation !== 'streamedResponse')
          throw new ProcessorFailure(
            this.s.name,
            'protocol',
            'full-duplex body replies must carry streamed_response',
          );
        chunks.push(bm.streamedResponse?.body ?? Buffer.alloc(0));
        if (bm.streamedResponse?.endOfStream) break;
      }
      outBody = Buffer.concat(chunks);
    }
    if (!this.responseHeadersMode) this.finish();
    return { kind: 'continue', headers: out, body: outBody, clearRouteCache: crc };
  }

  /** Sends the response headers; returns the mutated headers or an immediate response. */
  async processResponseHeaders(
    headers: HeaderList,
    endOfStream: boolean,
    md: Record<string, Record<string, unknown>>,
  ): Promise<{ kind: 'continue'; headers: HeaderList } | ImmediateReply> {
    this.send({ responseHeaders: { headers: headerMap(headers), endOfStream } }, md, true);
    const r = await this.next('the response headers reply');
    if (r.response === 'immediateResponse') return immediateOf(r);
    this.expect(r, 'responseHeaders', 'response headers');
    const out = applyHeaderMutation(headers, r.responseHeaders?.response?.headerMutation);
    if (endOfStream || this.responseBodyMode === 'NONE') this.finish();
    return { kind: 'continue', headers: out };
  }

  /**
   * Streams the response body through the processor. `write` receives the bytes to forward (await it for
   * back-pressure). On failure, unforwarded() holds the bytes sent but not answered, so a FailOpen caller can
   * forward them unmodified and then the rest of the body.
   */
  async processResponseBody(
    source: AsyncIterable<Buffer>,
    write: (b: Buffer) => Promise<void>,
    md: Record<string, Record<string, unknown>>,
  ): Promise<void> {
    if (this.responseBodyMode === 'BUFFERED') {
      const parts: Buffer[] = [];
      for await (const c of source) parts.push(c);
      const body = Buffer.concat(parts);
      this.sentChunks.push(body);
      this.send({ responseBody: { body, endOfStream: true } }, md, true);
      const r = await this.next('the response body reply');
      this.expect(r, 'responseBody', 'buffered response body');
      const bm = r.responseBody?.response?.bodyMutation;
      const out =
        bm?.mutation === 'body'
          ? (bm.body ?? Buffer.alloc(0))
          : bm?.mutation === 'clearBody' && bm.clearBody
            ? Buffer.alloc(0)
            : body;
      this.answered(body.length);
      await write(out);
      this.finish();
      return;
    }
    let eosSent = false;
    const replies = (async () => {
      for (;;) {
        const r = await this.next('a streamed response body reply');
        this.expect(r, 'responseBody', 'full-duplex response body');
        const bm = r.responseBody?.response?.bodyMutation;
        if (bm?.mutation !== 'streamedResponse')
          throw new ProcessorFailure(
            this.s.name,
            'protocol',
            'full-duplex response body replies must carry streamed_response',
          );
        const b = bm.streamedResponse?.body ?? Buffer.alloc(0);
        this.answered(b.length);
        if (b.length > 0) await write(b);
        if (bm.streamedResponse?.endOfStream) return;
        if (eosSent) this.arm();
      }
    })();
    // Surface a failed reply loop even while we are still waiting on the upstream.
    let replyError: unknown;
    replies.catch((e: unknown) => {
      replyError = e;
    });
    for await (const c of source) {
      // Recorded before the failure check: a FailOpen caller forwards it with the other unanswered bytes.
      this.sentChunks.push(c);
      if (replyError) throw replyError;
      this.send({ responseBody: { body: c, endOfStream: false } }, md, true);
    }
    if (replyError) throw replyError;
    eosSent = true;
    this.send({ responseBody: { body: Buffer.alloc(0), endOfStream: true } }, md, true);
    await replies;
    this.finish();
  }

  /**
   * Response bytes sent to the processor and not yet matched by bytes it sent back (FailOpen forwards them).
   * Fully answered chunks are dropped, so a long stream does not keep its whole body in memory.
   */
  private readonly sentChunks: Buffer[] = [];
  /** Bytes of sentChunks[0] already answered. */
  private answeredInFirst = 0;

  private answered(n: number): void {
    let left = n;
    while (left > 0 && this.sentChunks.length > 0) {
      const room = this.sentChunks[0]!.length - this.answeredInFirst;
      if (left < room) {
        this.answeredInFirst += left;
        return;
      }
      left -= room;
      this.sentChunks.shift();
      this.answeredInFirst = 0;
    }
  }

  /** The bytes sent to the processor that never came back (for FailOpen mid-response). */
  unforwarded(): Buffer {
    if (this.sentChunks.length === 0) return Buffer.alloc(0);
    const first = this.sentChunks[0]!.subarray(this.answeredInFirst);
    return Buffer.concat([first, ...this.sentChunks.slice(1)]);
  }

  /** Half-closes the stream (the exchange is complete). */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    this.call.end();
  }

  /** Abandons the stream (client went away, failure, or the request ended before the exchange did). */
  abort(): void {
    if (this.closed) return;
    this.disarm();
    this.closed = true;
    this.call.cancel();
  }
}

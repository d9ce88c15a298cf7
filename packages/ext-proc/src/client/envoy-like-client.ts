// An ext_proc client that behaves like Envoy's ext_proc filter, for end-to-end tests of the EPP and the BBR and for
// the dev gateway. One process() call = one HTTP request/response through the filter: request headers, the body in
// chunks of a given size (FULL_DUPLEX_STREAMED) or as one message (BUFFERED), metadata_context, trailers, then the
// response phases. It applies the header/body mutations the server sends and returns the resulting request, the
// replies and the final gRPC status. Protocol deviations by the server raise ProtocolViolationError.
import type * as grpc from '@grpc/grpc-js';
import type { ExternalProcessorClient } from '../gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { HeaderMutation__Output } from '../gen/envoy/service/ext_proc/v3/HeaderMutation.js';
import type { ProcessingRequest } from '../gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse__Output } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { applyHeaderMutation } from '../headers.js';
import { httpStatusNumber } from '../proto.js';
import { fromStruct, type JsonValue, toStruct } from '../struct.js';
import { createExtProcClient } from './channel.js';
import { ReplyReader } from './reply-reader.js';

export { MessageTimeoutError } from './reply-reader.js';

export class ProtocolViolationError extends Error {
  override name = 'ProtocolViolationError';
}

export type ClientBodyMode = 'FULL_DUPLEX_STREAMED' | 'BUFFERED';
export type HeaderList = Array<[string, string]>;

export interface EnvoyLikeClientOptions {
  /** 'host:port' of the ext_proc server. */
  address: string;
  /** TLS without certificate verification (Envoy's empty validation context, as upstream deploys it). Default false. */
  secure?: boolean;
  /** gRPC message size limit both ways; default 80 MiB. */
  maxMessageBytes?: number;
  /** Envoy's message_timeout (its default is 200 ms); default here 10 s, generous for a shared test machine. */
  messageTimeoutMs?: number;
}

export interface ResponsePhase {
  headers: HeaderList | Record<string, string>;
  /** Undefined = headers-only response. An array = these exact chunks. */
  body?: Buffer | string | Buffer[];
  chunkSize?: number;
  trailers?: HeaderList;
  metadataContext?: Record<string, Record<string, unknown>>;
}

export interface ProcessRequest {
  headers: HeaderList | Record<string, string>;
  /** Undefined = headers-only request (end_of_stream on headers). */
  body?: Buffer | string;
  /** FULL_DUPLEX_STREAMED: the size of each request_body message (default: the whole body in one). */
  chunkSize?: number;
  /** FULL_DUPLEX_STREAMED: explicit split offsets instead of chunkSize (e.g. [1] = two chunks split after byte 1). */
  splitAt?: number[];
  /** Request body mode; default FULL_DUPLEX_STREAMED. */
  mode?: ClientBodyMode;
  /** Response body mode; default = mode. */
  responseMode?: ClientBodyMode;
  /** Send protocol_config in the first message (Envoy >= 1.33 does). Default true. */
  sendProtocolConfig?: boolean;
  /** metadata_context.filter_metadata sent with every request-phase message. */
  metadataContext?: Record<string, Record<string, unknown>>;
  /** Request trailers, sent after the body (the last body chunk then has no end_of_stream, as in Envoy). */
  trailers?: HeaderList;
  /** Extra request_body messages sent after the end-of-stream one (servers must ignore them). */
  chunksAfterEndOfStream?: Buffer[];
  response?: ResponsePhase;
  messageTimeoutMs?: number;
}

export interface ImmediateResponseResult {
  status: number;
  body: Buffer;
  bodyText: string;
  headers: HeaderList;
  details: string;
}

export interface ProcessResult {
  /** continue: the request goes upstream; closed-early: the server closed cleanly mid-way (Envoy continues unmodified). */
  outcome: 'continue' | 'immediate-response' | 'grpc-error' | 'closed-early';
  immediateResponse?: ImmediateResponseResult;
  grpcStatus: { code: number; details: string };
  /** The request as it would leave Envoy (mutations applied). */
  request: { headers: HeaderList; body: Buffer; header(name: string): string | undefined };
  response?: { headers: HeaderList; body: Buffer; header(name: string): string | undefined };
  /** Merged dynamic_metadata of every reply, as plain JSON. */
  dynamicMetadata: Record<string, JsonValue>;
  clearRouteCache: boolean;
  /** Every reply in arrival order. */
  replies: ProcessingResponse__Output[];
  /** Sizes of the streamed_response chunks of the request body. */
  requestBodyChunkSizes: number[];
}

function toList(h: HeaderList | Record<string, string>): HeaderList {
  const list = Array.isArray(h) ? h : Object.entries(h);
  return list.map(([k, v]) => [k.toLowerCase(), v]);
}

function toBuffer(b: Buffer | string): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

function splitBody(body: Buffer, chunkSize?: number, splitAt?: number[]): Buffer[] {
  if (splitAt && splitAt.length > 0) {
    const out: Buffer[] = [];
    let prev = 0;
    for (const at of [...splitAt].sort((a, b) => a - b)) {
      out.push(body.subarray(prev, at));
      prev = at;
    }
    out.push(body.subarray(prev));
    return out;
  }
  if (!chunkSize || chunkSize >= body.length) return [body];
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += chunkSize) out.push(body.subarray(off, off + chunkSize));
  return out;
}

function headerMap(list: HeaderList) {
  return { headers: list.map(([key, v]) => ({ key, rawValue: Buffer.from(v, 'utf8') })) };
}

const lookup = (list: HeaderList) => (name: string) => {
  const lc = name.toLowerCase();
  let found: string | undefined;
  for (const [k, v] of list) if (k === lc) found = v;
  return found;
};

class Exchange {
  readonly replies: ProcessingResponse__Output[] = [];
  dynamicMetadata: Record<string, JsonValue> = {};
  clearRouteCache = false;
  private first = true;

  constructor(
    readonly call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>,
    readonly reader: ReplyReader,
    readonly timeoutMs: number,
    private readonly protocolConfig: ProcessingRequest['protocolConfig'] | undefined,
  ) {}

  send(m: ProcessingRequest, md?: Record<string, Record<string, unknown>>): void {
    if (this.first && this.protocolConfig) m.protocolConfig = this.protocolConfig;
    this.first = false;
    if (md) {
      const filterMetadata: Record<string, ReturnType<typeof toStruct>> = {};
      for (const [ns, v] of Object.entries(md)) filterMetadata[ns] = toStruct(v);
      m.metadataContext = { filterMetadata };
    }
    this.call.write(m);
  }

  /** Next reply, or the end of the stream. */
  async next(what: string): Promise<ProcessingResponse__Output | { code: number; details: string }> {
    const ev = await this.reader.next(this.timeoutMs, what);
    if (ev.kind === 'end') return ev.status;
    this.replies.push(ev.reply);
    if (ev.reply.dynamicMetadata) Object.assign(this.dynamicMetadata, fromStruct(ev.reply.dynamicMetadata));
    return ev.reply;
  }
}

type Step = { kind: 'reply'; reply: ProcessingResponse__Output } | { kind: 'stop' };

export class EnvoyLikeClient {
  private readonly client: ExternalProcessorClient;
  private readonly timeoutMs: number;

  constructor(readonly opts: EnvoyLikeClientOptions) {
    this.client = createExtProcClient(opts);
    this.timeoutMs = opts.messageTimeoutMs ?? 10_000;
  }

  /** A raw stream for hand-made message sequences (cancellation, protocol edge cases). */
  openStream(): {
    call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>;
    reader: ReplyReader;
  } {
    const call = this.client.Process();
    return { call, reader: new ReplyReader(call) };
  }

  async waitForReady(timeoutMs = 5_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }

  async process(req: ProcessRequest): Promise<ProcessResult> {
    const { call, reader } = this.openStream();
    try {
      return await this.exchange(req, call, reader);
    } catch (err) {
      // Like Envoy on a message timeout or a protocol error: abandon the stream.
      call.on('error', () => {});
      call.cancel();
      throw err;
    }
  }

  private async exchange(
    req: ProcessRequest,
    call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>,
    reader: ReplyReader,
  ): Promise<ProcessResult> {
    const mode = req.mode ?? 'FULL_DUPLEX_STREAMED';
    const responseMode = req.responseMode ?? mode;
    const pc =
      req.sendProtocolConfig === false
        ? undefined
        : { requestBodyMode: mode, responseBodyMode: responseMode };
    const ex = new Exchange(call, reader, req.messageTimeoutMs ?? this.timeoutMs, pc);
    const originalHeaders = toList(req.headers);
    let headers = originalHeaders;
    const originalBody = req.body === undefined ? Buffer.alloc(0) : toBuffer(req.body);
    let body = originalBody;
    const streamed: Buffer[] = [];
    const md = req.metadataContext;

    const finish = async (
      outcome: ProcessResult['outcome'],
      extra: Partial<ProcessResult> = {},
    ): Promise<ProcessResult> => {
      let status = { code: 0, details: '' };
      if (outcome === 'grpc-error' || outcome === 'closed-early') {
        status = extra.grpcStatus ?? status;
      } else {
        call.end();
        const st = await reader.status(ex.timeoutMs);
        if (st.extraReplies.length > 0) {
          throw new ProtocolViolationError(
            `unexpected replies after the exchange: ${JSON.stringify(st.extraReplies)}`,
          );
        }
        status = { code: st.code, details: st.details };
        if (status.code !== 0 && outcome === 'continue') outcome = 'grpc-error';
      }
      return {
        outcome,
        grpcStatus: status,
        request: { headers, body, header: lookup(headers) },
        dynamicMetadata: ex.dynamicMetadata,
        clearRouteCache: ex.clearRouteCache,
        replies: ex.replies,
        requestBodyChunkSizes: streamed.map((b) => b.length),
        ...extra,
      };
    };

    // Reads one reply; an immediate response or the end of the stream stops the exchange.
    let stopped: ProcessResult | undefined;
    const step = async (what: string): Promise<Step> => {
      const r = await ex.next(what);
      if (!('response' in r) && 'code' in r) {
        stopped = await finish(r.code === 0 ? 'closed-early' : 'grpc-error', { grpcStatus: r });
        return { kind: 'stop' };
      }
      const reply = r as ProcessingResponse__Output;
      if (reply.response === 'immediateResponse') {
        const ir = reply.immediateResponse!;
        const irHeaders = applyHeaderMutation([], ir.headers);
        const code = ir.status?.code;
        const statusNum = typeof code === 'number' ? code : statusCodeNumber(code);
        const b = ir.body ?? Buffer.alloc(0);
        stopped = await finish('immediate-response', {
          immediateResponse: {
            status: statusNum,
            body: b,
            bodyText: b.toString('utf8'),
            headers: irHeaders,
            details: ir.details ?? '',
          },
        });
        return { kind: 'stop' };
      }
      return { kind: 'reply', reply };
    };
    const expect = (
      reply: ProcessingResponse__Output,
      want: NonNullable<ProcessingResponse__Output['response']>,
      what: string,
    ) => {
      if (reply.response !== want) {
        call.cancel();
        throw new ProtocolViolationError(
          `expected a ${want} reply (${what}), got ${reply.response ?? 'an empty reply'}`,
        );
      }
    };
    const applyCommon = (m: HeaderMutation__Output | undefined | null, crc: boolean | undefined) => {
      headers = applyHeaderMutation(headers, m);
      if (crc) ex.clearRouteCache = true;
    };

    // ---- request phase ----
    if (req.body === undefined) {
      ex.send({ requestHeaders: { headers: headerMap(originalHeaders), endOfStream: true } }, md);
      const s = await step('the request headers reply');
      if (s.kind === 'stop') return stopped!;
      expect(s.reply, 'requestHeaders', 'headers-only request');
      applyCommon(
        s.reply.requestHeaders?.response?.headerMutation,
        s.reply.requestHeaders?.response?.clearRouteCache,
      );
    } else if (mode === 'BUFFERED') {
      ex.send({ requestHeaders: { headers: headerMap(originalHeaders), endOfStream: false } }, md);
      let s = await step('the request headers reply');
      if (s.kind === 'stop') return stopped!;
      expect(s.reply, 'requestHeaders', 'buffered request headers');
      applyCommon(
        s.reply.requestHeaders?.response?.headerMutation,
        s.reply.requestHeaders?.response?.clearRouteCache,
      );
      ex.send({ requestBody: { body: originalBody, endOfStream: req.trailers === undefined } }, md);
      if (req.trailers) ex.send({ requestTrailers: { trailers: headerMap(req.trailers) } }, md);
      s = await step('the request body reply');
      if (s.kind === 'stop') return stopped!;
      expect(s.reply, 'requestBody', 'buffered request body');
      const common = s.reply.requestBody?.response;
      applyCommon(common?.headerMutation, common?.clearRouteCache);
      const bm = common?.bodyMutation;
      if (bm?.mutation === 'body') body = bm.body ?? Buffer.alloc(0);
      else if (bm?.mutation === 'clearBody' && bm.clearBody) body = Buffer.alloc(0);
      else if (bm?.mutation === 'streamedResponse')
        throw new ProtocolViolationError('streamed_response in BUFFERED mode');
    } else {
      ex.send({ requestHeaders: { headers: headerMap(originalHeaders), endOfStream: false } }, md);
      const chunks = splitBody(originalBody, req.chunkSize, req.splitAt);
      chunks.forEach((c, i) => {
        ex.send(
          { requestBody: { body: c, endOfStream: i === chunks.length - 1 && req.trailers === undefined } },
          md,
        );
      });
      for (const c of req.chunksAfterEndOfStream ?? [])
        ex.send({ requestBody: { body: c, endOfStream: true } }, md);
      if (req.trailers) ex.send({ requestTrailers: { trailers: headerMap(req.trailers) } }, md);
      let s = await step('the request headers reply');
      if (s.kind === 'stop') return stopped!;
      expect(s.reply, 'requestHeaders', 'full-duplex request headers (sent after the body end-of-stream)');
      applyCommon(
        s.reply.requestHeaders?.response?.headerMutation,
        s.reply.requestHeaders?.response?.clearRouteCache,
      );
      for (;;) {
        s = await step('a streamed request body chunk');
        if (s.kind === 'stop') return stopped!;
        expect(s.reply, 'requestBody', 'full-duplex request body');
        const bm = s.reply.requestBody?.response?.bodyMutation;
        if (bm?.mutation !== 'streamedResponse') {
          call.cancel();
          throw new ProtocolViolationError('full-duplex body replies must carry streamed_response');
        }
        streamed.push(bm.streamedResponse?.body ?? Buffer.alloc(0));
        if (bm.streamedResponse?.endOfStream) break;
      }
      body = Buffer.concat(streamed);
    }

    // ---- response phase ----
    let response: ProcessResult['response'];
    if (req.response) {
      const rp = req.response;
      let rHeaders = toList(rp.headers);
      const rmd = rp.metadataContext ?? md;
      const hasBody = rp.body !== undefined;
      ex.send({ responseHeaders: { headers: headerMap(rHeaders), endOfStream: !hasBody } }, rmd);
      let s = await step('the response headers reply');
      if (s.kind === 'stop') return stopped!;
      expect(s.reply, 'responseHeaders', 'response headers');
      rHeaders = applyHeaderMutation(rHeaders, s.reply.responseHeaders?.response?.headerMutation);
      const out: Buffer[] = [];
      if (hasBody) {
        const b = rp.body!;
        const chunks = Array.isArray(b) ? b : splitBody(toBuffer(b), rp.chunkSize);
        if (responseMode === 'BUFFERED' && !Array.isArray(b)) chunks.splice(0, chunks.length, toBuffer(b));
        for (const [i, c] of chunks.entries()) {
          const last = i === chunks.length - 1;
          ex.send({ responseBody: { body: c, endOfStream: last && rp.trailers === undefined } }, rmd);
          s = await step('a response body reply');
          if (s.kind === 'stop') return stopped!;
          expect(s.reply, 'responseBody', 'response body');
          const bm = s.reply.responseBody?.response?.bodyMutation;
          if (responseMode === 'FULL_DUPLEX_STREAMED') {
            if (bm?.mutation !== 'streamedResponse')
              throw new ProtocolViolationError(
                'full-duplex response body replies must carry streamed_response',
              );
            out.push(bm.streamedResponse?.body ?? Buffer.alloc(0));
          } else if (bm?.mutation === 'body') out.push(bm.body ?? Buffer.alloc(0));
          else if (!(bm?.mutation === 'clearBody' && bm.clearBody)) out.push(c);
        }
        if (rp.trailers) ex.send({ responseTrailers: { trailers: headerMap(rp.trailers) } }, rmd);
      }
      const rb = Buffer.concat(out);
      response = { headers: rHeaders, body: rb, header: lookup(rHeaders) };
    }
    return finish('continue', response ? { response } : {});
  }
}

function statusCodeNumber(name: string | undefined): number {
  return name === undefined ? 0 : (httpStatusNumber(name) ?? Number.NaN);
}

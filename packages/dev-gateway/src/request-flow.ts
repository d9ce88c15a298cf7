// One downstream request through the gateway: read the body, run the ext_proc chain (BBR then EPP), choose the
// upstream (EPP destination with its fallbacks, or the gateway's own policy), proxy, run the response phase
// through the EPP when it asked for it (else stream straight through), and write one access log line.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import {
  DESTINATION_KEY,
  type FailureMode,
  type GatewayConfig,
  LB_NAMESPACE,
  SERVED_KEY,
  SUBSET_KEY,
  SUBSET_NAMESPACE,
} from './config.js';
import type { ExtProcClient } from './ext-proc-client.js';
import {
  ExtProcSession,
  type HeaderList,
  type ImmediateReply,
  ProcessorFailure,
} from './ext-proc-session.js';
import { lookup, requestHeaderList, responseHeaderList, toNodeHeaders } from './http-headers.js';
import type { EndpointPicker } from './lb-policy.js';
import { LocalReplies, type LocalReply } from './local-replies.js';
import type { PoolSource } from './pool-source.js';
import {
  parseEndpoint,
  type UpstreamClient,
  UpstreamConnectError,
  UpstreamResetError,
  type UpstreamResult,
  type UpstreamTarget,
} from './upstream.js';

export interface FlowDeps {
  config: GatewayConfig;
  logger: Logger;
  pool: PoolSource | undefined;
  epp: ExtProcClient | undefined;
  bbr: ExtProcClient | undefined;
  picker: EndpointPicker;
  upstream: UpstreamClient;
  failureMode(): FailureMode;
}

class ClientGone extends Error {}

type BodyRead = { kind: 'ok'; body: Buffer | undefined } | { kind: 'reply'; reply: LocalReply };

export class RequestFlow {
  private readonly t0 = performance.now();
  private extProcMs = 0;
  private ttfbMs: number | undefined;
  private status = 0;
  private outcome = 'ok';
  private endpoint: string | undefined;
  private failedAttempts: Array<{ address: string; error: string }> = [];
  private failedOpen: string[] = [];
  private requestId = '';
  private readonly sessions: ExtProcSession[] = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly d: FlowDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly closing: boolean,
  ) {}

  async run(): Promise<string> {
    this.res.on('close', () => {
      if (this.res.writableFinished) return;
      this.abort.abort();
      for (const s of this.sessions) s.abort();
      if (this.outcome === 'ok') this.outcome = 'client_closed';
    });
    try {
      await this.handle();
    } catch (e) {
      if (e instanceof ClientGone || this.abort.signal.aborted) {
        this.outcome = 'client_closed';
      } else {
        this.outcome = 'internal_error';
        this.d.logger.error({ err: String(e), requestId: this.requestId }, 'request failed');
        if (!this.res.headersSent) this.local({ status: 500, code: 'internal_error', body: String(e) });
        else this.res.destroy();
      }
    }
    // A stream still open here was cut short (local reply, upstream failure): cancel it, never leak it.
    for (const s of this.sessions) s.abort();
    if (this.outcome === 'ok' && this.failedOpen.length > 0) this.outcome = 'fail_open';
    this.accessLog();
    return this.outcome;
  }

  private async handle(): Promise<void> {
    const { config } = this.d;
    if (this.closing) return this.local(LocalReplies.shuttingDown());
    const read = await this.readBody(config.maxRequestBodyBytes);
    if (read.kind === 'reply') return this.local(read.reply);
    let body = read.body;
    let headers = requestHeaderList(this.req);
    // Envoy's HCM: generate x-request-id when absent, append the client to x-forwarded-for.
    this.requestId = lookup(headers, 'x-request-id') ?? randomUUID();
    if (!lookup(headers, 'x-request-id')) headers.push(['x-request-id', this.requestId]);
    const xff = lookup(headers, 'x-forwarded-for');
    const client = this.req.socket.remoteAddress ?? '';
    headers = headers.filter(([k]) => k !== 'x-forwarded-for');
    headers.push(['x-forwarded-for', xff ? `${xff}, ${client}` : client], ['x-forwarded-proto', 'http']);

    // ---- ext_proc chain: BBR, then EPP ----
    let eppSession: ExtProcSession | undefined;
    const tx = performance.now();
    for (const [name, client] of [
      ['bbr', this.d.bbr],
      ['epp', this.d.epp],
    ] as const) {
      if (!client) continue;
      const isEpp = name === 'epp';
      const session = new ExtProcSession({
        name,
        client,
        requestBodyMode: config.bodyMode,
        // Only the EPP sees the response (BBR buffers whole responses, which would hold SSE streams).
        responseHeaders: isEpp && config.responseHeaders,
        responseBodyMode: isEpp ? config.responseBodyMode : 'NONE',
        messageTimeoutMs: config.messageTimeoutMs,
        requestMetadata:
          isEpp && config.subsetHint
            ? { [SUBSET_NAMESPACE]: { [SUBSET_KEY]: config.subsetHint } }
            : undefined,
      });
      this.sessions.push(session);
      let r: Awaited<ReturnType<ExtProcSession['processRequest']>>;
      try {
        r = await session.processRequest(headers, body);
      } catch (e) {
        session.abort();
        if (!(e instanceof ProcessorFailure)) throw e;
        if (this.d.failureMode() === 'FailOpen') {
          // Envoy with failure_mode_allow: the request continues unmodified by this processor.
          this.failedOpen.push(`${name}:${e.kind}`);
          this.d.logger.warn({ requestId: this.requestId, err: e.message }, 'ext_proc failed; failing open');
          continue;
        }
        this.extProcMs = performance.now() - tx;
        return this.local(
          e.kind === 'timeout'
            ? LocalReplies.extProcTimeout(name, e.message)
            : LocalReplies.extProcError(name, e.message),
        );
      }
      if (r.kind === 'immediate') {
        session.finish();
        this.extProcMs = performance.now() - tx;
        this.outcome = `immediate_${name}`;
        return this.immediate(r);
      }
      headers = r.headers;
      body = r.body;
      // clear_route_cache: the route is re-evaluated below from the final headers and metadata, as Envoy does.
      if (isEpp) eppSession = session;
    }
    this.extProcMs = performance.now() - tx;

    // ---- route ----
    const route = this.route(eppSession, headers);
    if ('reply' in route) return this.local(route.reply);
    const method = lookup(headers, ':method') ?? 'GET';
    const path = lookup(headers, ':path') ?? '/';
    // Envoy answers `expect: 100-continue` itself and does not forward it; the body is already here.
    const out = toNodeHeaders(headers, ['content-length', 'expect']);
    out.host = lookup(headers, ':authority') ?? this.req.headers.host ?? route.targets[0]!.address;
    if (body !== undefined) out['content-length'] = String(body.length);

    let release = this.d.picker.begin(route.targets[0]!.address);
    let up: UpstreamResult;
    try {
      try {
        up = await this.d.upstream.send(route.targets, method, path, out, body, this.abort.signal);
      } catch (e) {
        eppSession?.abort();
        if (this.abort.signal.aborted) throw new ClientGone();
        if (e instanceof UpstreamConnectError) {
          this.failedAttempts = e.attempts;
          return this.local(LocalReplies.upstreamConnect(e.message));
        }
        if (e instanceof UpstreamResetError) return this.local(LocalReplies.upstreamReset(e.message));
        throw e;
      }
      this.failedAttempts = up.attempts;
      if (up.target.address !== route.targets[0]!.address) {
        release();
        release = this.d.picker.begin(up.target.address);
      }
      this.endpoint = up.target.address;
      await this.respond(up, method, eppSession);
    } finally {
      release();
    }
  }

  /** The destination list: from the EPP (metadata first, then header), or the gateway's own choice. */
  private route(
    eppSession: ExtProcSession | undefined,
    headers: HeaderList,
  ): { targets: UpstreamTarget[] } | { reply: LocalReply } {
    const { config, pool, picker } = this.d;
    if (config.lbPolicy === 'epp' && eppSession) {
      const md = eppSession.dynamicMetadata[LB_NAMESPACE]?.[DESTINATION_KEY];
      const dest = typeof md === 'string' && md !== '' ? md : lookup(headers, DESTINATION_KEY);
      if (dest === undefined || dest === '') return { reply: LocalReplies.noDestination() };
      const targets = dest.split(',').flatMap((s) => parseEndpoint(s) ?? []);
      if (targets.length === 0) return { reply: LocalReplies.badDestination(dest) };
      return { targets };
    }
    // The gateway's own choice: a non-EPP policy, or the EPP failed open (or is not configured).
    if (config.lbPolicy === 'epp' && this.failedOpen.length === 0 && this.d.epp)
      return { reply: LocalReplies.noDestination() };
    let candidates = pool?.addresses() ?? [];
    if (config.subsetHint) {
      const ips = new Set(config.subsetHint.map((a) => a.slice(0, a.lastIndexOf(':'))));
      candidates = candidates.filter((a) => ips.has(a.slice(0, a.lastIndexOf(':'))));
    }
    const first = picker.pick(candidates);
    if (first === undefined) return { reply: LocalReplies.noEndpoints() };
    const order = [first];
    // Failing open, try the rest of the pool on connect failures too: a dead pod should not fail the request.
    if (this.failedOpen.length > 0) for (const a of candidates) if (a !== first) order.push(a);
    return { targets: order.flatMap((a) => parseEndpoint(a) ?? []) };
  }

  private async respond(
    up: UpstreamResult,
    method: string,
    eppSession: ExtProcSession | undefined,
  ): Promise<void> {
    const upRes = up.res;
    let headers = responseHeaderList(upRes);
    const code = upRes.statusCode ?? 502;
    const eos =
      method === 'HEAD' || code === 204 || code === 304 || lookup(headers, 'content-length') === '0';
    const served = { [LB_NAMESPACE]: { [SERVED_KEY]: up.target.address } };
    let processed = eppSession?.wantsResponseHeaders === true && this.failedOpen.length === 0;
    if (processed && eppSession) {
      try {
        const r = await eppSession.processResponseHeaders(headers, eos, served);
        if (r.kind === 'immediate') {
          upRes.destroy();
          this.outcome = 'immediate_epp_response';
          return this.immediate(r);
        }
        headers = r.headers;
      } catch (e) {
        eppSession.abort();
        if (!(e instanceof ProcessorFailure)) throw e;
        if (this.d.failureMode() !== 'FailOpen') {
          upRes.destroy();
          return this.local(
            e.kind === 'timeout'
              ? LocalReplies.extProcTimeout('epp', e.message)
              : LocalReplies.extProcError('epp', e.message),
          );
        }
        this.failedOpen.push(`epp-response:${e.kind}`);
        processed = false;
      }
    } else eppSession?.finish();
    const through = processed && !eos && eppSession!.responseMode !== 'NONE';
    const statusText = lookup(headers, ':status');
    const status = statusText && /^[1-5]\d\d$/.test(statusText) ? Number(statusText) : code;
    const nodeHeaders = toNodeHeaders(headers, through ? ['content-length'] : []);
    if (this.closing) nodeHeaders.connection = 'close';
    this.status = status;
    this.res.writeHead(status, nodeHeaders);
    this.res.flushHeaders();
    this.ttfbMs = performance.now() - this.t0;
    if (eos) {
      upRes.resume();
      this.res.end();
      return;
    }
    const write = (b: Buffer) => this.write(b);
    // One iterator over the upstream body, without `return`: leaving a for-await early (ext_proc failure) must not
    // destroy the upstream response, FailOpen goes on reading it.
    const it = (upRes as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const body: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => it.next() }) };
    if (through && eppSession) {
      try {
        await eppSession.processResponseBody(body, write, served);
      } catch (e) {
        if (!(e instanceof ProcessorFailure)) {
          upRes.destroy();
          return this.midBodyFailure(e);
        }
        eppSession.abort();
        if (this.d.failureMode() !== 'FailOpen') {
          this.outcome = `ext_proc_${e.kind}_mid_response`;
          upRes.destroy();
          this.res.destroy();
          return;
        }
        this.failedOpen.push(`epp-response-body:${e.kind}`);
        try {
          await write(eppSession.unforwarded());
          for await (const c of body) await write(c);
        } catch (e2) {
          upRes.destroy();
          return this.midBodyFailure(e2);
        }
      }
    } else {
      try {
        for await (const c of body) await write(c);
      } catch (e) {
        upRes.destroy();
        return this.midBodyFailure(e);
      }
    }
    this.res.end();
  }

  private midBodyFailure(e: unknown): void {
    if (e instanceof ClientGone || this.abort.signal.aborted) throw new ClientGone();
    // Headers are out: like Envoy, reset the downstream stream.
    this.outcome = 'upstream_reset_mid_body';
    this.d.logger.warn({ requestId: this.requestId, err: String(e) }, 'response failed mid-body');
    this.res.destroy();
  }

  private write(b: Buffer): Promise<void> {
    const res = this.res;
    if (res.destroyed) return Promise.reject(new ClientGone());
    if (b.length === 0 || res.write(b)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        res.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        res.off('drain', onDrain);
        reject(new ClientGone());
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
  }

  private readBody(limit: number): Promise<BodyRead> {
    const req = this.req;
    const cl = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (cl !== undefined && Number(cl) > limit) {
      req.resume();
      return Promise.resolve({ kind: 'reply', reply: LocalReplies.payloadTooLarge(limit) });
    }
    if (!chunked && (cl === undefined || Number(cl) === 0)) {
      req.resume();
      return Promise.resolve({ kind: 'ok', body: undefined });
    }
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (r: BodyRead) => {
        if (done) return;
        done = true;
        resolve(r);
      };
      req.on('data', (c: Buffer) => {
        if (done) return;
        size += c.length;
        if (size > limit) {
          finish({ kind: 'reply', reply: LocalReplies.payloadTooLarge(limit) });
          return;
        }
        parts.push(c);
      });
      req.on('end', () => finish({ kind: 'ok', body: Buffer.concat(parts, size) }));
      req.on('error', (e) => finish({ kind: 'reply', reply: LocalReplies.badRequestBody(e.message) }));
      req.on('aborted', () =>
        finish({ kind: 'reply', reply: LocalReplies.badRequestBody('client aborted') }),
      );
    });
  }

  private local(r: LocalReply): void {
    if (this.outcome === 'ok') this.outcome = r.code;
    this.status = r.status;
    if (this.res.headersSent || this.res.destroyed) {
      this.res.destroy();
      return;
    }
    const body = Buffer.from(r.body, 'utf8');
    const headers: Record<string, string | number> = {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': body.length,
      'x-igw-gateway-error': r.code,
    };
    if (this.closing || r.status === 413 || r.code === 'downstream_body_error') headers.connection = 'close';
    this.res.writeHead(r.status, headers);
    this.res.end(body);
  }

  private immediate(r: ImmediateReply): void {
    this.status = r.status;
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    const h = toNodeHeaders(r.headers, ['content-length']);
    h['content-length'] = String(r.body.length);
    if (h['content-type'] === undefined) h['content-type'] = 'text/plain; charset=utf-8';
    this.res.writeHead(r.status, h);
    this.res.end(r.body);
  }

  private accessLog(): void {
    const round = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 100) / 100);
    this.d.logger.info(
      {
        access: true,
        requestId: this.requestId,
        method: this.req.method,
        path: this.req.url,
        status: this.status,
        outcome: this.outcome,
        endpoint: this.endpoint,
        failedAttempts: this.failedAttempts.length > 0 ? this.failedAttempts : undefined,
        failedOpen: this.failedOpen.length > 0 ? this.failedOpen : undefined,
        extProcMs: round(this.extProcMs),
        ttfbMs: round(this.ttfbMs),
        totalMs: round(performance.now() - this.t0),
      },
      'access',
    );
  }
}

// The EPP's ext_proc StreamProcessor: the stream driver (@igw/ext-proc) owns the protocol (modes, ordering,
// chunking, Content-Length, 413, immediate responses); this turns each request into a routing decision through
// the director, and runs the response phase (pass-through, usage, model name mapped back).
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  GatewayError,
  GrpcStatusError,
  HTTP_STATUS_OF,
  type RequestDecision,
  type RequestHeadersView,
  type ResponseHeadersDecision,
  type StreamContext,
  type StreamOutcome,
  type StreamProcessor,
} from '@igw/ext-proc';
import type { Logger } from 'pino';
import type { Datastore } from '../datastore/types.js';
import type { EppMetrics, ModelRecorder } from '../observability/metrics.js';
import { ResponseTracker } from '../response/tracker.js';
import { type ControlHeaders, REQUEST_ID_HEADER, readControlHeaders } from './control-headers.js';
import { type DirectorDecision, direct, type EndpointScores } from './director.js';
import {
  type EppRequestOptions,
  type ResolvedRequestOptions,
  resolveRequestOptions,
  SCORES_HEADER,
  SERVED_KEY,
} from './options.js';
import { DROPPED_REASON_HEADER, droppedReasonHeaders, MSG, type Rejection, reject } from './rejection.js';
import { createRng, type Rng } from './rng.js';

export interface EppProcessorDeps {
  datastore: Datastore;
  metrics: EppMetrics;
  logger: Logger;
  options?: EppRequestOptions;
}

/** What one stream remembers between its request and response phases (kept in ctx.state.epp). */
interface StreamState {
  requestId: string;
  startMs: number;
  incoming: string;
  target: string;
  recorder?: ModelRecorder;
  running: boolean;
  endpoints?: string[];
  tracker?: ResponseTracker;
}

export const POOL_NOT_SYNCED = 'InferencePool is not initialized in data store';

/** Headers the EPP owns on the forwarded request: a client must not be able to inject them. */
function ownedHeaders(o: ResolvedRequestOptions): string[] {
  return [o.destinationKey, SCORES_HEADER, DROPPED_REASON_HEADER, `${o.destinationKey}-served`];
}

export function createEppProcessor(deps: EppProcessorDeps): StreamProcessor {
  return new EppProcessor(deps);
}

class EppProcessor implements StreamProcessor {
  private readonly ds: Datastore;
  private readonly metrics: EppMetrics;
  private readonly log: Logger;
  private readonly opts: ResolvedRequestOptions;
  private readonly rng: Rng;
  private readonly owned: string[];

  constructor(deps: EppProcessorDeps) {
    this.ds = deps.datastore;
    this.metrics = deps.metrics;
    this.log = deps.logger;
    this.opts = resolveRequestOptions(deps.options);
    this.rng = createRng(this.opts.seed);
    this.owned = ownedHeaders(this.opts);
  }

  onHeadersOnly(ctx: StreamContext): RequestDecision | GatewayError {
    this.requireSynced();
    const control = readControlHeaders(ctx.requestHeaders);
    this.remember(ctx, {
      requestId: control.requestId,
      startMs: Date.now(),
      incoming: '',
      target: '',
      running: false,
    });
    const ep = this.ds.randomEndpoint();
    if (ep === undefined)
      return this.rejectWith(control.requestId, reject('Internal', MSG.noPodsHeadersOnly));
    const decision = this.routeTo(ctx.requestHeaders, control, ep.address, undefined);
    this.log.debug(
      { requestId: control.requestId, endpoint: ep.address },
      'headers-only request: random endpoint',
    );
    return decision;
  }

  onRequest(ctx: StreamContext, body: Buffer): RequestDecision | GatewayError {
    this.requireSynced();
    const control = readControlHeaders(ctx.requestHeaders);
    const st: StreamState = {
      requestId: control.requestId,
      startMs: Date.now(),
      incoming: '',
      target: '',
      running: false,
    };
    this.remember(ctx, st);
    const debug = this.log.isLevelEnabled('debug');
    const d = direct({ body, control, metadata: ctx.metadata, nowMs: st.startMs }, this.ds, this.rng, {
      disableSubsetFilter: this.opts.disableSubsetFilter,
      wantScores: this.opts.emitEndpointScores || debug,
    });
    if ('rejected' in d) {
      if (d.resolution) {
        st.incoming = d.resolution.incoming;
        st.target = d.resolution.target;
      }
      return this.rejectWith(control.requestId, d, st.incoming, st.target);
    }
    const { resolution } = d;
    st.incoming = resolution.incoming;
    st.target = resolution.target;
    st.endpoints = d.endpoints;
    st.recorder = this.metrics.forModel(resolution.incoming, resolution.target);
    st.recorder.request(body.length);
    this.metrics.recordSchedulerLatency(d.schedulerSeconds);
    if (d.prefix) {
      const { matchedBlocks, totalBlocks, blockSizeBytes } = d.prefix;
      this.metrics.recordPrefixMatch(matchedBlocks * blockSizeBytes, totalBlocks * blockSizeBytes);
    }
    if (resolution.rewriteName !== undefined) {
      this.metrics.recordModelRewrite(resolution.rewriteName, resolution.incoming, resolution.target);
    }
    // Running from here: the driver forwards the body right after this returns.
    this.metrics.incRunning(resolution.incoming);
    st.running = true;
    st.tracker = new ResponseTracker({
      maxCopyBytes: this.opts.maxResponseCopyBytes,
      ...(resolution.target !== resolution.incoming
        ? { mapping: { from: resolution.target, to: resolution.incoming } }
        : {}),
    });
    if (debug) this.logDecision(st.requestId, control.fairnessId, d);
    return this.routeTo(ctx.requestHeaders, control, d.destination, d.body, d.scores);
  }

  onResponseHeaders(ctx: StreamContext, headers: RequestHeadersView): ResponseHeadersDecision {
    const st = ctx.state.epp as StreamState | undefined;
    const tracker = st?.tracker;
    tracker?.onHeaders(headers.get('content-type'));
    const served = this.servedEndpoint(ctx);
    if (st && served !== undefined) {
      const primary = st.endpoints?.[0];
      this.log.debug(
        {
          requestId: st.requestId,
          served,
          primary,
          fallbackUsed: primary !== undefined && served !== primary,
        },
        'served endpoint reported by the proxy',
      );
    }
    // Upstream marks every response it saw; the model-name mapping may change the body length.
    const out: ResponseHeadersDecision = { setHeaders: [['x-went-into-resp-headers', 'true']] };
    if (tracker?.mayChangeLength && headers.has('content-length')) out.removeHeaders = ['content-length'];
    return out;
  }

  onResponseBodyChunk(ctx: StreamContext, chunk: Buffer, endOfStream: boolean): Buffer | undefined {
    const st = ctx.state.epp as StreamState | undefined;
    const tracker = st?.tracker;
    if (!st || !tracker) return undefined;
    const out = tracker.onChunk(chunk, endOfStream);
    if (endOfStream) {
      const usage = tracker.usage;
      st.recorder?.completed({
        durationSeconds: (Date.now() - st.startMs) / 1000,
        responseBytes: tracker.responseBytes,
        inputTokens: usage?.promptTokens ?? 0,
        outputTokens: usage?.completionTokens ?? 0,
      });
      this.log.debug(
        { requestId: st.requestId, responseBytes: tracker.responseBytes, sse: tracker.isSse, usage },
        'response complete',
      );
    }
    return out;
  }

  onStreamEnd(ctx: StreamContext, outcome: StreamOutcome): void {
    const st = ctx.state.epp as StreamState | undefined;
    if (st?.running) this.metrics.decRunning(st.incoming);
    if (outcome.kind === 'immediate-response') {
      // Once per stream, labelled with whatever the director had resolved (empty names before the body parsed).
      this.metrics.forModel(st?.incoming ?? '', st?.target ?? '').error(outcome.error.code);
      if (outcome.error.code === 'PayloadTooLarge') {
        this.log.info(
          { requestId: st?.requestId, status: 413, message: outcome.error.message },
          'request rejected',
        );
      }
    } else if (outcome.kind === 'grpc-error') {
      this.log.warn(
        { requestId: st?.requestId, grpcCode: outcome.code, details: outcome.details },
        'ext_proc stream failed',
      );
    }
  }

  private requireSynced(): void {
    // Upstream answers with a stream error (Envoy's failure mode applies), not an HTTP reply.
    if (!this.ds.poolSynced()) throw new GrpcStatusError(GrpcStatus.UNAVAILABLE, POOL_NOT_SYNCED);
  }

  private remember(ctx: StreamContext, st: StreamState): void {
    ctx.state.epp = st;
  }

  private routeTo(
    headers: RequestHeadersView,
    control: ControlHeaders,
    destination: string,
    body: Buffer | undefined,
    scores?: EndpointScores,
  ): RequestDecision {
    const setHeaders: Array<[string, string]> = [[this.opts.destinationKey, destination]];
    if (control.requestIdGenerated) setHeaders.push([REQUEST_ID_HEADER, control.requestId]);
    const lb: Record<string, unknown> = { [this.opts.destinationKey]: destination };
    if (this.opts.emitEndpointScores && scores !== undefined) {
      const byAddress: Record<string, number> = {};
      for (const s of scores) byAddress[s.address] = s.score;
      setHeaders.push([SCORES_HEADER, JSON.stringify(byAddress)]);
      lb[SCORES_HEADER] = byAddress;
    }
    const removeHeaders = control.present.slice();
    for (const h of this.owned)
      if (headers.has(h) && !setHeaders.some(([k]) => k === h)) removeHeaders.push(h);
    const d: RequestDecision = {
      setHeaders,
      dynamicMetadata: { [this.opts.destinationMetadataNamespace]: lb },
      clearRouteCache: true,
    };
    if (removeHeaders.length > 0) d.removeHeaders = removeHeaders;
    if (body !== undefined) d.body = body;
    return d;
  }

  private rejectWith(requestId: string, r: Rejection, model = '', target = ''): GatewayError {
    this.log.info(
      {
        requestId,
        status: HTTP_STATUS_OF[r.code],
        code: r.code,
        reason: r.reason,
        message: r.message,
        model,
        targetModel: target,
      },
      'request rejected',
    );
    return new GatewayError(r.code, r.message, { headers: droppedReasonHeaders(r) });
  }

  private servedEndpoint(ctx: StreamContext): string | undefined {
    const ns = ctx.metadata[this.opts.destinationMetadataNamespace];
    if (typeof ns !== 'object' || ns === null || Array.isArray(ns)) return undefined;
    const v = (ns as Record<string, unknown>)[SERVED_KEY];
    return typeof v === 'string' ? v : undefined;
  }

  private logDecision(requestId: string, fairnessId: string, d: DirectorDecision): void {
    this.log.debug(
      {
        requestId,
        fairnessId,
        model: d.resolution.incoming,
        targetModel: d.resolution.target,
        modelSource: d.resolution.source,
        priority: d.resolution.priority,
        endpoints: d.endpoints,
        subset: d.subset,
        scores: d.scores,
        schedulerSeconds: d.schedulerSeconds,
      },
      'scheduling decision',
    );
  }
}

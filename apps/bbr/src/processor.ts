// The BBR's ext_proc processor: scan the buffered body (one WASM pass, no JSON.parse), run the request plugins in
// flag order, answer with their header mutations. The stream driver of @igw/ext-proc owns the protocol (modes,
// Content-Length, 62,000-byte chunks, 413, trailers, cancellation); response events pass through unchanged.
import {
  ErrorCode,
  GatewayError,
  PAYLOAD_PROCESSOR_PREFIX,
  type RequestDecision,
  type StreamContext,
  type StreamProcessor,
} from '@igw/ext-proc';
import type { Logger } from 'pino';
import { RequestMessage } from './message.js';
import type { BbrMetrics } from './metrics.js';
import type { RequestPlugin } from './plugins/types.js';
import { JsonScanner } from './scan/json-scanner.js';

const EXTENSION_POINT = 'ProcessRequest';

export interface BbrProcessorDeps {
  plugins: readonly RequestPlugin[];
  metrics: BbrMetrics;
  logger: Logger;
  /** Verbose per-request logging (-v >= 4). */
  debug?: boolean;
}

export function badRequest(message: string): GatewayError {
  return new GatewayError(ErrorCode.BadRequest, message, { prefix: PAYLOAD_PROCESSOR_PREFIX });
}

export class BbrProcessor implements StreamProcessor {
  private readonly scanner = new JsonScanner();
  private readonly timers: Array<{ observe(v: number): void }>;

  constructor(private readonly deps: BbrProcessorDeps) {
    this.timers = deps.plugins.map((p) =>
      deps.metrics.pluginDuration.labels({
        extension_point: EXTENSION_POINT,
        plugin_type: p.type,
        plugin_name: p.name,
      }),
    );
  }

  /** No body: nothing to read; the empty headers reply of upstream. */
  onHeadersOnly(): RequestDecision {
    return { clearRouteCache: false };
  }

  onRequest(ctx: StreamContext, body: Buffer): RequestDecision | GatewayError {
    const scanned = this.scanner.scan(body);
    if (scanned.kind === 'invalid') {
      this.log(ctx, 'request body is not valid JSON', { error: scanned.message, offset: scanned.offset });
      return badRequest(`failed to parse request body: ${scanned.message}`);
    }
    if (scanned.kind === 'not-object') {
      return badRequest(
        `failed to parse request body: json: cannot unmarshal ${scanned.jsonType} into Go value of type map[string]interface {}`,
      );
    }
    const msg = new RequestMessage(ctx.requestHeaders, scanned.fields);
    const { plugins } = this.deps;
    for (let i = 0; i < plugins.length; i++) {
      const t0 = performance.now();
      plugins[i]!.processRequest(msg);
      this.timers[i]!.observe((performance.now() - t0) / 1000);
    }
    this.deps.metrics.success.inc();
    const setHeaders = msg.setHeaders();
    const removeHeaders = msg.removeHeaders();
    this.log(ctx, 'request headers mutated', {
      set: setHeaders,
      remove: removeHeaders,
      bodyBytes: body.length,
    });
    return { setHeaders, removeHeaders, clearRouteCache: true };
  }

  private log(ctx: StreamContext, msg: string, extra: Record<string, unknown>): void {
    if (!this.deps.debug) return;
    this.deps.logger.debug({ requestId: ctx.requestHeaders.get('x-request-id'), ...extra }, msg);
  }
}

// Shared setup of the gateway tests: loopback upstreams (two echo servers on 127.0.0.2-3 sharing a port, one SSE
// server on 127.0.0.4), a pool file naming the echo servers, and helpers that start gateways and fake ext_proc
// servers and close them all afterwards.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestDecision, StreamProcessor } from '@igw/ext-proc';
import pino, { type Logger } from 'pino';
import { defaultConfig, type GatewayConfig } from '../config.js';
import { type Gateway, startGateway } from '../gateway.js';
import { fakeExtProc, startUpstreams, tempDir, type Upstream, writePool } from './fixtures.js';

export const silent = pino({ level: 'silent' });

/** An EPP-style decision: destination in envoy.lb metadata and in the header. */
export const route = (dest: string, extra: RequestDecision = {}): RequestDecision => ({
  dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': dest } },
  setHeaders: [['x-gateway-destination-endpoint', dest]],
  ...extra,
});

export class GatewayHarness {
  ups: Upstream[] = [];
  sse: Upstream[] = [];
  /** When the SSE upstream last finished a response (Date.now()). */
  sseEndedAt = 0;
  dir = '';
  poolFile = '';
  readonly gateways: Gateway[] = [];
  readonly servers: Array<{ stop(ms?: number): Promise<void> }> = [];

  async start(): Promise<void> {
    this.ups = await startUpstreams(['127.0.0.2', '127.0.0.3']);
    // SSE upstream: three events 150 ms apart, then [DONE].
    this.sse = await startUpstreams(['127.0.0.4'], (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const tick = () => {
        if (i === 3) {
          this.sseEndedAt = Date.now();
          res.end('data: [DONE]\n\n');
          return;
        }
        res.write(`data: {"n":${i++}}\n\n`);
        setTimeout(tick, 150);
      };
      tick();
    });
    this.dir = tempDir();
    this.poolFile = join(this.dir, 'pool.yaml');
    writePool(
      this.poolFile,
      this.ups[0]!.port,
      this.ups.map((u) => u.ip),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.close(100)));
    await Promise.all(this.servers.map((s) => s.stop(100)));
    await Promise.all([...this.ups, ...this.sse].map((u) => u.close()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  async gw(over: Partial<GatewayConfig>, logger: Logger = silent): Promise<Gateway> {
    // 5 s unless a test sets it: Envoy's 200 ms is too tight for a first gRPC connection on a loaded machine.
    const g = await startGateway(
      defaultConfig({ eppSecure: false, bbrSecure: false, messageTimeoutMs: 5_000, ...over }),
      { logger },
    );
    this.gateways.push(g);
    return g;
  }

  async extProc(p: StreamProcessor, secure = false) {
    const s = await fakeExtProc(p, secure);
    this.servers.push(s);
    return s;
  }
}

// One simulated model-server pod: an engine plus an HTTP server on its own loopback address.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BatchModel } from './batch-model.js';
import type { SimClock } from './clock.js';
import { type CompletionContext, handleCompletion, type OutputMode } from './completion-handler.js';
import { Engine, type EngineStats } from './engine.js';
import { SimError } from './errors.js';
import { type FailureInjection, type FailureType, validateFailureInjection } from './failures.js';
import { readBody, sendError, sendJson } from './http-util.js';
import { PerTokenModel } from './per-token-model.js';
import type { EngineParams } from './profiles.js';
import { Rng } from './random.js';

export interface PodConfig {
  name: string;
  namespace: string;
  host: string;
  /** 0 = any free port. */
  port: number;
  model: string;
  loras: string[];
  params: EngineParams;
  seed: number;
  mode: OutputMode;
  failure: FailureInjection;
  maxRequestBodyBytes: number;
  clock: SimClock;
  logger: Logger;
}

export interface PodStats extends EngineStats {
  name: string;
  address: string;
  /** Requests answered, by HTTP status. */
  responses: Record<string, number>;
}

export class SimPod {
  readonly name: string;
  readonly model: string;
  readonly loras: readonly string[];
  readonly engine: Engine;
  private readonly config: PodConfig;
  private readonly server: Server;
  private readonly ctx: CompletionContext;
  private readonly responses: Record<string, number> = {};
  private boundPort = 0;
  private requestCounter = 0;

  private constructor(config: PodConfig) {
    // With adapters but no slot, every adapter request would wait in the queue forever.
    if (config.loras.length > 0 && config.params.maxLoras < 1)
      throw new RangeError(`maxLoras must be >= 1 when LoRA adapters are served (pod ${config.name})`);
    this.config = config;
    this.name = config.name;
    this.model = config.model;
    this.loras = [...config.loras];
    const rng = new Rng(config.seed);
    this.engine = new Engine(config.params, config.model, rng, config.clock);
    this.engine.model =
      config.params.latencyModel === 'batch' ? new BatchModel(this.engine) : new PerTokenModel(this.engine);
    this.ctx = {
      engine: this.engine,
      podName: config.name,
      modelName: config.model,
      loras: new Set(config.loras),
      rng,
      failure: validateFailureInjection(config.failure),
      mode: config.mode,
      nextRequestId: () => ++this.requestCounter,
    };
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.route(req, res));
  }

  static async start(config: PodConfig): Promise<SimPod> {
    const pod = new SimPod(config);
    await new Promise<void>((resolve, reject) => {
      pod.server.once('error', reject);
      pod.server.listen(config.port, config.host, () => {
        pod.server.off('error', reject);
        resolve();
      });
    });
    pod.boundPort = (pod.server.address() as AddressInfo).port;
    return pod;
  }

  get host(): string {
    return this.config.host;
  }

  get port(): number {
    return this.boundPort;
  }

  /** 'ip:port', the form the EPP routes to. */
  get address(): string {
    return `${this.config.host}:${this.boundPort}`;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** Changes failure injection at run time (rate in percent; no types = all types). */
  setFailureInjection(rate: number, types: FailureType[] = []): void {
    this.ctx.failure = validateFailureInjection({ rate, types });
  }

  metricsText(): string {
    return this.engine.metrics.render(this.engine.gauges());
  }

  stats(): PodStats {
    return {
      name: this.name,
      address: this.address,
      responses: { ...this.responses },
      ...this.engine.stats(),
    };
  }

  /** Aborts in-flight requests (their connections are reset, like a pod going away) and stops listening. */
  async close(): Promise<void> {
    this.engine.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('x-inference-pod', this.name);
    res.setHeader('x-inference-namespace', this.config.namespace);
    res.setHeader('x-inference-port', String(this.boundPort));
    res.on('finish', () => {
      const k = String(res.statusCode);
      this.responses[k] = (this.responses[k] ?? 0) + 1;
    });
    const q = req.url?.indexOf('?') ?? -1;
    const path = q >= 0 ? req.url!.slice(0, q) : (req.url ?? '/');
    const method = req.method ?? 'GET';
    switch (path) {
      case '/health':
        this.only(req, 'GET', res, () => {
          res.writeHead(200, { 'content-length': 0 });
          res.end();
        });
        return;
      case '/metrics':
        this.only(req, 'GET', res, () => {
          const body = this.metricsText();
          res.writeHead(200, {
            'content-type': 'text/plain; version=0.0.4; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        });
        return;
      case '/v1/models':
        this.only(req, 'GET', res, () => sendJson(res, 200, this.modelsBody()));
        return;
      case '/v1/completions':
      case '/v1/chat/completions': {
        const endpoint = path === '/v1/completions' ? 'completions' : 'chat';
        this.only(req, 'POST', res, () => {
          readBody(req, this.config.maxRequestBodyBytes).then(
            (raw) => handleCompletion(this.ctx, endpoint, res, raw),
            (e: unknown) =>
              sendError(
                res,
                e instanceof SimError ? e : new SimError('bad_request', `could not read body: ${String(e)}`),
              ),
          );
        });
        return;
      }
      default:
        req.resume();
        sendError(res, new SimError('not_found', `No route for ${method} ${path}.`));
    }
  }

  private only(req: IncomingMessage, want: string, res: ServerResponse, run: () => void): void {
    const method = req.method ?? 'GET';
    if (method === want) {
      run();
      return;
    }
    req.resume();
    res.setHeader('allow', want);
    sendError(res, new SimError('method_not_allowed', `Method ${method} not allowed; use ${want}.`));
  }

  private modelsBody(): string {
    const created = Math.floor(Date.now() / 1000);
    const entry = (id: string, parent: string | null) => ({
      id,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: id,
      parent,
      max_model_len: this.config.params.maxModelLen,
      permission: [],
    });
    const data = [entry(this.model, null), ...this.loras.map((l) => entry(l, this.model))];
    return JSON.stringify({ object: 'list', data });
  }
}

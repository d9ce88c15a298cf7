// grpc.health.v1 with statuses computed per call (as the Go EPP/BBR health servers do), using the service
// definition shipped by grpc-health-check. Its HealthImplementation holds a static map that would have to be
// re-set on every readiness transition, so Check/Watch/List are implemented here over a `statusOf` callback.
import type * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { type BindOptions, bindServer, createGrpcServer, shutdownServer } from './grpc-server.js';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
export type StatusOf = (service: string) => HealthStatus;

export interface HealthServiceHandle {
  /** Re-evaluate statusOf for every Watch stream now (call on readiness transitions). */
  notify(): void;
  /** End every Watch stream and stop the poll timer. */
  close(): void;
}

export interface HealthServiceOptions {
  /** Watch streams also re-check on this period, so transitions nobody notify()'d are seen. Default 1000 ms. */
  watchPollMs?: number;
  /** Services listed by `List`. Default: none besides "". */
  knownServices?: string[];
}

interface Watcher {
  service: string;
  last: HealthStatus | undefined;
  call: grpc.ServerWritableStream<{ service?: string }, { status: HealthStatus }>;
}

/** Add grpc.health.v1.Health to an existing server (e.g. the ext_proc port with --health-checking). */
export function addHealthService(
  server: grpc.Server,
  statusOf: StatusOf,
  opts: HealthServiceOptions = {},
): HealthServiceHandle {
  const watchers = new Set<Watcher>();
  const safeStatus = (service: string): HealthStatus => {
    try {
      return statusOf(service);
    } catch {
      return 'NOT_SERVING';
    }
  };
  const push = (w: Watcher) => {
    const now = safeStatus(w.service);
    if (now !== w.last && !w.call.cancelled) {
      w.last = now;
      w.call.write({ status: now });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const ensureTimer = () => {
    if (timer || watchers.size === 0) return;
    timer = setInterval(() => {
      for (const w of watchers) push(w);
    }, opts.watchPollMs ?? 1000);
    timer.unref();
  };
  server.addService(healthService, {
    check: (
      call: grpc.ServerUnaryCall<{ service?: string }, unknown>,
      callback: grpc.sendUnaryData<{ status: HealthStatus }>,
    ) => {
      callback(null, { status: safeStatus(call.request.service ?? '') });
    },
    watch: (call: Watcher['call']) => {
      const w: Watcher = { service: call.request.service ?? '', last: undefined, call };
      watchers.add(w);
      const drop = () => {
        watchers.delete(w);
        if (watchers.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
      call.on('cancelled', drop);
      call.on('error', drop);
      push(w);
      ensureTimer();
    },
    list: (
      _call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<{ statuses: Record<string, { status: HealthStatus }> }>,
    ) => {
      const statuses: Record<string, { status: HealthStatus }> = {};
      for (const s of ['', ...(opts.knownServices ?? [])]) statuses[s] = { status: safeStatus(s) };
      callback(null, { statuses });
    },
  });
  return {
    notify() {
      for (const w of watchers) push(w);
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const w of watchers) w.call.end();
      watchers.clear();
    },
  };
}

export interface HealthServerOptions extends HealthServiceOptions {
  port: number;
  statusOf: StatusOf;
  /** Upstream health servers are plaintext; default not secure. */
  bind?: Partial<BindOptions>;
}

export interface HealthServer extends HealthServiceHandle {
  port: number;
  server: grpc.Server;
  /** notify + close + graceful server shutdown. */
  stop(graceMs?: number): Promise<void>;
}

/** A separate gRPC server carrying only grpc.health.v1.Health (upstream --grpc-health-port). */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = createGrpcServer({ maxBodyBytes: 64 * 1024 });
  const handle = addHealthService(server, opts.statusOf, opts);
  const bound = await bindServer(server, opts.port, { secure: false, ...opts.bind });
  return {
    ...handle,
    port: bound.port,
    server,
    async stop(graceMs = 2_000) {
      handle.close();
      await shutdownServer(server, graceMs);
    },
  };
}

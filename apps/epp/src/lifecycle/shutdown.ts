// Graceful stop, in upstream order: readiness goes NOT_SERVING (liveness stays SERVING), the ext_proc server stops
// taking new streams and lets in-flight ones finish, bounded by --drain-timeout, then the background work and the
// remaining listeners stop.
import type { ExtProcServer } from '@igw/ext-proc';
import type { Logger } from 'pino';

export interface ShutdownOptions {
  /** Upper bound for in-flight streams to finish; then they are cancelled. */
  drainTimeoutMs: number;
  /** Time between NOT_SERVING and closing the ext_proc listener, so probes and proxies notice first. */
  readinessGraceMs: number;
}

export interface ShutdownParts {
  setDraining(): void;
  extProc: Pick<ExtProcServer, 'stop' | 'inFlight'>;
  stopBackground(): void | Promise<void>;
  closeListeners(): Promise<void>;
  logger: Logger;
}

export async function shutdownEpp(p: ShutdownParts, opts: Partial<ShutdownOptions> = {}): Promise<void> {
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  const started = Date.now();
  p.setDraining();
  p.logger.info({ inFlight: p.extProc.inFlight(), drainTimeoutMs }, 'shutting down: readiness NOT_SERVING');
  if (opts.readinessGraceMs) await new Promise((r) => setTimeout(r, opts.readinessGraceMs));
  await p.extProc.stop(Math.max(0, drainTimeoutMs - (Date.now() - started)));
  await p.stopBackground();
  await p.closeListeners();
  p.logger.info({ ms: Date.now() - started, cancelled: p.extProc.inFlight() }, 'shutdown complete');
}

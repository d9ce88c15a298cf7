// One supervised informer: client-node's ListWatch (list, then watch from the list's resourceVersion; a 410 re-lists
// inside ListWatch) plus what 1.4.0 leaves to the caller: any other error stops a ListWatch for good, so we retire
// it and start a fresh one (which lists again, as client-go's reflector does) after a capped, jittered backoff; and a
// staleness watchdog, because a half-open watch connection is silent forever (1.4.0 has no watch timeout).
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { ListWatch, Watch } from '@kubernetes/client-node';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { classifyError, type ResourceDescription, resourceName, type SourceError } from './errors.js';
import type { SourceLogger } from './logger.js';

/** A wire-shaped object with kind and apiVersion set (list items come without them). */
export type WireObject = KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string } };

export interface ResourceHandlers {
  /** A full list (first sync and every re-list): the authoritative set of objects for this informer. */
  onList(items: WireObject[]): void;
  onUpsert(obj: WireObject): void;
  onRemove(obj: WireObject): void;
}

export interface WatchedResourceOptions {
  kubeConfig: KubeConfig;
  resource: ResourceDescription & { kind: string };
  /** Watch path, e.g. /api/v1/namespaces/ns/pods. */
  path: string;
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
  fieldSelector?: string;
  handlers: ResourceHandlers;
  logger: SourceLogger;
  backoff?: BackoffOptions;
  /** Restart when nothing (event or reconnect) arrived for this long. */
  staleAfterMs?: number;
  /** A run that stayed up this long resets the backoff (default 30 s). */
  healthyAfterMs?: number;
  /** Called on every status change (synced, error, recovery). */
  onStatus?: () => void;
}

export type ResourcePhase = 'listing' | 'watching' | 'backoff' | 'stopped';

export interface ResourceStatus {
  resource: string;
  /** A list has completed at least once. */
  synced: boolean;
  phase: ResourcePhase;
  /** The last failure; cleared by the next successful list. */
  lastError?: SourceError;
  /** Informer restarts after errors. */
  restarts: number;
  /** Completed lists (first sync, 410 re-lists and restarts). */
  lists: number;
}

/** Watch that remembers the requests of one run, so retiring the run aborts them even mid-connect. */
class RunWatch extends Watch {
  retired = false;
  private readonly controllers = new Set<AbortController>();

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    if (this.retired) {
      const c = new AbortController();
      c.abort();
      return c;
    }
    const c = await super.watch(...args);
    this.controllers.add(c);
    if (this.retired) c.abort();
    return c;
  }

  retire(): void {
    this.retired = true;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}

interface Run {
  lw: ListWatch<KubernetesObject>;
  watch: RunWatch;
  startedAt: number;
}

/** Kubernetes timestamps are RFC 3339 with second precision; keep the wire form (typed lists turn them into Dates). */
function toWire(v: unknown): unknown {
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  }
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toWire(x);
    return out;
  }
  return v;
}

export class WatchedResource {
  private run: Run | undefined;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private stopped = false;
  private st: ResourceStatus;
  /** name -> resourceVersion last handed to the handlers (ListWatch re-announces listed objects). */
  private applied = new Map<string, string>();
  private readonly desc: string;

  constructor(private readonly o: WatchedResourceOptions) {
    this.backoff = new Backoff(o.backoff ?? DEFAULT_BACKOFF);
    this.desc = `${resourceName(o.resource)}${o.resource.namespace ? ` in ${o.resource.namespace}` : ''}${o.labelSelector ? ` (${o.labelSelector})` : ''}${o.fieldSelector ? ` (${o.fieldSelector})` : ''}`;
    this.st = { resource: this.desc, synced: false, phase: 'listing', restarts: 0, lists: 0 };
  }

  start(): void {
    this.stopped = false;
    this.startRun();
    const stale = this.o.staleAfterMs;
    if (stale !== undefined && stale > 0) {
      this.watchdog = setInterval(() => this.checkStale(stale), Math.max(10, Math.floor(stale / 4)));
      this.watchdog.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    const run = this.run;
    this.run = undefined;
    this.setPhase('stopped');
    if (run) {
      run.watch.retire();
      await run.lw.stop();
    }
  }

  status(): ResourceStatus {
    return { ...this.st, ...(this.st.lastError ? { lastError: { ...this.st.lastError } } : {}) };
  }

  private startRun(): void {
    if (this.stopped) return;
    const watch = new RunWatch(this.o.kubeConfig);
    const run: Run = {
      lw: undefined as unknown as ListWatch<KubernetesObject>,
      watch,
      startedAt: Date.now(),
    };
    const live = () => this.run === run && !watch.retired;
    const list = async () => {
      this.setPhase('listing');
      const result = await this.o.list();
      // A retired run must not go on to watch: failing here ends that ListWatch (its error is ignored).
      if (!live()) throw new Error('informer run retired');
      const kind = this.o.resource.kind;
      const apiVersion =
        this.o.resource.group === ''
          ? this.o.resource.version
          : `${this.o.resource.group}/${this.o.resource.version}`;
      const items = (result.items ?? []).map(
        (i) => ({ ...(toWire(i) as object), apiVersion, kind }) as WireObject,
      );
      this.applied = new Map(items.map((i) => [this.key(i), i.metadata.resourceVersion ?? '']));
      this.touch();
      this.st.lists++;
      const wasSynced = this.st.synced;
      const hadError = this.st.lastError !== undefined;
      this.st.synced = true;
      delete this.st.lastError;
      this.o.handlers.onList(items);
      if (hadError) this.o.logger.info({ resource: this.desc }, 'informer recovered');
      if (!wasSynced || hadError) this.o.onStatus?.();
      return result;
    };
    const lw = new ListWatch<KubernetesObject>(
      this.o.path,
      watch,
      list,
      false,
      this.o.labelSelector,
      this.o.fieldSelector,
    );
    run.lw = lw;
    this.run = run;
    const upsert = (obj: KubernetesObject) => {
      if (!live()) return;
      this.touch();
      const w = obj as WireObject;
      const k = this.key(w);
      const rv = w.metadata.resourceVersion ?? '';
      if (this.applied.get(k) === rv && rv !== '') return;
      this.applied.set(k, rv);
      this.o.handlers.onUpsert(w);
    };
    lw.on('add', upsert);
    lw.on('update', upsert);
    lw.on('delete', (obj) => {
      if (!live()) return;
      this.touch();
      const w = obj as WireObject;
      if (!this.applied.delete(this.key(w))) return;
      this.o.handlers.onRemove(w);
    });
    lw.on('connect', () => {
      if (!live()) return;
      this.touch();
      if (this.st.synced) this.setPhase('watching');
    });
    lw.on('error', (err) => {
      if (live()) this.fail(run, err);
    });
    lw.start().then(
      () => {
        if (live() && this.st.synced) this.setPhase('watching');
      },
      (err) => {
        if (live()) this.fail(run, err);
      },
    );
  }

  private fail(run: Run, err: unknown): void {
    run.watch.retire();
    void run.lw.stop();
    if (this.run === run) this.run = undefined;
    if (this.stopped) return;
    const e = classifyError(err, this.o.resource);
    if (Date.now() - run.startedAt >= (this.o.healthyAfterMs ?? 30_000)) this.backoff.reset();
    const delay = this.backoff.next();
    this.st.lastError = e;
    this.st.restarts++;
    this.setPhase('backoff');
    const fields = {
      resource: this.desc,
      code: e.code,
      status: e.status,
      error: e.message,
      hint: e.hint,
      retryInMs: delay,
      attempt: this.backoff.attempts,
    };
    // Missing grants and CRDs need a human: error level. Transport trouble heals itself: warn.
    if (
      e.code === 'Forbidden' ||
      e.code === 'NotFound' ||
      e.code === 'Unauthorized' ||
      e.code === 'TlsError'
    ) {
      this.o.logger.error(
        fields,
        `cannot ${this.st.synced ? 'watch' : 'list'} ${resourceName(this.o.resource)}: ${e.code}`,
      );
    } else {
      this.o.logger.warn(
        fields,
        `informer for ${resourceName(this.o.resource)} failed (${e.code}); restarting`,
      );
    }
    this.o.onStatus?.();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startRun();
    }, delay);
    this.timer.unref?.();
  }

  private checkStale(staleAfterMs: number): void {
    const run = this.run;
    if (!run || this.st.phase !== 'watching') return;
    if (Date.now() - this.lastActivity < staleAfterMs) return;
    const err = Object.assign(new Error(`no watch activity for ${staleAfterMs} ms`), { code: 'STALLED' });
    this.fail(run, err);
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private setPhase(p: ResourcePhase): void {
    this.st.phase = p;
  }

  private key(o: WireObject): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }
}

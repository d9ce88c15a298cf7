// The EPP's datastore: the last reconciled PoolSnapshot plus the scheduler's endpoint slots. A new snapshot is
// applied as a diff (endpoints added/removed, never a rebuild), so the WASM pool state and the prefix cache of
// endpoints that stay are untouched. Scrape results land here and go straight to scheduler.updateMetrics.
import type { EndpointInfo, PoolSnapshot, RewriteMatch } from '@igw/k8s-sync';
import { matchRewrite } from '@igw/k8s-sync';
import type { EndpointHandle, EndpointMetricsUpdate, Scheduler } from '@igw/scorer-wasm';
import type {
  Datastore,
  Endpoint,
  InferenceModelInfo,
  InferenceObjectiveInfo,
  ModelRewriteInfo,
  PoolInfo,
  SchedulerView,
} from './types.js';

/** The endpoint record the datastore keeps (the request path sees it as a read-only Endpoint). */
export class EndpointState implements Endpoint {
  readonly address: string;
  readonly ip: string;
  readonly port: number;
  readonly podName: string;
  readonly namespace: string;
  labels: Readonly<Record<string, string>>;
  readonly engineType?: string;
  metricsUpdatedAtMs = 0;
  /** Last values written to the scheduler; fields a partial scrape misses keep these. */
  last: EndpointMetricsUpdate | undefined;
  /** False once removed: in-flight scrapes check it before writing. */
  live = true;

  constructor(
    info: EndpointInfo,
    readonly handle: EndpointHandle,
  ) {
    this.address = info.address;
    this.ip = info.ip;
    this.port = info.port;
    this.podName = info.podName;
    this.namespace = info.namespace;
    this.labels = info.labels;
    if (info.engineType !== undefined) this.engineType = info.engineType;
  }

  get slot(): number {
    return this.handle.slot;
  }
}

export interface SnapshotDiff {
  added: EndpointState[];
  removed: EndpointState[];
  poolChanged: boolean;
}

export type EndpointsListener = (diff: SnapshotDiff) => void;

/** What the datastore needs of the scheduler (the @igw/scorer-wasm Scheduler in production). */
export type SchedulerSlots = Pick<
  Scheduler,
  | 'addEndpoint'
  | 'removeEndpoint'
  | 'updateMetrics'
  | 'markScrapeStart'
  | 'isSaturated'
  | 'schedule'
  | 'stats'
  | 'legacyProfile'
>;

const EMPTY_MODELS: ReadonlyMap<string, InferenceModelInfo> = new Map();
const EMPTY_OBJECTIVES: ReadonlyMap<string, InferenceObjectiveInfo> = new Map();

function samePool(a: PoolInfo | undefined, b: PoolInfo | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class PoolDatastore implements Datastore {
  private current: PoolInfo | undefined;
  private synced = false;
  private byAddress = new Map<string, EndpointState>();
  private list: EndpointState[] = [];
  private models: ReadonlyMap<string, InferenceModelInfo> = EMPTY_MODELS;
  private objectives: ReadonlyMap<string, InferenceObjectiveInfo> = EMPTY_OBJECTIVES;
  private rewriteList: readonly ModelRewriteInfo[] = [];
  private readonly rewriteCache = new Map<string, RewriteMatch | null>();
  private readonly listeners: EndpointsListener[] = [];

  constructor(
    private readonly sched: SchedulerSlots,
    private readonly random: () => number = Math.random,
  ) {}

  get scheduler(): SchedulerView {
    return this.sched;
  }

  /** Subscribes to endpoint changes (the scraper starts/stops its loops here). */
  onEndpointsChanged(listener: EndpointsListener): void {
    this.listeners.push(listener);
  }

  /** Applies a reconciled snapshot as a diff against the current state. */
  apply(snap: PoolSnapshot): SnapshotDiff {
    const poolChanged = !samePool(this.current, snap.pool);
    this.current = snap.pool;
    this.synced = snap.pool !== undefined;
    this.models = snap.models;
    this.objectives = snap.objectives;
    this.rewriteList = snap.rewrites;
    this.rewriteCache.clear();

    const added: EndpointState[] = [];
    const removed: EndpointState[] = [];
    const next = new Map<string, EndpointState>();
    for (const info of snap.endpoints) {
      const have = this.byAddress.get(info.address);
      // Another pod behind the same address, or a new engine, is a new endpoint (fresh metrics, fresh loop).
      if (have && have.podName === info.podName && have.engineType === info.engineType) {
        have.labels = info.labels;
        next.set(info.address, have);
        continue;
      }
      if (have) {
        this.drop(have);
        removed.push(have);
        this.byAddress.delete(info.address);
      }
      const state = new EndpointState(info, this.sched.addEndpoint(info.address));
      next.set(info.address, state);
      added.push(state);
    }
    for (const [address, state] of this.byAddress) {
      if (!next.has(address)) {
        this.drop(state);
        removed.push(state);
      }
    }
    this.byAddress = next;
    this.list = [...next.values()].sort((a, b) =>
      a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
    );
    const diff = { added, removed, poolChanged };
    if (added.length > 0 || removed.length > 0 || poolChanged) for (const l of this.listeners) l(diff);
    return diff;
  }

  /** A scrape of this endpoint is being sent (the scheduler's assumed load then keeps only later picks). */
  markScrapeStart(endpoint: EndpointState): void {
    if (endpoint.live) this.sched.markScrapeStart(endpoint.handle);
  }

  /**
   * Writes one scrape result. Returns false when the endpoint has left the pool meanwhile (nothing written).
   * Fields absent from `partial` keep their previous values, as upstream keeps a failed family's last value.
   */
  recordMetrics(endpoint: EndpointState, partial: Partial<EndpointMetricsUpdate>, nowMs: number): boolean {
    if (!endpoint.live) return false;
    const prev = endpoint.last;
    const update: EndpointMetricsUpdate = {
      waitingQueueSize: partial.waitingQueueSize ?? prev?.waitingQueueSize ?? 0,
      runningRequestsSize: partial.runningRequestsSize ?? prev?.runningRequestsSize ?? 0,
      kvCacheUsagePercent: partial.kvCacheUsagePercent ?? prev?.kvCacheUsagePercent ?? 0,
      maxActiveModels: partial.maxActiveModels ?? prev?.maxActiveModels ?? 0,
      activeModels: partial.activeModels ?? prev?.activeModels ?? [],
      waitingModels: partial.waitingModels ?? prev?.waitingModels ?? [],
      updatedAtMs: nowMs,
    };
    const blockSize = partial.cacheBlockSize ?? prev?.cacheBlockSize;
    if (blockSize !== undefined) update.cacheBlockSize = blockSize;
    const blocks = partial.cacheNumGpuBlocks ?? prev?.cacheNumGpuBlocks;
    if (blocks !== undefined) update.cacheNumGpuBlocks = blocks;
    this.sched.updateMetrics(endpoint.handle, update);
    endpoint.last = update;
    endpoint.metricsUpdatedAtMs = nowMs;
    return true;
  }

  /** Endpoints scraped successfully within `stalenessMs` (the pool gauges' population). */
  freshEndpoints(nowMs: number, stalenessMs: number): EndpointState[] {
    return this.list.filter((e) => e.last !== undefined && nowMs - e.metricsUpdatedAtMs <= stalenessMs);
  }

  poolSynced(): boolean {
    return this.synced;
  }

  pool(): PoolInfo | undefined {
    return this.current;
  }

  endpoints(): readonly EndpointState[] {
    return this.list;
  }

  endpoint(address: string): EndpointState | undefined {
    return this.byAddress.get(address);
  }

  randomEndpoint(): EndpointState | undefined {
    const n = this.list.length;
    if (n === 0) return undefined;
    return this.list[Math.min(n - 1, Math.floor(this.random() * n))];
  }

  model(modelName: string): InferenceModelInfo | undefined {
    return this.models.get(modelName);
  }

  objective(name: string): InferenceObjectiveInfo | undefined {
    return this.objectives.get(name);
  }

  rewrites(): readonly ModelRewriteInfo[] {
    return this.rewriteList;
  }

  matchRewrite(model: string): RewriteMatch | undefined {
    const hit = this.rewriteCache.get(model);
    if (hit !== undefined) return hit ?? undefined;
    const m = matchRewrite(this.rewriteList, model);
    // Bounded: model names come from clients.
    if (this.rewriteCache.size >= 4096) this.rewriteCache.clear();
    this.rewriteCache.set(model, m ?? null);
    return m;
  }

  private drop(state: EndpointState): void {
    state.live = false;
    this.sched.removeEndpoint(state.handle);
  }
}

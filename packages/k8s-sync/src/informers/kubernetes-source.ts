// The Kubernetes source of the EPP: informers for the selected InferencePool, the pods its selector picks, and the
// InferenceModel/Objective/ModelRewrite objects of its namespace, all written into the SAME ResourceSet the file
// source fills, so one reconcile() turns either into a PoolSnapshot.
import type { KubeConfig } from '@kubernetes/client-node';
import type { LabelRequirement } from '../reconcile/label-selector.js';
import type { PoolSelection } from '../reconcile/reconcile.js';
import type { ResourceSet } from '../reconcile/resource-set.js';
import { POOL_GROUP_V1 } from '../reconcile/types.js';
import { collectionPath, listFunction } from './api-lists.js';
import type { BackoffOptions } from './backoff.js';
import { formatLabelSelector } from './label-selector-format.js';
import type { SourceLogger } from './logger.js';
import {
  CORE_PODS,
  MODELS_V1ALPHA2,
  OBJECTIVES_V1ALPHA2,
  POOLS_V1,
  POOLS_V1ALPHA2,
  REWRITES_V1ALPHA2,
  type ResourceType,
} from './resource-types.js';
import { type ResourceStatus, WatchedResource, type WireObject } from './watched-resource.js';

export type SourceState = 'syncing' | 'synced' | 'pool-missing' | 'error';

export interface KubernetesSourceOptions {
  kubeConfig: KubeConfig;
  selection: PoolSelection;
  /** The ResourceSet reconcile() reads (the file source writes the same type). */
  set: ResourceSet;
  logger: SourceLogger;
  /** Called (coalesced per tick) after the set changed: reconcile and publish then. */
  onChange?: () => void;
  /** Which namespace-scoped kinds to watch besides the pool and pods; defaults follow the pool group (below). */
  kinds?: { inferenceModels?: boolean; objectives?: boolean; rewrites?: boolean };
  backoff?: BackoffOptions;
  /** Staleness watchdog (default 10 min; kube-apiserver ends quiet watches after 30-60 min, a stalled one never). */
  staleAfterMs?: number;
  healthyAfterMs?: number;
}

export interface KubernetesSource {
  /** Resolves the first time the state is 'synced' (pool listed and present, its pods and the other kinds listed). */
  readonly synced: Promise<void>;
  state(): SourceState;
  /** Subscribes to state changes (e.g. 'pool-missing' when the pool is deleted); returns the unsubscribe function. */
  onStateChange(fn: (s: SourceState) => void): () => void;
  /** Per-informer details, for logs and /debug. */
  status(): ResourceStatus[];
  stop(): Promise<void>;
}

/**
 * Defaults as the upstream EPP watches: with a v1 pool, InferenceObjective and InferenceModelRewrite (GAIE v1.x,
 * what its chart's RBAC grants); with a v1alpha2 pool also InferenceModel (GAIE <= v0.5).
 */
export function defaultKinds(
  selection: PoolSelection,
): Required<NonNullable<KubernetesSourceOptions['kinds']>> {
  const v1alpha2 = selection.mode === 'pool' && selection.group !== POOL_GROUP_V1;
  return { inferenceModels: v1alpha2, objectives: true, rewrites: true };
}

interface Watched {
  rt: ResourceType;
  w: WatchedResource;
  /** A CRD answering 404 is "no such objects", not a reason to stay unready; a 403 is (objects may exist). */
  optional: boolean;
}

export function startKubernetesSource(o: KubernetesSourceOptions): KubernetesSource {
  const { set, selection, logger, kubeConfig } = o;
  const ns = selection.namespace;
  const kinds = { ...defaultKinds(selection), ...o.kinds };
  const listeners = new Set<(s: SourceState) => void>();
  let current: SourceState = 'syncing';
  let stopped = false;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => {
    resolveSynced = r;
  });

  let changeQueued = false;
  const changed = () => {
    if (changeQueued || !o.onChange) return;
    changeQueued = true;
    queueMicrotask(() => {
      changeQueued = false;
      if (!stopped) o.onChange?.();
    });
  };

  const common = {
    kubeConfig,
    logger,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    staleAfterMs: o.staleAfterMs ?? 600_000,
    ...(o.healthyAfterMs !== undefined ? { healthyAfterMs: o.healthyAfterMs } : {}),
    onStatus: () => updateState(),
  };

  const make = (
    rt: ResourceType,
    kind: Parameters<ResourceSet['replaceAll']>[0],
    extra: { labelSelector?: string; fieldSelector?: string },
    after?: () => void,
  ) =>
    new WatchedResource({
      ...common,
      resource: { ...rt, namespace: ns },
      path: collectionPath(rt, ns),
      list: listFunction(kubeConfig, rt, ns, extra.labelSelector, extra.fieldSelector),
      ...extra,
      handlers: {
        onList(items: WireObject[]) {
          report(set.replaceAll(kind, items));
          after?.();
          changed();
        },
        onUpsert(obj: WireObject) {
          const issue = set.upsert(obj);
          if (issue) report([issue]);
          after?.();
          changed();
        },
        onRemove(obj: WireObject) {
          set.remove(kind, obj.metadata.namespace ?? ns, obj.metadata.name, rt.group);
          after?.();
          changed();
        },
      },
    });

  const report = (
    issues: ReadonlyArray<{ kind: string; namespace: string; name: string; field: string; message: string }>,
  ) => {
    for (const i of issues)
      logger.warn({ ...i }, `ignoring malformed ${i.kind} ${i.namespace}/${i.name}: ${i.message}`);
  };

  // ---- pods: re-created whenever the pool's selector changes ----
  let pods: Watched | undefined;
  let podSelector: string | undefined;

  const desiredPodSelector = (): string | undefined => {
    if (selection.mode === 'standalone') return formatLabelSelector(selection.selector);
    for (const { object } of set.objects('InferencePool')) {
      if (
        object.group === selection.group &&
        object.meta.namespace === ns &&
        object.meta.name === selection.name
      ) {
        const reqs: LabelRequirement[] = Object.entries(object.selector).map(([key, v]) => ({
          key,
          op: 'in',
          values: [v],
        }));
        return formatLabelSelector(reqs);
      }
    }
    return undefined;
  };

  const syncPodWatch = () => {
    if (stopped) return;
    const want = desiredPodSelector();
    if (want === podSelector) return;
    const old = pods;
    if (old) void old.w.stop();
    podSelector = want;
    if (want === undefined) {
      pods = undefined;
      set.replaceAll('Pod', []);
      logger.info(
        { pool: `${ns}/${selection.name}` },
        'pool is gone: pod informer stopped, endpoints cleared',
      );
      changed();
    } else {
      logger.info(
        { pool: `${ns}/${selection.name}`, labelSelector: want },
        old ? 'pool selector changed: re-listing pods' : 'watching pods',
      );
      pods = { rt: CORE_PODS, w: make(CORE_PODS, 'Pod', { labelSelector: want }), optional: false };
      pods.w.start();
    }
    updateState();
  };

  // ---- the pool and the namespace-scoped kinds ----
  const fixed: Watched[] = [];
  if (selection.mode === 'pool') {
    const rt = selection.group === POOL_GROUP_V1 ? POOLS_V1 : POOLS_V1ALPHA2;
    // Only the selected pool, by name (what the Go EPP's cache does): less traffic, and RBAC can be narrowed.
    fixed.push({
      rt,
      w: make(rt, 'InferencePool', { fieldSelector: `metadata.name=${selection.name}` }, syncPodWatch),
      optional: false,
    });
  }
  if (kinds.inferenceModels)
    fixed.push({ rt: MODELS_V1ALPHA2, w: make(MODELS_V1ALPHA2, 'InferenceModel', {}), optional: true });
  if (kinds.objectives)
    fixed.push({
      rt: OBJECTIVES_V1ALPHA2,
      w: make(OBJECTIVES_V1ALPHA2, 'InferenceObjective', {}),
      optional: true,
    });
  if (kinds.rewrites)
    fixed.push({
      rt: REWRITES_V1ALPHA2,
      w: make(REWRITES_V1ALPHA2, 'InferenceModelRewrite', {}),
      optional: true,
    });

  function computeState(): SourceState {
    const all = pods ? [...fixed, pods] : fixed;
    let failing = false;
    let pending = false;
    for (const x of all) {
      const s = x.w.status();
      if (s.synced) continue;
      if (x.optional && s.lastError?.code === 'NotFound') continue;
      if (s.lastError) failing = true;
      else pending = true;
    }
    if (failing) return 'error';
    if (pending) return 'syncing';
    if (selection.mode === 'pool' && podSelector === undefined) return 'pool-missing';
    return 'synced';
  }

  function updateState(): void {
    if (stopped) return;
    const next = computeState();
    if (next === current) return;
    const prev = current;
    current = next;
    const fields = { pool: `${ns}/${selection.name}`, from: prev, to: next };
    if (next === 'pool-missing')
      logger.warn(fields, 'InferencePool not found: readiness is NOT_SERVING until it exists');
    else if (next === 'error')
      logger.error(fields, 'Kubernetes source cannot sync (see the informer errors above); retrying');
    else logger.info(fields, `Kubernetes source ${next}`);
    if (next === 'synced') resolveSynced();
    for (const fn of [...listeners]) fn(next);
  }

  for (const x of fixed) x.w.start();
  if (selection.mode === 'standalone') syncPodWatch();

  return {
    synced,
    state: () => current,
    onStateChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    status: () => [...fixed, ...(pods ? [pods] : [])].map((x) => x.w.status()),
    async stop() {
      stopped = true;
      await Promise.all([...fixed, ...(pods ? [pods] : [])].map((x) => x.w.stop()));
    },
  };
}

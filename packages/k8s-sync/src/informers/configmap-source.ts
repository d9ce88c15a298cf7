// BBR's source: ConfigMaps carrying either base-model label (IPP's `inference.llm-d.ai/ipp-managed=true`,
// GAIE v1.3-v1.5's `inference.networking.k8s.io/bbr-managed=true`). A label selector cannot OR two keys, so there is
// one informer per label; the target sees their union (a ConfigMap with both labels is upserted once and removed
// only when neither informer has it any more).
import type { KubeConfig } from '@kubernetes/client-node';
import type { ResourceSet } from '../reconcile/resource-set.js';
import { type ConfigMapObject, configMapSchema } from '../reconcile/schemas.js';
import { collectionPath, listFunction } from './api-lists.js';
import type { BackoffOptions } from './backoff.js';
import type { SourceLogger } from './logger.js';
import { CORE_CONFIGMAPS } from './resource-types.js';
import { type ResourceStatus, WatchedResource, type WireObject } from './watched-resource.js';

export const BBR_CONFIGMAP_SELECTORS = [
  'inference.llm-d.ai/ipp-managed=true',
  'inference.networking.k8s.io/bbr-managed=true',
] as const;

/** Where the ConfigMaps go: apps/bbr's ConfigMapSink has this shape; resourceSetTarget() adapts a ResourceSet. */
export interface ConfigMapTarget {
  /** Returns a problem with the data (logged as a warning), or undefined. */
  upsertConfigMap(cm: ConfigMapObject): { message: string } | undefined;
  removeConfigMap(namespace: string, name: string): void;
}

export function resourceSetTarget(set: ResourceSet): ConfigMapTarget {
  return {
    upsertConfigMap: (cm) => set.upsert(cm),
    removeConfigMap: (namespace, name) => {
      set.remove('ConfigMap', namespace, name);
    },
  };
}

export interface ConfigMapSourceOptions {
  kubeConfig: KubeConfig;
  /** Namespace to watch (upstream: the NAMESPACE env var); undefined = all namespaces (needs a ClusterRole). */
  namespace?: string;
  target: ConfigMapTarget;
  logger: SourceLogger;
  onChange?: () => void;
  selectors?: readonly string[];
  backoff?: BackoffOptions;
  staleAfterMs?: number;
  healthyAfterMs?: number;
}

export interface ConfigMapSource {
  /** Resolves once every selector's first list is in. */
  readonly synced: Promise<void>;
  state(): 'syncing' | 'synced' | 'error';
  status(): ResourceStatus[];
  stop(): Promise<void>;
}

export function startConfigMapSource(o: ConfigMapSourceOptions): ConfigMapSource {
  const selectors = o.selectors ?? BBR_CONFIGMAP_SELECTORS;
  /** ns/name -> which informers (by index) currently hold it, and the newest object seen. */
  const holders = new Map<string, { by: Set<number>; obj: WireObject }>();
  const key = (x: WireObject) => `${x.metadata.namespace ?? ''}/${x.metadata.name}`;
  let stopped = false;
  let queued = false;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => {
    resolveSynced = r;
  });
  const changed = () => {
    if (queued || !o.onChange) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      if (!stopped) o.onChange?.();
    });
  };
  const put = (i: number, obj: WireObject) => {
    const k = key(obj);
    const h = holders.get(k);
    if (h) {
      h.by.add(i);
      h.obj = obj;
    } else holders.set(k, { by: new Set([i]), obj });
    const parsed = configMapSchema.safeParse(obj);
    const where = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    if (!parsed.success) {
      o.logger.warn(
        { configMap: where, error: parsed.error.issues[0]?.message },
        `ignoring malformed ConfigMap ${where}`,
      );
      return;
    }
    const issue = o.target.upsertConfigMap(parsed.data);
    if (issue)
      o.logger.warn({ configMap: where, error: issue.message }, `ConfigMap ${where}: ${issue.message}`);
  };
  const drop = (i: number, obj: WireObject) => {
    const k = key(obj);
    const h = holders.get(k);
    if (!h) return;
    h.by.delete(i);
    if (h.by.size > 0) return;
    holders.delete(k);
    o.target.removeConfigMap(obj.metadata.namespace ?? '', obj.metadata.name);
  };
  const informers = selectors.map(
    (labelSelector, i) =>
      new WatchedResource({
        kubeConfig: o.kubeConfig,
        logger: o.logger,
        resource: { ...CORE_CONFIGMAPS, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}) },
        path: collectionPath(CORE_CONFIGMAPS, o.namespace),
        list: listFunction(o.kubeConfig, CORE_CONFIGMAPS, o.namespace, labelSelector),
        labelSelector,
        ...(o.backoff ? { backoff: o.backoff } : {}),
        staleAfterMs: o.staleAfterMs ?? 600_000,
        ...(o.healthyAfterMs !== undefined ? { healthyAfterMs: o.healthyAfterMs } : {}),
        onStatus: () => {
          if (state() === 'synced') resolveSynced();
        },
        handlers: {
          onList(items) {
            const seen = new Set(items.map(key));
            for (const [k, h] of [...holders]) if (h.by.has(i) && !seen.has(k)) drop(i, h.obj);
            for (const it of items) put(i, it);
            changed();
          },
          onUpsert(obj) {
            put(i, obj);
            changed();
          },
          onRemove(obj) {
            drop(i, obj);
            changed();
          },
        },
      }),
  );
  const state = (): 'syncing' | 'synced' | 'error' => {
    const st = informers.map((w) => w.status());
    if (st.every((s) => s.synced)) return 'synced';
    return st.some((s) => !s.synced && s.lastError) ? 'error' : 'syncing';
  };
  for (const w of informers) w.start();
  return {
    synced,
    state,
    status: () => informers.map((w) => w.status()),
    async stop() {
      stopped = true;
      await Promise.all(informers.map((w) => w.stop()));
    },
  };
}

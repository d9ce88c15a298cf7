// Kubernetes mode (no --base-model-configmaps-file): the base-model ConfigMaps come from the API server through the
// informers of @igw/k8s-sync (one per BBR label) and go into the same ConfigMapSink the file source feeds.
// Without any client configuration BBR still serves: the model header does not need the ConfigMaps, so a missing
// configuration costs only the base-model mappings, and that is said once, loudly, instead of crash-looping.
import {
  type BackoffOptions,
  type ConfigMapSource,
  KubeConfigError,
  loadKubeConfig,
  startConfigMapSource,
} from '@igw/k8s-sync';
import type { Logger } from 'pino';
import type { ConfigMapSink } from './store.js';

export interface KubernetesBaseModelOptions {
  /** --kubeconfig; undefined = $KUBECONFIG, the in-cluster service account, then ~/.kube/config. */
  kubeconfigPath: string | undefined;
  /** $NAMESPACE: watch only this namespace (a Role suffices); undefined = all namespaces (needs a ClusterRole). */
  namespace: string | undefined;
  sink: ConfigMapSink;
  logger: Logger;
  /** Where $KUBECONFIG, $HOME and $KUBERNETES_SERVICE_HOST are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Retry timing of the informers (tests use milliseconds; the default is k8s-sync's 0.5 s doubling to 30 s). */
  backoff?: BackoffOptions;
}

export interface KubernetesBaseModels {
  source: ConfigMapSource;
  /** Where the client configuration came from, e.g. "in-cluster service account" or "--kubeconfig /path". */
  origin: string;
}

/**
 * Starts the ConfigMap informers. Returns undefined (after one warning) when no client configuration exists at
 * all; throws KubeConfigError when a configuration was named explicitly (--kubeconfig or $KUBECONFIG) and cannot
 * be used, because that is an operator mistake a warning would hide.
 */
export function startKubernetesBaseModels(o: KubernetesBaseModelOptions): KubernetesBaseModels | undefined {
  const env = o.env ?? process.env;
  let loaded: ReturnType<typeof loadKubeConfig>;
  try {
    loaded = loadKubeConfig({ ...(o.kubeconfigPath ? { kubeconfigPath: o.kubeconfigPath } : {}), env });
  } catch (err) {
    const explicit = Boolean(o.kubeconfigPath) || Boolean(env.KUBECONFIG);
    if (!(err instanceof KubeConfigError) || explicit) throw err;
    o.logger.warn(
      { reason: err.message },
      'no Kubernetes configuration and no --base-model-configmaps-file: serving without base-model mappings ' +
        '(X-Gateway-Model-Name is set as usual; X-Gateway-Base-Model-Name is "" for every model)',
    );
    return undefined;
  }
  const logger = o.logger.child({ source: 'kubernetes-configmaps' });
  const source = startConfigMapSource({
    kubeConfig: loaded.kubeConfig,
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    target: o.sink,
    logger,
    ...(o.backoff ? { backoff: o.backoff } : {}),
  });
  logger.info(
    { kubeconfig: loaded.origin, namespace: o.namespace ?? '(all namespaces)' },
    'watching base-model ConfigMaps',
  );
  return { source, origin: loaded.origin };
}

// Where the API server and credentials come from, in controller-runtime's order (what the Go EPP uses via
// ctrl.GetConfig): --kubeconfig, then $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

export interface KubeConfigSource {
  /** --kubeconfig */
  kubeconfigPath?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads the client configuration; throws KubeConfigError naming the source that failed. */
export function loadKubeConfig(src: KubeConfigSource = {}): { kubeConfig: KubeConfig; origin: string } {
  const env = src.env ?? process.env;
  const kc = new KubeConfig();
  let origin: string;
  const fromFile = (path: string, what: string) => {
    if (!existsSync(path)) throw new KubeConfigError(`${what} ${path} does not exist`);
    try {
      kc.loadFromFile(path);
    } catch (err) {
      throw new KubeConfigError(`${what} ${path} cannot be read: ${(err as Error).message}`);
    }
    origin = `${what} ${path}`;
  };
  if (src.kubeconfigPath) fromFile(src.kubeconfigPath, '--kubeconfig');
  else if (env.KUBECONFIG) fromFile(env.KUBECONFIG.split(':')[0]!, '$KUBECONFIG');
  else if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
    origin = 'in-cluster service account';
  } else {
    const home = join(env.HOME ?? homedir(), '.kube', 'config');
    if (!existsSync(home)) {
      throw new KubeConfigError(
        'no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config',
      );
    }
    fromFile(home, 'kubeconfig');
  }
  if (src.context) {
    if (!kc.getContexts().some((c) => c.name === src.context)) {
      throw new KubeConfigError(`context "${src.context}" is not in ${origin!}`);
    }
    kc.setCurrentContext(src.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError(`${origin!} has no current cluster (check current-context)`);
  try {
    new URL(cluster.server);
  } catch {
    throw new KubeConfigError(
      `${origin!}: cluster "${cluster.name}" has an invalid server URL "${cluster.server}"`,
    );
  }
  return { kubeConfig: kc, origin: origin! };
}

/**
 * A configuration for a server given by URL (the loopback stand-in in tests). Plain HTTP needs skipTLSVerify in
 * client-node 1.4; for HTTPS pass the CA (PEM) to verify against, and a bearer token if the server wants one.
 */
export function kubeConfigForServer(
  server: string,
  namespace = 'default',
  auth: { caPem?: string; token?: string } = {},
): KubeConfig {
  const kc = new KubeConfig();
  const https = server.startsWith('https:');
  kc.loadFromOptions({
    clusters: [
      {
        name: 'standin',
        server,
        skipTLSVerify: !https || auth.caPem === undefined,
        ...(auth.caPem !== undefined ? { caData: Buffer.from(auth.caPem).toString('base64') } : {}),
      },
    ],
    users: [{ name: 'tester', ...(auth.token !== undefined ? { token: auth.token } : {}) }],
    contexts: [{ name: 'standin', cluster: 'standin', user: 'tester', namespace }],
    currentContext: 'standin',
  });
  return kc;
}

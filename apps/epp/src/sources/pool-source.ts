// Where the pool's objects come from: the --resources-file watcher, or (without one) the Kubernetes API through the
// informers of @igw/k8s-sync, plus the Lease of --ha-enable-leader-election. Both end in the same reconcile() and
// the same datastore.apply(); this module only adds what readiness needs from each (synced, leader).
import {
  eppLeaseName,
  LeaseElector,
  loadKubeConfig,
  type PoolSelection,
  ResourceSet,
  reconcile,
  startKubernetesSource,
} from '@igw/k8s-sync';
import type { Logger } from 'pino';
import type { PoolDatastore } from '../datastore/datastore.js';
import { FileSource } from './file-source.js';

export interface PoolSource {
  kind: 'file' | 'kubernetes';
  /** Synced enough to serve: the pool is in the datastore (and, from Kubernetes, every informer has listed). */
  ready(): boolean;
  /** Always true without leader election (and with a file source, where there is no Lease). */
  isLeader(): boolean;
  /** Readiness inputs changed (the health server re-evaluates Watch streams). */
  onChange(fn: () => void): void;
  stop(): Promise<void>;
  /** The file source, for tests and reloads. */
  file?: FileSource;
}

export interface PoolSourceOptions {
  selection: PoolSelection;
  datastore: PoolDatastore;
  logger: Logger;
  resourcesFile: string | undefined;
  kubeconfig: string | undefined;
  leaderElection: boolean;
  env?: NodeJS.ProcessEnv;
}

export function startPoolSource(o: PoolSourceOptions): PoolSource {
  const listeners: Array<() => void> = [];
  const changed = () => {
    for (const l of listeners) l();
  };
  if (o.resourcesFile) {
    const file = new FileSource({
      path: o.resourcesFile,
      selection: o.selection,
      datastore: o.datastore,
      logger: o.logger.child({ source: 'file' }),
    });
    file.start();
    file.on('applied', changed);
    if (o.leaderElection) {
      o.logger.warn(
        '--ha-enable-leader-election with --resources-file: no Lease to elect on, this instance leads',
      );
    }
    return {
      kind: 'file',
      file,
      ready: () => o.datastore.poolSynced(),
      isLeader: () => true,
      onChange: (fn) => listeners.push(fn),
      stop: async () => file.stop(),
    };
  }

  const log = o.logger.child({ source: 'kubernetes' });
  const { kubeConfig, origin } = loadKubeConfig({
    ...(o.kubeconfig ? { kubeconfigPath: o.kubeconfig } : {}),
    ...(o.env ? { env: o.env } : {}),
  });
  log.info({ kubeconfig: origin }, 'reading the pool from the Kubernetes API');
  const set = new ResourceSet(o.selection.namespace);
  const k8s = startKubernetesSource({
    kubeConfig,
    selection: o.selection,
    set,
    logger: log,
    onChange: () => {
      const snap = reconcile(set, o.selection);
      const diff = o.datastore.apply(snap);
      if (diff.added.length + diff.removed.length > 0 || diff.poolChanged) {
        log.info(
          {
            pool: snap.pool ? `${snap.pool.namespace}/${snap.pool.name}` : null,
            endpoints: snap.endpoints.length,
            added: diff.added.length,
            removed: diff.removed.length,
          },
          'pool state updated',
        );
      }
      changed();
    },
  });
  k8s.onStateChange((state) => {
    log.info({ state }, 'kubernetes source state');
    changed();
  });
  let elector: LeaseElector | undefined;
  if (o.leaderElection && o.selection.mode === 'pool') {
    elector = new LeaseElector({
      kubeConfig,
      namespace: o.selection.namespace,
      name: eppLeaseName(o.selection.namespace, o.selection.name),
      logger: log,
    });
    elector.onChange(changed);
    elector.start();
  }
  return {
    kind: 'kubernetes',
    ready: () => k8s.state() === 'synced' && o.datastore.poolSynced(),
    isLeader: () => elector?.isLeader() ?? true,
    onChange: (fn) => listeners.push(fn),
    stop: async () => {
      await elector?.stop();
      await k8s.stop();
    },
  };
}

// igw-sim: starts simulated vLLM pods and serves until SIGINT/SIGTERM (@igw/cli-common's runCli: bad flags
// exit 2, a failed start exits 1, a signal closes the pods and exits 0).
import { runCli } from '@igw/cli-common';
import { helpText, parseFlags } from './cli-flags.js';
import { startSimCluster } from './cluster.js';

await runCli({
  name: 'igw-sim',
  parse: parseFlags,
  helpText,
  start: (cfg, logger) => startSimCluster({ ...cfg.cluster, logger }),
  startFailure: (e) =>
    (e as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL'
      ? 'could not start the pods (this system lacks that loopback address; try --shared-host)'
      : 'could not start the pods',
  onStarted: (cluster, logger) => {
    for (const p of cluster.pods) {
      logger.info({ pod: p.name, address: p.address, model: p.model, loras: p.loras }, 'pod listening');
    }
    logger.info(
      {
        pods: cluster.pods.length,
        timeScale: cluster.clock.timeScale,
        addresses: cluster.pods.map((p) => p.address),
      },
      'simulator ready',
    );
  },
});

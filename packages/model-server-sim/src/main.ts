// igw-sim: starts simulated vLLM pods and serves until SIGINT/SIGTERM.

import pino from 'pino';
import { FlagError, helpText, parseFlags } from './cli-flags.js';
import { startSimCluster } from './cluster.js';

async function main(): Promise<void> {
  let cfg: ReturnType<typeof parseFlags>;
  try {
    cfg = parseFlags(process.argv.slice(2));
  } catch (e) {
    if (e instanceof FlagError || e instanceof RangeError) {
      process.stderr.write(`Error: ${e.message}\nRun 'igw-sim --help' for usage.\n`);
      process.exit(2);
    }
    throw e;
  }
  if (cfg.help) {
    process.stdout.write(helpText());
    return;
  }
  const logger = pino({ level: cfg.logLevel, base: { component: 'igw-sim' } });
  let cluster: Awaited<ReturnType<typeof startSimCluster>>;
  try {
    cluster = await startSimCluster({ ...cfg.cluster, logger });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint =
      err.code === 'EADDRNOTAVAIL' ? ' (this system lacks that loopback address; try --shared-host)' : '';
    logger.error({ err: err.message, code: err.code }, `could not start the pods${hint}`);
    process.exit(1);
  }
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
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    cluster.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: String(e) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();

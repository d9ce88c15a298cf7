// igw-gateway: the dev gateway CLI. Serves until SIGINT/SIGTERM, then drains in-flight requests and exits 0.
import pino from 'pino';
import { FlagError, helpText, parseFlags } from './flags.js';
import { startGateway } from './gateway.js';
import { PoolFileError } from './pool-source.js';

async function main(): Promise<void> {
  let cfg: ReturnType<typeof parseFlags>;
  try {
    cfg = parseFlags(process.argv.slice(2));
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`Error: ${e.message}\nRun 'igw-gateway --help' for usage.\n`);
      process.exit(2);
    }
    throw e;
  }
  if (cfg.help) {
    process.stdout.write(helpText());
    return;
  }
  const logger = pino({ level: cfg.logLevel, base: { component: 'igw-gateway' } });
  // Signals are handled from the start: a SIGTERM during startup waits for it, then stops cleanly.
  let stopping = false;
  const starting = startGateway(cfg, { logger });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    starting
      .then((gateway) => gateway.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error({ err: String(e) }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await starting;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    logger.error(
      { err: err.message, code: err.code },
      e instanceof PoolFileError ? 'bad resources file' : 'could not start',
    );
    process.exit(1);
  }
}

await main();

// The igw-bbr command: flags -> logger -> running servers; SIGTERM/SIGINT drain and exit 0.
import { pino } from 'pino';
import { type BbrFlags, FlagError, HELP, logLevel, parseFlags } from './flags.js';
import { PluginConfigError } from './plugins/types.js';
import { startBbr } from './server.js';

export async function runCli(argv: readonly string[]): Promise<number> {
  let flags: BbrFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`igw-bbr: ${err.message}\nRun 'igw-bbr --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const logger = pino({ level: logLevel(flags), base: { component: 'bbr' } });
  let running: Awaited<ReturnType<typeof startBbr>>;
  try {
    running = await startBbr(flags, logger, { namespace: process.env.NAMESPACE || undefined });
  } catch (err) {
    const known = err instanceof PluginConfigError || (err as Error).name.endsWith('Error');
    logger.fatal({ err: known ? (err as Error).message : err }, 'bbr failed to start');
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info({ signal: sig }, 'shutting down');
      running.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

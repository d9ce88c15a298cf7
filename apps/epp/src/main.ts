// igw-epp: the CLI. Parses the upstream flags, starts the EPP, and stops it gracefully on SIGTERM/SIGINT.
// Exit codes: 0 after a graceful stop, 1 for bad flags/config or a startup failure, 2 when a second signal forces it.
import { TlsConfigError } from '@igw/ext-proc';
import { KubeConfigError } from '@igw/k8s-sync';
import { ConfigLoadError } from './config/load-config.js';
import { type EppOptions, resolveOptions } from './flags/options.js';
import { FlagError, helpText, parseFlags } from './flags/parse.js';
import { startEpp } from './lifecycle/start-epp.js';
import { createLogger } from './observability/logger.js';
import { EngineConfigError } from './scrape/engines.js';
import { ResourcesFileError } from './sources/resources-file.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let options: EppOptions;
  let verbosityGiven: boolean;
  try {
    const parsed = parseFlags(argv);
    if (parsed.help) {
      process.stdout.write(helpText());
      return;
    }
    options = resolveOptions(parsed, env);
    verbosityGiven = parsed.explicit.has('v');
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`igw-epp: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  const { logger, flush } = createLogger(options, verbosityGiven);
  let handle: Awaited<ReturnType<typeof startEpp>>;
  try {
    handle = await startEpp(options, logger, { env });
  } catch (err) {
    // Known failures (bad config, unreadable files, busy ports) get one clear line; anything else its stack.
    const known =
      err instanceof KubeConfigError ||
      err instanceof ConfigLoadError ||
      err instanceof EngineConfigError ||
      err instanceof ResourcesFileError ||
      err instanceof TlsConfigError ||
      typeof (err as { code?: unknown }).code === 'string';
    logger.error(known ? {} : { err }, `startup failed: ${(err as Error).message}`);
    flush();
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      flush();
      process.exit(2);
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    handle
      .stop()
      .catch((err: Error) => {
        logger.error({ err }, 'error during shutdown');
        process.exitCode = 1;
      })
      .finally(() => {
        flush();
        process.exit();
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

await run(process.argv.slice(2), process.env);

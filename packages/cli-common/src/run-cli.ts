// The main() of a long-running igw program: parse the flags (usage error: message + hint on stderr, exit 2),
// print --help (exit 0), start with a pino JSON logger, then serve until SIGINT/SIGTERM and close cleanly.
// Signals are wired before the start finishes, so a SIGTERM during startup waits for it and then stops.
import pino, { type Logger } from 'pino';
import { FlagError } from './flag-error.js';

export interface Closable {
  close(): Promise<void>;
}

export interface CliProgram<C extends { help: boolean; logLevel: string }, S extends Closable> {
  /** The command's name, in messages and as the logger's `component`. */
  name: string;
  parse: (argv: string[]) => C;
  helpText: () => string;
  /** Errors of `parse` that are the user's (default: FlagError); others propagate. */
  isUsageError?: (err: unknown) => boolean;
  start: (config: C, logger: Logger) => Promise<S>;
  /** Log message for a failed start (default 'could not start'). */
  startFailure?: (err: unknown) => string;
  /** Called once the start succeeded (e.g. to log the addresses). */
  onStarted?: (server: S, logger: Logger) => void;
}

/** Exit codes: 0 after --help or a clean stop, 1 when the start or the shutdown fails, 2 for bad flags. */
export async function runCli<C extends { help: boolean; logLevel: string }, S extends Closable>(
  program: CliProgram<C, S>,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  const isUsageError = program.isUsageError ?? ((e: unknown) => e instanceof FlagError);
  let config: C;
  try {
    config = program.parse(argv);
  } catch (e) {
    if (isUsageError(e)) {
      process.stderr.write(`Error: ${(e as Error).message}\nRun '${program.name} --help' for usage.\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config.help) {
    process.stdout.write(program.helpText());
    return;
  }
  const logger = pino({ level: config.logLevel, base: { component: program.name } });
  const starting = program.start(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    starting
      .then((server) => server.close())
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
  let server: S;
  try {
    server = await starting;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    logger.error({ err: err.message, code: err.code }, program.startFailure?.(e) ?? 'could not start');
    process.exit(1);
  }
  program.onStarted?.(server, logger);
}

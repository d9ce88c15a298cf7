// A small real program on runCli for run-cli.test.ts: an HTTP server on 127.0.0.1 that serves until a signal.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { convertFlagValue, parseArgs, renderHelp, runCli } from '../index.js';

const FLAGS = [
  { name: 'port', arity: 'string', help: 'port to listen on (default 0)' },
  { name: 'log-level', arity: 'string', help: 'pino log level (default info)' },
  { name: 'help', arity: 'bool', help: 'print this help', aliases: ['h'] },
] as const;

await runCli({
  name: 'cli-child',
  parse: (argv) => {
    const v = parseArgs(argv, FLAGS, { program: 'cli-child' });
    const port = v.get('port');
    return {
      help: v.get('help') === true,
      logLevel: (v.get('log-level') as string | undefined) ?? 'info',
      port: port === undefined ? 0 : (convertFlagValue('port', 'int', port as string) as number),
    };
  },
  helpText: () =>
    renderHelp({ header: ['Usage: cli-child [flags]'], flags: FLAGS, argLabel: () => '', columnWidth: 12 }),
  start: (cfg) =>
    new Promise<{ port: number; close(): Promise<void> }>((resolve, reject) => {
      const server = createServer((_req, res) => res.end('ok'));
      server.once('error', reject);
      server.listen(cfg.port, '127.0.0.1', () =>
        resolve({
          port: (server.address() as AddressInfo).port,
          close: () => new Promise<void>((done, fail) => server.close((e) => (e ? fail(e) : done()))),
        }),
      );
    }),
  startFailure: (e) => `could not listen (${(e as NodeJS.ErrnoException).code})`,
  onStarted: (server, logger) => logger.info({ port: server.port }, 'ready'),
});

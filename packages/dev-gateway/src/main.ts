// igw-gateway: the dev gateway CLI. Serves until SIGINT/SIGTERM, then drains in-flight requests and exits 0
// (@igw/cli-common's runCli: bad flags exit 2, a failed start exits 1).
import { runCli } from '@igw/cli-common';
import { helpText, parseFlags } from './flags.js';
import { startGateway } from './gateway.js';
import { PoolFileError } from './pool-source.js';

await runCli({
  name: 'igw-gateway',
  parse: parseFlags,
  helpText,
  start: (cfg, logger) => startGateway(cfg, { logger }),
  startFailure: (e) => (e instanceof PoolFileError ? 'bad resources file' : 'could not start'),
});

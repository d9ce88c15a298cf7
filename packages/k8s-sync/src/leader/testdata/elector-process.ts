// A separate OS process running one LeaseElector (as one EPP replica would), for the two-process hand-over test.
// argv: <server url> <identity>. Prints one JSON line per leadership change; SIGTERM stops (and releases) and exits.

import { silentLogger } from '../../informers/logger.js';
import { kubeConfigForServer } from '../../kubeconfig.js';
import { eppLeaseName, LeaseElector } from '../lease-elector.js';

const [server, identity] = process.argv.slice(2);
if (!server || !identity) {
  console.error('usage: elector-process <server url> <identity>');
  process.exit(2);
}
const e = new LeaseElector({
  kubeConfig: kubeConfigForServer(server),
  namespace: 'default',
  name: eppLeaseName('default', 'pool'),
  identity,
  logger: silentLogger,
  leaseDurationMs: 1000,
  renewDeadlineMs: 600,
  retryPeriodMs: 50,
});
e.onChange((c) => console.log(JSON.stringify({ identity, leader: c.leader })));
process.on('SIGTERM', () => {
  void e.stop().then(() => process.exit(0));
});
e.start();
console.log(JSON.stringify({ identity, started: true }));

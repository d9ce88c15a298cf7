// Child process for the per-request benchmark: runs the BBR, the bare floor or the driver with a no-op processor, reports its port, and
// answers CPU-usage queries over IPC so the parent (the load generator) measures only server CPU.
import { bindServer, startExtProcServer } from '@igw/ext-proc';
import { pino } from 'pino';
import { parseFlags } from '../flags.js';
import { startBbr } from '../server.js';
import { createFloorServer } from './floor-server.js';

const which = process.argv[2];
let stop: () => Promise<void>;
let port: number;
if (which === 'floor') {
  const server = createFloorServer();
  port = (await bindServer(server, 0, { secure: false, host: '127.0.0.1' })).port;
  stop = async () => {
    server.forceShutdown();
  };
} else if (which === 'driver') {
  // The shared stream driver with a processor that does nothing: splits the BBR's cost into protocol and work.
  const srv = await startExtProcServer({
    port: 0,
    host: '127.0.0.1',
    secure: false,
    processor: { onRequest: () => ({}) },
  });
  port = srv.port;
  stop = () => srv.stop(1000);
} else {
  const flags = parseFlags([
    '--grpc-port=0',
    '--grpc-health-port=0',
    '--metrics-port=0',
    '--host=127.0.0.1',
    '--secure-serving=false',
  ]);
  const bbr = await startBbr(flags, pino({ level: 'silent' }), { processMetrics: false });
  port = bbr.grpcPort;
  stop = () => bbr.stop();
}
process.on('message', (m: string) => {
  if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (m === 'stop') void stop().then(() => process.exit(0));
});
process.send!({ port });

// Loopback port helpers for the demo and the tests.
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A TCP port free on `ip` right now (nothing listens on it afterwards). */
export async function freePort(ip = '127.0.0.1'): Promise<number> {
  const s = createServer();
  s.listen(0, ip);
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

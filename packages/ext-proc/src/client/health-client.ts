// A grpc.health.v1 Check client (what kubelet's gRPC probe does against --grpc-health-port), for the apps' tests
// and tools. Plaintext only: the health port never serves TLS.
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

type RawHealthClient = grpc.Client & {
  check(
    req: { service: string },
    cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
  ): void;
};

export interface HealthClient {
  /** The status name ('SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'); rejects on a gRPC error. */
  check(service?: string): Promise<string>;
  close(): void;
}

export function healthClient(address: string): HealthClient {
  const Ctor = grpc.makeGenericClientConstructor(healthService, 'Health');
  const c = new Ctor(address, grpc.credentials.createInsecure()) as unknown as RawHealthClient;
  return {
    check: (service = '') =>
      new Promise((resolve, reject) =>
        c.check({ service }, (err, res) => (err ? reject(err) : resolve(res!.status))),
      ),
    close: () => c.close(),
  };
}

/** One Check on a fresh channel, closed afterwards. */
export async function checkHealth(address: string, service = ''): Promise<string> {
  const c = healthClient(address);
  try {
    return await c.check(service);
  } finally {
    c.close();
  }
}

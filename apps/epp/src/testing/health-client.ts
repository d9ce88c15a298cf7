// A grpc.health.v1 client for tests (the probe kubelet runs against --grpc-health-port).
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

type RawHealthClient = grpc.Client & {
  check(
    req: { service: string },
    cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
  ): void;
};

export interface HealthClient {
  check(service: string): Promise<string>;
  close(): void;
}

export function healthClient(address: string): HealthClient {
  const Ctor = grpc.makeGenericClientConstructor(healthService, 'Health');
  const c = new Ctor(address, grpc.credentials.createInsecure()) as unknown as RawHealthClient;
  return {
    check: (service) =>
      new Promise((resolve, reject) =>
        c.check({ service }, (err, res) => (err ? reject(err) : resolve(res!.status))),
      ),
    close: () => c.close(),
  };
}

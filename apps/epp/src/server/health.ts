// grpc.health.v1 semantics of the upstream EPP (cmd/epp/runner/health.go), computed per call:
// - `liveness` is always SERVING (a draining or non-leader pod must not be restarted);
// - without leader election every other name is SERVING once the pool is synced (Helm probes use
//   `inference-extension`);
// - with --ha-enable-leader-election, `readiness`, `` and the ExternalProcessor service need synced AND leader,
//   other names are SERVICE_UNKNOWN;
// - while draining (SIGTERM) everything but `liveness` is NOT_SERVING.
import type { HealthStatus } from '@igw/ext-proc';

export const EXT_PROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
export const HA_SERVICES = ['liveness', 'readiness', '', EXT_PROC_SERVICE] as const;

export interface HealthState {
  poolSynced(): boolean;
  isLeader(): boolean;
  draining(): boolean;
}

export function healthStatus(service: string, s: HealthState, leaderElection: boolean): HealthStatus {
  if (service === 'liveness') return 'SERVING';
  if (leaderElection && !(HA_SERVICES as readonly string[]).includes(service)) return 'SERVICE_UNKNOWN';
  if (s.draining()) return 'NOT_SERVING';
  if (!s.poolSynced()) return 'NOT_SERVING';
  if (leaderElection && !s.isLeader()) return 'NOT_SERVING';
  return 'SERVING';
}

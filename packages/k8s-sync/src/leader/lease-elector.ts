// Leader election over a coordination.k8s.io/v1 Lease, with client-go's algorithm (tools/leaderelection):
// get the Lease (create it when absent); take it when it is free or its holder's renewal has not been seen change
// for leaseDuration (measured on OUR clock from when we observed the record, so clock skew does not matter); write
// with the resourceVersion read, so of two candidates only one wins (the other gets 409 Conflict). The leader renews
// every retryPeriod and steps down when it could not renew for renewDeadline. On stop it releases the Lease
// (ReleaseOnCancel, as the EPP's manager does), so a standby takes over at its next retry.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { SourceLogger } from '../informers/logger.js';

/** The EPP's lock name (GAIE chart and runner): one Lease per pool, in the pool's namespace. */
export function eppLeaseName(poolNamespace: string, poolName: string): string {
  return `epp-${poolNamespace}-${poolName}.gateway-api-inference-extension.sigs.k8s.io`;
}

/** controller-runtime's defaults, which the EPP keeps: 15 s lease, 10 s renew deadline, 2 s retry period. */
export const DEFAULT_LEASE_TIMINGS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export interface LeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  /** Holder identity; default `<POD_NAME or hostname>_<uuid>` as controller-runtime builds it. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the Lease on stop() (default true). */
  releaseOnStop?: boolean;
  logger: SourceLogger;
}

export type LeaderChange = { leader: boolean; holder: string | undefined };

/** RFC 3339 with microseconds, the wire form of metav1.MicroTime. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function statusOf(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

export class LeaseElector {
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leader = false;
  private holder: string | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<boolean> | undefined;
  private lastRenewMs = 0;
  /** The last record we saw and when we first saw it (our clock). */
  private observed: { key: string; atMs: number } | undefined;
  private readonly listeners = new Set<(c: LeaderChange) => void>();

  constructor(private readonly o: LeaseElectorOptions) {
    this.identity = o.identity ?? `${process.env.POD_NAME || hostname()}_${randomUUID()}`;
    this.api = o.kubeConfig.makeApiClient(CoordinationV1Api);
    this.leaseDurationMs = o.leaseDurationMs ?? DEFAULT_LEASE_TIMINGS.leaseDurationMs;
    this.renewDeadlineMs = o.renewDeadlineMs ?? DEFAULT_LEASE_TIMINGS.renewDeadlineMs;
    this.retryPeriodMs = o.retryPeriodMs ?? DEFAULT_LEASE_TIMINGS.retryPeriodMs;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new RangeError('lease timings must satisfy leaseDuration > renewDeadline > retryPeriod');
    }
    if (this.leaseDurationMs < 1000)
      throw new RangeError('leaseDuration must be at least 1 s (the Lease stores seconds)');
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** The holder seen in the last read, undefined when free or unknown. */
  currentHolder(): string | undefined {
    return this.holder;
  }

  onChange(fn: (c: LeaderChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.logger.info(
      { lease: `${this.o.namespace}/${this.o.name}`, identity: this.identity },
      'leader election started',
    );
    this.schedule(0);
  }

  /** Stops campaigning; the leader releases the Lease (unless releaseOnStop is false) and reports the loss. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight?.catch(() => false);
    // Also when a round in flight just took the Lease (we are not marked leader yet): never leave it held.
    if ((this.leader || this.holder === this.identity) && this.o.releaseOnStop !== false)
      await this.release();
    this.setLeader(false, this.leader ? undefined : this.holder);
  }

  /** One round of client-go's tryAcquireOrRenew. Returns whether we hold the Lease afterwards. Public for tests. */
  tryAcquireOrRenew(): Promise<boolean> {
    const p = this.attempt();
    this.inFlight = p;
    return p;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.logger.warn(
        { lease: this.o.name, error: (err as Error).message },
        'leader election: lease request failed',
      );
    }
    if (!this.running) return;
    const now = Date.now();
    if (ok) {
      this.lastRenewMs = now;
      this.setLeader(true, this.identity);
    } else if (
      this.leader &&
      (this.holder !== this.identity || now - this.lastRenewMs >= this.renewDeadlineMs)
    ) {
      this.o.logger.warn(
        { lease: this.o.name, holder: this.holder, sinceRenewMs: now - this.lastRenewMs },
        'leader election lost',
      );
      this.setLeader(false, this.holder);
    }
    // Followers retry with client-go's jitter (up to +20%); the leader renews on the period.
    this.schedule(
      this.leader ? this.retryPeriodMs : Math.round(this.retryPeriodMs * (1 + 0.2 * Math.random())),
    );
  }

  private async attempt(): Promise<boolean> {
    const now = Date.now();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      return this.create(now);
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity || undefined;
    const recordKey = `${holder ?? ''}|${String(spec.renewTime ?? '')}|${spec.leaseTransitions ?? 0}`;
    if (this.observed?.key !== recordKey) this.observed = { key: recordKey, atMs: now };
    this.holder = holder;
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseDurationMs / 1000)) * 1000;
    if (holder !== undefined && holder !== this.identity && this.observed.atMs + durationMs > now)
      return false;
    const mine = holder === this.identity;
    const next: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...lease.metadata, name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: (mine && spec.acquireTime ? spec.acquireTime : microTime(now)) as unknown as Date,
        renewTime: microTime(now) as unknown as Date,
        // A new holder (also after a release) counts as a transition, as in client-go.
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    try {
      await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: next });
    } catch (err) {
      if (statusOf(err) === 409) {
        this.o.logger.debug({ lease: this.o.name }, 'leader election: lease changed under us (409 Conflict)');
        return false;
      }
      throw err;
    }
    this.holder = this.identity;
    this.observed = undefined;
    return true;
  }

  private async create(now: number): Promise<boolean> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: microTime(now) as unknown as Date,
        renewTime: microTime(now) as unknown as Date,
        leaseTransitions: 0,
      },
    };
    try {
      await this.api.createNamespacedLease({ namespace: this.o.namespace, body });
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
    this.holder = this.identity;
    return true;
  }

  /** client-go's release: keep the record, clear the holder, 1 s duration, so a standby can take it at once. */
  private async release(): Promise<void> {
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(Date.now()) as unknown as Date;
      await this.api.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: undefined as unknown as string,
            leaseDurationSeconds: 1,
            renewTime: now,
            acquireTime: now,
          },
        },
      });
      this.o.logger.info({ lease: this.o.name, identity: this.identity }, 'leader election: lease released');
    } catch (err) {
      this.o.logger.warn(
        { lease: this.o.name, error: (err as Error).message },
        'leader election: release failed',
      );
    }
  }

  private setLeader(leader: boolean, holder: string | undefined): void {
    this.holder = holder;
    if (leader === this.leader) return;
    this.leader = leader;
    this.o.logger.info(
      { lease: this.o.name, identity: this.identity, leader },
      leader ? 'became leader' : 'no longer leader',
    );
    for (const fn of [...this.listeners]) fn({ leader, holder });
  }
}

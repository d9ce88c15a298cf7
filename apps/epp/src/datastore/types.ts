// The Datastore interface the request path (director, scheduler call, response handling) reads.
// The state side (sources -> reconcile -> datastore -> scheduler slots) implements it; the request path never
// writes pool state, so it only sees the read-only parts of the scheduler.
import type {
  Criticality,
  EndpointInfo,
  FailureMode,
  InferenceModelInfo,
  InferenceObjectiveInfo,
  ModelRewriteInfo,
  PoolInfo,
  RewriteMatch,
  TargetModel,
} from '@igw/k8s-sync';
import type { ScheduleRequest, ScheduleResult, Scheduler } from '@igw/scorer-wasm';

export type {
  Criticality,
  EndpointInfo,
  FailureMode,
  InferenceModelInfo,
  InferenceObjectiveInfo,
  ModelRewriteInfo,
  PoolInfo,
  RewriteMatch,
  TargetModel,
};

/** The per-request part of @igw/scorer-wasm's Scheduler: the request path never changes pool state. */
export type SchedulerView = Pick<Scheduler, 'isSaturated' | 'schedule' | 'stats' | 'legacyProfile'>;
export type { ScheduleRequest, ScheduleResult, Scheduler };

/** An endpoint as the datastore holds it: the reconciled pod/port plus its slot in the scheduler. */
export interface Endpoint extends EndpointInfo {
  /** Scheduler slot (stable while the endpoint lives). */
  readonly slot: number;
  /** Wall-clock ms of the last successful scrape, 0 before the first one. */
  readonly metricsUpdatedAtMs: number;
}

export interface Datastore {
  /** True once the selected InferencePool (or the standalone selector) has been synced: gRPC readiness. */
  poolSynced(): boolean;
  /** The pool; undefined until synced (and after the pool is deleted). */
  pool(): PoolInfo | undefined;
  /** Every endpoint (ready pod IP x target port), sorted by address. Do not mutate. */
  endpoints(): readonly Endpoint[];
  endpoint(address: string): Endpoint | undefined;
  /** Uniformly random endpoint, for headers-only requests; undefined when there is none. */
  randomEndpoint(): Endpoint | undefined;
  /** InferenceModel v1alpha2 by spec.modelName (duplicates already resolved: the oldest wins). */
  model(modelName: string): InferenceModelInfo | undefined;
  /** InferenceObjective by metadata.name. */
  objective(name: string): InferenceObjectiveInfo | undefined;
  /** InferenceModelRewrites oldest first (ties by name): the order the precedence rules walk. */
  rewrites(): readonly ModelRewriteInfo[];
  /** The rule that applies to `model`: exact match > catch-all, then oldest resource, then first rule. */
  matchRewrite(model: string): RewriteMatch | undefined;
  /** The pool's scheduler (slots already mirror endpoints()). */
  readonly scheduler: SchedulerView;
}

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

/**
 * The per-request part of @igw/scorer-wasm's Scheduler (the contract in /tmp/igw-contracts.md). Mirrored here
 * until that package lands; the datastore hands out the real Scheduler, which satisfies it.
 */
export interface ScheduleRequest {
  prompt: string;
  targetModel: string;
  priority: number;
  criticality?: Criticality;
  subsetHint?: string[] | null;
  nowMs: number;
  wantScores?: boolean;
}
export type ScheduleResult =
  | {
      status: 'ok';
      endpoints: string[];
      scores?: Array<{ address: string; score: number; perScorer: Record<string, number> }>;
    }
  | { status: 'no-candidates' }
  | { status: 'shed'; message: string }
  | { status: 'error'; message: string };
export interface SchedulerView {
  isSaturated(nowMs: number): boolean;
  schedule(req: ScheduleRequest): ScheduleResult;
  stats(): {
    endpoints: number;
    prefixIndexEntries: number;
    prefixLookups: number;
    prefixHitBlocks: number;
    prefixTotalBlocks: number;
  };
}

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

// Test support for the director's unit tests: an in-memory view of the Datastore parts the director reads, with
// a recording scheduler. The real scheduler (@igw/scorer-wasm) and datastore are exercised by the end-to-end
// tests in src/e2e; here the scheduler's outcomes (including failures the real one rarely produces) are scripted.
import type {
  Datastore,
  Endpoint,
  InferenceModelInfo,
  InferenceObjectiveInfo,
  ModelRewriteInfo,
  RewriteMatch,
  ScheduleRequest,
  ScheduleResult,
} from '../datastore/types.js';

export function endpoint(address: string): Endpoint {
  const [ip, port] = address.split(':') as [string, string];
  return {
    address,
    ip,
    port: Number(port),
    podName: `pod-${ip}`,
    namespace: 'default',
    labels: {},
    slot: 0,
    metricsUpdatedAtMs: 0,
  };
}

export class ScriptedScheduler {
  saturated = false;
  legacyProfile = false;
  result: ScheduleResult | ((req: ScheduleRequest) => ScheduleResult) = {
    status: 'ok',
    endpoints: ['10.0.0.1:8000'],
  };
  calls: ScheduleRequest[] = [];
  isSaturated(_nowMs: number): boolean {
    return this.saturated;
  }
  schedule(req: ScheduleRequest): ScheduleResult {
    this.calls.push(req);
    return typeof this.result === 'function' ? this.result(req) : this.result;
  }
  stats() {
    return {
      endpoints: 0,
      prefixIndexEntries: 0,
      prefixLookups: 0,
      prefixHitBlocks: 0,
      prefixTotalBlocks: 0,
    };
  }
}

/** Precedence as the Datastore contract states it: exact > catch-all, then oldest resource, then first rule. */
function matchRewrite(rewrites: readonly ModelRewriteInfo[], model: string): RewriteMatch | undefined {
  const ordered = [...rewrites].sort(
    (a, b) => a.creationTimestamp.localeCompare(b.creationTimestamp) || a.name.localeCompare(b.name),
  );
  for (const kind of ['exact', 'catch-all'] as const) {
    for (const rewrite of ordered) {
      for (const rule of rewrite.rules) {
        const hit = kind === 'exact' ? rule.matches.includes(model) : rule.matches.length === 0;
        if (hit) return { rewrite, rule, kind };
      }
    }
  }
  return undefined;
}

export class FakeDatastore {
  readonly scheduler = new ScriptedScheduler();
  eps: Endpoint[] = [endpoint('10.0.0.1:8000'), endpoint('10.0.0.2:8000')];
  models = new Map<string, InferenceModelInfo>();
  objectives = new Map<string, InferenceObjectiveInfo>();
  rewriteList: ModelRewriteInfo[] = [];
  synced = true;

  poolSynced(): boolean {
    return this.synced;
  }
  endpoints(): readonly Endpoint[] {
    return this.eps;
  }
  endpoint(address: string): Endpoint | undefined {
    return this.eps.find((e) => e.address === address);
  }
  randomEndpoint(): Endpoint | undefined {
    return this.eps[Math.floor(Math.random() * this.eps.length)];
  }
  model(name: string): InferenceModelInfo | undefined {
    return this.models.get(name);
  }
  objective(name: string): InferenceObjectiveInfo | undefined {
    return this.objectives.get(name);
  }
  rewrites(): readonly ModelRewriteInfo[] {
    return this.rewriteList;
  }
  matchRewrite(model: string): RewriteMatch | undefined {
    return matchRewrite(this.rewriteList, model);
  }
  addObjective(name: string, priority: number | undefined): void {
    this.objectives.set(name, {
      name,
      namespace: 'default',
      priority: priority ?? 0,
      prioritySet: priority !== undefined,
      poolName: 'pool',
      creationTimestamp: '2025-01-01T00:00:00Z',
    });
  }
  addModel(
    modelName: string,
    criticality: InferenceModelInfo['criticality'] | undefined,
    targets: Array<[string, number?]> = [],
  ): void {
    this.models.set(modelName, {
      name: modelName,
      namespace: 'default',
      modelName,
      criticality: criticality ?? 'Standard',
      criticalitySet: criticality !== undefined,
      targetModels: targets.map(([name, weight]) => (weight === undefined ? { name } : { name, weight })),
      poolName: 'pool',
      creationTimestamp: '2025-01-01T00:00:00Z',
    });
  }
  addRewrite(
    name: string,
    created: string,
    rules: Array<{ matches: string[]; targets: Array<[string, number]> }>,
  ): void {
    this.rewriteList.push({
      name,
      namespace: 'default',
      poolName: 'pool',
      creationTimestamp: created,
      rules: rules.map((r) => ({
        matches: r.matches,
        targets: r.targets.map(([modelRewrite, weight]) => ({ modelRewrite, weight })),
      })),
    });
  }
}

/** Compile-time check that the fake covers the Datastore surface the request path uses. */
export const asDatastore = (f: FakeDatastore): Datastore => f as unknown as Datastore;

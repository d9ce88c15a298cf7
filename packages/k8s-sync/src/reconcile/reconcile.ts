// The one reconcile step: ResourceSet + which pool -> PoolSnapshot. Both sources (the --resources-file watcher and
// the Kubernetes informers) call it, so the membership and conflict rules live only here:
// - pool: the InferencePool of --pool-group/--pool-namespace/--pool-name, or a synthetic pool in standalone mode;
// - endpoints: pods of the pool namespace matching the selector, Ready=True, no deletionTimestamp, with an IP;
//   each target port of such a pod is one endpoint `ip:port`;
// - models (InferenceModel): those whose poolRef names the pool; a duplicate modelName goes to the oldest object;
// - objectives by metadata.name; rewrites oldest first.
import type { PoolRef } from './decode.js';
import {
  equalityLabels,
  type LabelRequirement,
  matchesLabels,
  requirementsFromLabels,
} from './label-selector.js';
import type { ResourceSet, StoredObject } from './resource-set.js';
import {
  ENGINE_TYPE_LABEL,
  type EndpointInfo,
  type InferenceModelInfo,
  type InferenceObjectiveInfo,
  type ModelRewriteInfo,
  type PoolGroup,
  type PoolInfo,
  type PoolSnapshot,
  type ReconcileIssue,
  type RewriteMatch,
} from './types.js';

export type PoolSelection =
  | { mode: 'pool'; namespace: string; name: string; group: PoolGroup }
  | {
      /** --endpoint-selector/--endpoint-target-ports: pods by label, no InferencePool object. */
      mode: 'standalone';
      namespace: string;
      /** Name used for the pool gauges and for poolRefs of models/objectives/rewrites. */
      name: string;
      selector: readonly LabelRequirement[];
      targetPorts: readonly number[];
    };

/** Oldest first: creationTimestamp (absent = newest), then arrival order, then name. */
export function compareAge(a: StoredObject, b: StoredObject): number {
  const ta = Number.isNaN(a.object.meta.createdMs) ? Number.POSITIVE_INFINITY : a.object.meta.createdMs;
  const tb = Number.isNaN(b.object.meta.createdMs) ? Number.POSITIVE_INFINITY : b.object.meta.createdMs;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.object.meta.name < b.object.meta.name ? -1 : a.object.meta.name > b.object.meta.name ? 1 : 0;
}

/** `ip:port`, with brackets for IPv6 as Envoy's original-destination header expects. */
export function endpointAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function refersTo(ref: PoolRef, namespace: string, objNamespace: string, poolName: string): boolean {
  return (
    objNamespace === namespace && ref.name === poolName && (ref.kind ?? 'InferencePool') === 'InferencePool'
  );
}

function selectPool(set: ResourceSet, sel: PoolSelection): { pool?: PoolInfo; selector: LabelRequirement[] } {
  if (sel.mode === 'standalone') {
    return {
      pool: {
        name: sel.name,
        namespace: sel.namespace,
        group: '',
        selector: equalityLabels(sel.selector),
        targetPorts: [...sel.targetPorts],
        appProtocol: 'http',
        failureMode: 'FailClose',
      },
      selector: [...sel.selector],
    };
  }
  for (const { object: o } of set.objects('InferencePool')) {
    if (o.group !== sel.group || o.meta.namespace !== sel.namespace || o.meta.name !== sel.name) continue;
    return {
      pool: {
        name: o.meta.name,
        namespace: o.meta.namespace,
        group: o.group,
        selector: o.selector,
        targetPorts: o.targetPorts,
        appProtocol: o.appProtocol,
        ...(o.endpointPickerRef && { endpointPickerRef: o.endpointPickerRef }),
        failureMode: o.endpointPickerRef?.failureMode ?? 'FailClose',
      },
      selector: requirementsFromLabels(o.selector),
    };
  }
  return { selector: [] };
}

function endpointsOf(
  set: ResourceSet,
  pool: PoolInfo,
  selector: readonly LabelRequirement[],
  issues: ReconcileIssue[],
): EndpointInfo[] {
  const out: EndpointInfo[] = [];
  const taken = new Map<string, string>();
  const pods = set
    .objects('Pod')
    .map((s) => s.object)
    .filter((p) => p.meta.namespace === pool.namespace)
    .sort((a, b) => (a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0));
  for (const p of pods) {
    if (!p.ready || p.meta.terminating || p.podIP === '') continue;
    if (!matchesLabels(selector, p.meta.labels)) continue;
    for (const port of pool.targetPorts) {
      const address = endpointAddress(p.podIP, port);
      const owner = taken.get(address);
      if (owner !== undefined) {
        issues.push({
          kind: 'Pod',
          namespace: p.meta.namespace,
          name: p.meta.name,
          field: 'status.podIP',
          message: `endpoint ${address} already belongs to pod ${owner}; skipped`,
        });
        continue;
      }
      taken.set(address, p.meta.name);
      const engineType = p.meta.labels[ENGINE_TYPE_LABEL];
      out.push({
        address,
        ip: p.podIP,
        port,
        podName: p.meta.name,
        namespace: p.meta.namespace,
        labels: p.meta.labels,
        ...(engineType !== undefined && { engineType }),
      });
    }
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function modelsOf(
  set: ResourceSet,
  ns: string,
  poolName: string,
  issues: ReconcileIssue[],
): Map<string, InferenceModelInfo> {
  const out = new Map<string, InferenceModelInfo>();
  const candidates = set
    .objects('InferenceModel')
    .filter((s) => refersTo(s.object.poolRef, ns, s.object.meta.namespace, poolName))
    .sort(compareAge);
  for (const { object: o } of candidates) {
    const winner = out.get(o.modelName);
    if (winner) {
      issues.push({
        kind: 'InferenceModel',
        namespace: o.meta.namespace,
        name: o.meta.name,
        field: 'spec.modelName',
        message: `ModelNameInUse: modelName "${o.modelName}" already belongs to the older InferenceModel ${winner.name}`,
      });
      continue;
    }
    out.set(o.modelName, {
      name: o.meta.name,
      namespace: o.meta.namespace,
      modelName: o.modelName,
      criticality: o.criticality ?? 'Standard',
      criticalitySet: o.criticality !== undefined,
      targetModels: o.targetModels,
      poolName,
      creationTimestamp: o.meta.creationTimestamp,
    });
  }
  return out;
}

function objectivesOf(set: ResourceSet, ns: string, poolName: string): Map<string, InferenceObjectiveInfo> {
  const out = new Map<string, InferenceObjectiveInfo>();
  for (const { object: o } of set.objects('InferenceObjective').sort(compareAge)) {
    if (!refersTo(o.poolRef, ns, o.meta.namespace, poolName) || out.has(o.meta.name)) continue;
    out.set(o.meta.name, {
      name: o.meta.name,
      namespace: o.meta.namespace,
      priority: o.priority ?? 0,
      prioritySet: o.priority !== undefined,
      poolName,
      creationTimestamp: o.meta.creationTimestamp,
    });
  }
  return out;
}

function rewritesOf(set: ResourceSet, ns: string, poolName: string): ModelRewriteInfo[] {
  return set
    .objects('InferenceModelRewrite')
    .filter((s) => refersTo(s.object.poolRef, ns, s.object.meta.namespace, poolName))
    .sort(compareAge)
    .map(({ object: o }) => ({
      name: o.meta.name,
      namespace: o.meta.namespace,
      poolName,
      creationTimestamp: o.meta.creationTimestamp,
      rules: o.rules,
    }));
}

/** Computes the pool's state from everything the source has seen. Pure: same inputs, same snapshot. */
export function reconcile(set: ResourceSet, sel: PoolSelection): PoolSnapshot {
  const issues: ReconcileIssue[] = set.issues();
  const { pool, selector } = selectPool(set, sel);
  const poolName = sel.name;
  return {
    pool,
    endpoints: pool ? endpointsOf(set, pool, selector, issues) : [],
    models: modelsOf(set, sel.namespace, poolName, issues),
    objectives: objectivesOf(set, sel.namespace, poolName),
    rewrites: rewritesOf(set, sel.namespace, poolName),
    issues,
  };
}

/**
 * The rewrite rule for `model`: a rule naming it exactly beats a catch-all rule (no matches); among equals the
 * oldest InferenceModelRewrite wins, then the first rule in its list. `rewrites` must be oldest first.
 */
export function matchRewrite(rewrites: readonly ModelRewriteInfo[], model: string): RewriteMatch | undefined {
  let catchAll: RewriteMatch | undefined;
  for (const rewrite of rewrites) {
    for (const rule of rewrite.rules) {
      if (rule.matches.length === 0) {
        catchAll ??= { rewrite, rule, kind: 'catch-all' };
      } else if (rule.matches.includes(model)) {
        return { rewrite, rule, kind: 'exact' };
      }
    }
  }
  return catchAll;
}

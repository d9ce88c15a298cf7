// Turns one raw Kubernetes object (parsed JSON/YAML) into the internal shape of its kind, or a ReconcileIssue that
// names the object and the field. Version differences (InferencePool v1 vs v1alpha2) end here.
import type { z } from 'zod';
import {
  configMapSchema,
  inferenceModelRewriteSchema,
  inferenceModelSchema,
  inferenceObjectiveSchema,
  inferencePoolV1alpha2Schema,
  inferencePoolV1Schema,
  podSchema,
} from './schemas.js';
import {
  type Criticality,
  type EndpointPickerRef,
  POOL_GROUP_V1,
  POOL_GROUP_V1ALPHA2,
  type PoolGroup,
  type ReconcileIssue,
  type RewriteRule,
  type TargetModel,
} from './types.js';

export interface Meta {
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** '' when absent (objects from a file often have none). */
  creationTimestamp: string;
  /** Parsed creationTimestamp, NaN when absent or invalid. */
  createdMs: number;
  terminating: boolean;
}

export interface PoolRef {
  group?: string;
  kind?: string;
  name: string;
}

export type DecodedObject =
  | {
      kind: 'InferencePool';
      group: PoolGroup;
      meta: Meta;
      selector: Record<string, string>;
      targetPorts: number[];
      appProtocol: 'http' | 'kubernetes.io/h2c';
      endpointPickerRef?: EndpointPickerRef;
    }
  | {
      kind: 'InferenceModel';
      group: string;
      meta: Meta;
      modelName: string;
      criticality?: Criticality;
      targetModels: TargetModel[];
      poolRef: PoolRef;
    }
  | { kind: 'InferenceObjective'; group: string; meta: Meta; priority?: number; poolRef: PoolRef }
  | { kind: 'InferenceModelRewrite'; group: string; meta: Meta; poolRef: PoolRef; rules: RewriteRule[] }
  | { kind: 'Pod'; group: ''; meta: Meta; podIP: string; ready: boolean }
  | { kind: 'ConfigMap'; group: ''; meta: Meta; data: Record<string, string> };

export type DecodeResult = { ok: true; object: DecodedObject } | { ok: false; issue: ReconcileIssue };

export const SUPPORTED_KINDS = [
  'InferencePool',
  'InferenceModel',
  'InferenceObjective',
  'InferenceModelRewrite',
  'Pod',
  'ConfigMap',
] as const;
export type SupportedKind = (typeof SUPPORTED_KINDS)[number];

function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** kind, namespace and name as far as they can be read, for error messages about malformed objects. */
function identity(raw: unknown, defaultNamespace: string): { kind: string; namespace: string; name: string } {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const md = (typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {}) as Record<
    string,
    unknown
  >;
  return {
    kind: str(o.kind) || '<no kind>',
    namespace: str(md.namespace) || defaultNamespace,
    name: str(md.name) || '<no name>',
  };
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function meta(m: z.infer<typeof podSchema>['metadata'], defaultNamespace: string): Meta {
  const ts = m.creationTimestamp ?? '';
  return {
    name: m.name,
    namespace: m.namespace ?? defaultNamespace,
    labels: m.labels ?? {},
    creationTimestamp: ts,
    createdMs: ts === '' ? Number.NaN : Date.parse(ts),
    terminating: m.deletionTimestamp != null && m.deletionTimestamp !== '',
  };
}

function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  defaultNamespace: string,
): { ok: true; value: z.infer<S> } | { ok: false; issue: ReconcileIssue } {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const id = identity(raw, defaultNamespace);
  const first = r.error.issues[0];
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  return {
    ok: false,
    issue: {
      ...id,
      field: first ? fieldPath(first.path) : '',
      message: `${first?.message ?? 'invalid object'}${more}`,
    },
  };
}

/**
 * Validates and converts one object. `defaultNamespace` applies to objects without metadata.namespace
 * (as `kubectl apply -n` would). Unsupported kinds are issues too; callers that read mixed dumps filter first.
 */
export function decodeObject(raw: unknown, defaultNamespace: string): DecodeResult {
  const id = identity(raw, defaultNamespace);
  const apiVersion = str((raw as { apiVersion?: unknown } | null)?.apiVersion);
  const group = groupOf(apiVersion);
  switch (id.kind) {
    case 'InferencePool': {
      if (group === POOL_GROUP_V1) {
        const r = parseWith(inferencePoolV1Schema, raw, defaultNamespace);
        if (!r.ok) return r;
        const s = r.value.spec;
        const ref = s.endpointPickerRef;
        return {
          ok: true,
          object: {
            kind: 'InferencePool',
            group: POOL_GROUP_V1,
            meta: meta(r.value.metadata, defaultNamespace),
            selector: s.selector.matchLabels,
            targetPorts: s.targetPorts.map((p) => p.number),
            appProtocol: s.appProtocol ?? 'http',
            ...(ref && {
              endpointPickerRef: {
                group: ref.group ?? '',
                kind: ref.kind ?? 'Service',
                name: ref.name,
                ...(ref.port && { port: ref.port.number }),
                failureMode: ref.failureMode ?? 'FailClose',
              },
            }),
          },
        };
      }
      if (group === POOL_GROUP_V1ALPHA2) {
        const r = parseWith(inferencePoolV1alpha2Schema, raw, defaultNamespace);
        if (!r.ok) return r;
        const s = r.value.spec;
        const ref = s.extensionRef;
        const kind = ref?.kind ?? 'Service';
        return {
          ok: true,
          object: {
            kind: 'InferencePool',
            group: POOL_GROUP_V1ALPHA2,
            meta: meta(r.value.metadata, defaultNamespace),
            selector: s.selector,
            targetPorts: [s.targetPortNumber],
            appProtocol: 'http',
            ...(ref && {
              endpointPickerRef: {
                group: ref.group ?? '',
                kind,
                name: ref.name,
                // v1alpha2: implementations SHOULD infer 9002 for a Service.
                ...(ref.portNumber !== undefined
                  ? { port: ref.portNumber }
                  : kind === 'Service'
                    ? { port: 9002 }
                    : {}),
                failureMode: ref.failureMode ?? 'FailClose',
              },
            }),
          },
        };
      }
      return {
        ok: false,
        issue: {
          ...id,
          field: 'apiVersion',
          message: `unsupported InferencePool apiVersion "${apiVersion}" (want ${POOL_GROUP_V1}/v1 or ${POOL_GROUP_V1ALPHA2}/v1alpha2)`,
        },
      };
    }
    case 'InferenceModel': {
      const r = parseWith(inferenceModelSchema, raw, defaultNamespace);
      if (!r.ok) return r;
      const s = r.value.spec;
      return {
        ok: true,
        object: {
          kind: 'InferenceModel',
          group,
          meta: meta(r.value.metadata, defaultNamespace),
          modelName: s.modelName,
          ...(s.criticality && { criticality: s.criticality }),
          targetModels: (s.targetModels ?? []).map((t) => (t.weight === undefined ? { name: t.name } : t)),
          poolRef: s.poolRef,
        },
      };
    }
    case 'InferenceObjective': {
      const r = parseWith(inferenceObjectiveSchema, raw, defaultNamespace);
      if (!r.ok) return r;
      const s = r.value.spec;
      return {
        ok: true,
        object: {
          kind: 'InferenceObjective',
          group,
          meta: meta(r.value.metadata, defaultNamespace),
          ...(s.priority != null && { priority: s.priority }),
          poolRef: s.poolRef,
        },
      };
    }
    case 'InferenceModelRewrite': {
      const r = parseWith(inferenceModelRewriteSchema, raw, defaultNamespace);
      if (!r.ok) return r;
      const s = r.value.spec;
      return {
        ok: true,
        object: {
          kind: 'InferenceModelRewrite',
          group,
          meta: meta(r.value.metadata, defaultNamespace),
          poolRef: s.poolRef,
          rules: s.rules.map((rule) => ({
            matches: (rule.matches ?? []).map((m) => m.model.value),
            targets: rule.targets.map((t) => ({ modelRewrite: t.modelRewrite, weight: t.weight ?? 0 })),
          })),
        },
      };
    }
    case 'Pod': {
      const r = parseWith(podSchema, raw, defaultNamespace);
      if (!r.ok) return r;
      const st = r.value.status;
      return {
        ok: true,
        object: {
          kind: 'Pod',
          group: '',
          meta: meta(r.value.metadata, defaultNamespace),
          podIP: st?.podIP ?? '',
          ready: (st?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        },
      };
    }
    case 'ConfigMap': {
      const r = parseWith(configMapSchema, raw, defaultNamespace);
      if (!r.ok) return r;
      return {
        ok: true,
        object: {
          kind: 'ConfigMap',
          group: '',
          meta: meta(r.value.metadata, defaultNamespace),
          data: r.value.data ?? {},
        },
      };
    }
    default:
      return {
        ok: false,
        issue: {
          ...id,
          field: 'kind',
          message: `unsupported kind "${id.kind}" (supported: ${SUPPORTED_KINDS.join(', ')})`,
        },
      };
  }
}

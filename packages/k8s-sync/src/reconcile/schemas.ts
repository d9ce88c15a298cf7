// zod schemas of the Kubernetes objects the EPP reads, validating the fields it uses (the CRD rules that matter
// for routing) and ignoring the rest, as a Kubernetes client does. Unknown fields are stripped, not errors: objects
// come from the API server or a dump of it, which carries status, managedFields and so on.
import { z } from 'zod';
import { POOL_GROUP_V1, POOL_GROUP_V1ALPHA2 } from './types.js';

const labelMap = z.record(z.string(), z.string());

export const objectMetaSchema = z.object({
  name: z.string().min(1, 'metadata.name is required'),
  namespace: z.string().min(1).optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels: labelMap.optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().nullable().optional(),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

const port = z.int().min(1).max(65535);
const failureMode = z.enum(['FailOpen', 'FailClose']);
const dnsGroup = z
  .string()
  .max(253)
  .regex(
    /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS subdomain or empty',
  );
const refKind = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, 'must be a Kubernetes kind name');

/** InferencePool inference.networking.k8s.io/v1 (GA). */
export const inferencePoolV1Schema = z.object({
  apiVersion: z.literal(`${POOL_GROUP_V1}/v1`),
  kind: z.literal('InferencePool'),
  metadata: objectMetaSchema,
  spec: z.object({
    selector: z.object({
      matchLabels: labelMap.refine((m) => {
        const n = Object.keys(m).length;
        return n >= 1 && n <= 64;
      }, 'must have 1 to 64 labels'),
    }),
    targetPorts: z
      .array(z.object({ number: port }))
      .min(1, 'at least one target port is required')
      .max(8, 'at most 8 target ports are allowed')
      .refine((ps) => new Set(ps.map((p) => p.number)).size === ps.length, 'port number must be unique'),
    appProtocol: z.enum(['http', 'kubernetes.io/h2c']).optional(),
    endpointPickerRef: z
      .object({
        group: dnsGroup.optional(),
        kind: refKind.optional(),
        name: z.string().min(1).max(253),
        port: z.object({ number: port }).optional(),
        failureMode: failureMode.optional(),
      })
      .refine(
        (r) => (r.kind ?? 'Service') !== 'Service' || r.port !== undefined,
        "port is required when kind is 'Service' or unspecified (defaults to 'Service')",
      )
      .optional(),
  }),
});

/** InferencePool inference.networking.x-k8s.io/v1alpha2 (GAIE <= v1.4). */
export const inferencePoolV1alpha2Schema = z.object({
  apiVersion: z.literal(`${POOL_GROUP_V1ALPHA2}/v1alpha2`),
  kind: z.literal('InferencePool'),
  metadata: objectMetaSchema,
  spec: z.object({
    selector: labelMap.refine((m) => Object.keys(m).length >= 1, 'must have at least one label'),
    targetPortNumber: port,
    extensionRef: z
      .object({
        group: dnsGroup.optional(),
        kind: refKind.optional(),
        name: z.string().min(1).max(253),
        portNumber: port.optional(),
        failureMode: failureMode.optional(),
      })
      .optional(),
  }),
});

const poolRefSchema = z.object({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().min(1),
});

/** InferenceModel inference.networking.x-k8s.io/v1alpha2 (GAIE <= v0.5). */
export const inferenceModelSchema = z.object({
  apiVersion: z.literal(`${POOL_GROUP_V1ALPHA2}/v1alpha2`),
  kind: z.literal('InferenceModel'),
  metadata: objectMetaSchema,
  spec: z.object({
    modelName: z.string().min(1).max(256),
    criticality: z.enum(['Critical', 'Standard', 'Sheddable']).optional(),
    targetModels: z
      .array(z.object({ name: z.string().min(1).max(253), weight: z.int().min(1).max(1_000_000).optional() }))
      .max(10, 'at most 10 target models are allowed')
      .refine(
        (ts) => ts.every((t) => t.weight !== undefined) || ts.every((t) => t.weight === undefined),
        'weights must be set for all targetModels or for none',
      )
      .optional(),
    poolRef: poolRefSchema,
  }),
});

/** InferenceObjective v1alpha2 (GAIE v1.0-v1.5 group x-k8s.io; llm-d-router llm-d.ai). */
export const inferenceObjectiveSchema = z.object({
  apiVersion: z.enum([`${POOL_GROUP_V1ALPHA2}/v1alpha2`, 'llm-d.ai/v1alpha2']),
  kind: z.literal('InferenceObjective'),
  metadata: objectMetaSchema,
  spec: z.object({
    priority: z.int().min(-2147483648).max(2147483647).nullable().optional(),
    poolRef: poolRefSchema,
  }),
});

/** InferenceModelRewrite v1alpha2 (GAIE v1.2-v1.5; llm-d-router). */
export const inferenceModelRewriteSchema = z.object({
  apiVersion: z.enum([`${POOL_GROUP_V1ALPHA2}/v1alpha2`, 'llm-d.ai/v1alpha2']),
  kind: z.literal('InferenceModelRewrite'),
  metadata: objectMetaSchema,
  spec: z.object({
    poolRef: poolRefSchema,
    rules: z
      .array(
        z.object({
          matches: z
            .array(
              z.object({
                model: z.object({ type: z.literal('Exact').optional(), value: z.string().min(1) }),
              }),
            )
            .optional(),
          targets: z
            .array(
              z.object({ modelRewrite: z.string().min(1), weight: z.int().min(1).max(1_000_000).optional() }),
            )
            .min(1, 'at least one target is required'),
        }),
      )
      .min(1, 'at least one rule is required'),
  }),
});

export const podSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: objectMetaSchema,
  status: z
    .object({
      podIP: z.string().optional(),
      phase: z.string().optional(),
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});

export const configMapSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: objectMetaSchema,
  data: z.record(z.string(), z.string()).nullable().optional(),
});

export type InferencePoolV1 = z.infer<typeof inferencePoolV1Schema>;
export type InferencePoolV1alpha2 = z.infer<typeof inferencePoolV1alpha2Schema>;
export type InferenceModelObject = z.infer<typeof inferenceModelSchema>;
export type InferenceObjectiveObject = z.infer<typeof inferenceObjectiveSchema>;
export type InferenceModelRewriteObject = z.infer<typeof inferenceModelRewriteSchema>;
export type PodObject = z.infer<typeof podSchema>;
export type ConfigMapObject = z.infer<typeof configMapSchema>;

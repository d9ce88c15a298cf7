// The control headers a client (or an upstream filter) sets for the EPP. They are consumed and stripped before the
// request goes on; the llm-d names (llm-d-router pkg/epp/metadata/consts.go) are accepted as aliases, the llm-d
// name winning when both are present.
import { randomUUID } from 'node:crypto';

export const OBJECTIVE_HEADERS = ['x-llm-d-inference-objective', 'x-gateway-inference-objective'] as const;
export const REWRITE_HEADERS = ['x-llm-d-model-name-rewrite', 'x-gateway-model-name-rewrite'] as const;
export const FAIRNESS_HEADERS = ['x-llm-d-inference-fairness-id', 'x-gateway-inference-fairness-id'] as const;
export const REQUEST_ID_HEADER = 'x-request-id';
export const DEFAULT_FAIRNESS_ID = 'default-flow';

export interface HeaderLookup {
  /** Lower-cased name lookup. */
  get(name: string): string | undefined;
}

export interface ControlHeaders {
  /** InferenceObjective name; undefined when absent or empty. */
  objective?: string;
  /** Target model name from the rewrite header; undefined when absent or empty. */
  rewrite?: string;
  fairnessId: string;
  requestId: string;
  /** True when x-request-id was absent and generated here (then it must be set on the forwarded request). */
  requestIdGenerated: boolean;
  /** Names present on the request that must be removed from it. */
  present: string[];
}

function first(h: HeaderLookup, names: readonly string[], present: string[]): string | undefined {
  let value: string | undefined;
  for (const n of names) {
    const v = h.get(n);
    if (v === undefined) continue;
    present.push(n);
    if (value === undefined && v !== '') value = v;
  }
  return value;
}

export function readControlHeaders(h: HeaderLookup): ControlHeaders {
  const present: string[] = [];
  const objective = first(h, OBJECTIVE_HEADERS, present);
  const rewrite = first(h, REWRITE_HEADERS, present);
  const fairnessId = first(h, FAIRNESS_HEADERS, present) ?? DEFAULT_FAIRNESS_ID;
  const existing = h.get(REQUEST_ID_HEADER);
  const requestIdGenerated = existing === undefined || existing === '';
  const out: ControlHeaders = {
    fairnessId,
    requestId: requestIdGenerated ? randomUUID() : (existing as string),
    requestIdGenerated,
    present,
  };
  if (objective !== undefined) out.objective = objective;
  if (rewrite !== undefined) out.rewrite = rewrite;
  return out;
}

// The director ([G]@v1.0.0 requestcontrol/director.go): body -> model, prompt, objective -> admission ->
// candidates -> scheduler -> destination. Pure over its inputs (datastore view, rng, clock): no I/O, no logging;
// the processor turns the outcome into ext_proc replies, logs and metrics.
import type { PrefixMatchInfo } from '@igw/scorer-wasm';
import type { Datastore, ScheduleResult } from '../datastore/types.js';
import { type ParsedRequest, parseRequestBody, rewriteModel } from './body.js';
import type { ControlHeaders } from './control-headers.js';
import { MSG, type Rejection, reject } from './rejection.js';
import { type ModelResolution, resolveModel } from './resolution.js';
import type { Rng } from './rng.js';
import { filterBySubset, subsetHintIps } from './subset.js';

export type EndpointScores = NonNullable<Extract<ScheduleResult, { status: 'ok' }>['scores']>;

export interface DirectorInput {
  body: Buffer;
  control: ControlHeaders;
  /** metadata_context filter_metadata as plain JSON. */
  metadata: Record<string, unknown>;
  nowMs: number;
}

export interface DirectorOptions {
  /** --disable-endpoint-subset-filter: ignore envoy.lb.subset_hint. */
  disableSubsetFilter: boolean;
  /** Ask the scheduler for per-endpoint scores (--emit-endpoint-scores, or debug logging). */
  wantScores: boolean;
}

export interface DirectorDecision {
  parsed: ParsedRequest;
  resolution: ModelResolution;
  /** Primary first, then fallbacks ('ip:port'). */
  endpoints: string[];
  /** The destination header / metadata value: endpoints joined with ','. */
  destination: string;
  /** Replacement body when the model changed; undefined = forward the original bytes. */
  body?: Buffer;
  scores?: EndpointScores;
  /** Seconds spent in the scheduler call. */
  schedulerSeconds: number;
  /** Endpoint addresses the subset hint allowed (undefined = no hint). */
  subset?: string[];
  /** The primary pick's prefix-cache match (set when the profile has the prefix-cache scorer). */
  prefix?: PrefixMatchInfo;
}

/** A rejection, with whatever the director had resolved by then (for logs and error metrics). */
export interface DirectorRejection extends Rejection {
  parsed?: ParsedRequest;
  resolution?: ModelResolution;
}

type DirectorStore = Pick<Datastore, 'matchRewrite' | 'model' | 'objective' | 'endpoints' | 'scheduler'>;

export function direct(
  input: DirectorInput,
  ds: DirectorStore,
  rng: Rng,
  opts: DirectorOptions,
): DirectorDecision | DirectorRejection {
  const parsed = parseRequestBody(input.body);
  if ('rejected' in parsed) return parsed;
  const resolution = resolveModel(parsed.model, input.control, ds, rng);
  const fail = (r: Rejection): DirectorRejection => ({ ...r, parsed, resolution });

  // Legacy v0.3 profile: v0.3 refused a model without an InferenceModel (404 BadConfiguration) rather than
  // guess its criticality; an InferenceModel with criticality unset or Standard takes the sheddable path.
  if (ds.scheduler.legacyProfile && resolution.criticality === undefined) {
    return fail(reject('BadConfiguration', MSG.noInferenceModel(parsed.model)));
  }

  // Admission: only sheddable traffic is ever refused for saturation.
  if (resolution.priority < 0 && ds.scheduler.isSaturated(input.nowMs)) {
    return fail(reject('InferencePoolResourceExhausted', MSG.saturated));
  }

  const all = ds.endpoints();
  if (all.length === 0) return fail(reject('ServiceUnavailable', MSG.noCandidates));
  let subset: string[] | undefined;
  if (!opts.disableSubsetFilter) {
    const ips = subsetHintIps(input.metadata);
    if (ips !== null) {
      subset = filterBySubset(all, ips);
      if (subset.length === 0) return fail(reject('ServiceUnavailable', MSG.noCandidates));
    }
  }

  const t0 = performance.now();
  const result = ds.scheduler.schedule({
    prompt: parsed.prompt,
    targetModel: resolution.target,
    priority: resolution.priority,
    ...(resolution.criticality ? { criticality: resolution.criticality } : {}),
    subsetHint: subset ?? null,
    nowMs: input.nowMs,
    wantScores: opts.wantScores,
  });
  const schedulerSeconds = (performance.now() - t0) / 1000;

  switch (result.status) {
    case 'no-candidates':
      return fail(reject('ServiceUnavailable', MSG.noCandidates));
    case 'shed':
      return fail(reject('InferencePoolResourceExhausted', result.message));
    case 'error':
      return fail(reject('InferencePoolResourceExhausted', MSG.schedulerFailed(result.message)));
  }
  if (result.endpoints.length === 0) return fail(reject('Internal', MSG.emptyResult));

  const decision: DirectorDecision = {
    parsed,
    resolution,
    endpoints: result.endpoints,
    destination: result.endpoints.join(','),
    schedulerSeconds,
  };
  if (resolution.target !== parsed.model) decision.body = rewriteModel(parsed, resolution.target);
  if (result.scores) decision.scores = result.scores;
  if (result.prefix) decision.prefix = result.prefix;
  if (subset) decision.subset = subset;
  return decision;
}

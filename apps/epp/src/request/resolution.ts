// Director steps 2 and 4: which model the request goes to and how important it is.
//  target:   an InferenceModelRewrite rule matching the client's model (precedence decided by the datastore:
//            exact > catch-all > oldest > first rule) with a weighted pick among its targets, overriding the
//            rewrite header; else the rewrite header; else the InferenceModel (v1alpha2) for the model with a
//            weighted pick among its targetModels; else the model as sent.
//  priority: the InferenceObjective named by the objective header (unset priority or unknown objective = 0);
//            without the header, a v1alpha2 InferenceModel's criticality maps Sheddable -> -1, others -> 0.
import { priorityFromCriticality } from '@igw/scorer-wasm';
import type { Criticality, Datastore } from '../datastore/types.js';
import { type Rng, weightedPick } from './rng.js';

export interface ModelResolution {
  /** `model` as the client sent it. */
  incoming: string;
  /** The model the request is scheduled for and forwarded with. */
  target: string;
  priority: number;
  /**
   * Set exactly when an InferenceModel names the incoming model ('Standard' when its criticality is unset, the
   * sheddable path of the legacy v0.3 profile); undefined = no InferenceModel, which the legacy profile answers 404.
   */
  criticality?: Criticality;
  /** metadata.name of the InferenceModelRewrite that picked the target. */
  rewriteName?: string;
  /** What decided the target, for logs. */
  source: 'rewrite-rule' | 'rewrite-header' | 'inference-model' | 'as-sent';
}

type ResolutionStore = Pick<Datastore, 'matchRewrite' | 'model' | 'objective'>;

export function resolveModel(
  incoming: string,
  headers: { rewrite?: string; objective?: string },
  ds: ResolutionStore,
  rng: Rng,
): ModelResolution {
  const inferenceModel = ds.model(incoming);
  let target = incoming;
  let source: ModelResolution['source'] = 'as-sent';
  let rewriteName: string | undefined;

  const match = ds.matchRewrite(incoming);
  const picked = match ? weightedPick(match.rule.targets, (t) => t.weight, rng) : undefined;
  if (match && picked) {
    target = picked.modelRewrite;
    rewriteName = match.rewrite.name;
    source = 'rewrite-rule';
  } else if (headers.rewrite !== undefined) {
    target = headers.rewrite;
    source = 'rewrite-header';
  } else if (inferenceModel && inferenceModel.targetModels.length > 0) {
    const tm = weightedPick(inferenceModel.targetModels, (t) => t.weight, rng);
    if (tm) {
      target = tm.name;
      source = 'inference-model';
    }
  }

  let priority = 0;
  const objective = headers.objective !== undefined ? ds.objective(headers.objective) : undefined;
  if (objective) priority = objective.priority;
  else if (headers.objective === undefined) priority = priorityFromCriticality(inferenceModel?.criticality);

  const out: ModelResolution = { incoming, target, priority, source };
  if (inferenceModel) out.criticality = inferenceModel.criticality;
  if (rewriteName !== undefined) out.rewriteName = rewriteName;
  return out;
}

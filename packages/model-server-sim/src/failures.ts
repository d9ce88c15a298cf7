// Failure injection with llm-d-inference-sim's types and statuses: a request fails with probability rate/100,
// with a type drawn uniformly from the configured ones (all of them when none are configured).

import { SimError } from './errors.js';
import type { Rng } from './random.js';

export const FAILURE_TYPES = [
  'rate_limit',
  'invalid_api_key',
  'context_length',
  'server_error',
  'invalid_request',
  'model_not_found',
] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

export interface FailureInjection {
  /** Percent of requests to fail, 0..100. */
  rate: number;
  types: FailureType[];
}

export function validateFailureInjection(f: FailureInjection): FailureInjection {
  if (!(f.rate >= 0 && f.rate <= 100))
    throw new RangeError('failure injection rate must be within 0..100 (percent)');
  for (const t of f.types) {
    if (!(FAILURE_TYPES as readonly string[]).includes(t))
      throw new RangeError(`unknown failure type "${t}" (known: ${FAILURE_TYPES.join(', ')})`);
  }
  return { rate: f.rate, types: [...f.types] };
}

export function maybeInjectFailure(f: FailureInjection, rng: Rng, model: string): SimError | null {
  if (f.rate <= 0 || rng.next() * 100 >= f.rate) return null;
  const types = f.types.length > 0 ? f.types : FAILURE_TYPES;
  const t = types[Math.floor(rng.next() * types.length)]!;
  return failureError(t, model);
}

export function failureError(t: FailureType, model: string): SimError {
  switch (t) {
    case 'rate_limit':
      return new SimError(
        'injected',
        `Rate limit reached for ${model} in organization org-xxx on requests per min (RPM): Limit 3, Used 3, Requested 1.`,
        { status: 429 },
      );
    case 'invalid_api_key':
      return new SimError('injected', 'Incorrect API key provided.', { status: 401 });
    case 'context_length':
      return new SimError(
        'injected',
        "This model's maximum context length is 4096 tokens. However, your messages resulted in 4500 tokens.",
        { status: 400, param: 'messages' },
      );
    case 'server_error':
      return new SimError('injected', 'The server is overloaded or not ready yet.', { status: 503 });
    case 'invalid_request':
      return new SimError('injected', "Invalid request: missing required parameter 'model'.", {
        status: 400,
        param: 'model',
      });
    case 'model_not_found':
      return new SimError('injected', `The model '${model}-nonexistent' does not exist`, {
        status: 404,
        param: 'model',
      });
  }
}

// The three workloads of the routing benchmark, generated from a seed: every request's arrival time (Poisson),
// model or adapter, prompt text and output length. All lengths are in tokens of the simulator (4 characters each),
// all times in simulated seconds.
import { deriveSeed, logNormalInt, mulberry32, poissonArrivals, randomText, weightedIndex } from './rng.mjs';

/**
 * @typedef {{ t: number, model: string, prompt: string, promptTokens: number, maxTokens: number, group?: number }} WorkRequest
 * @typedef {{ name: string, title: string, describe: string, params: Record<string, unknown>,
 *   generate: (o: { seed: number, qps: number, durationS: number, salt: string, model: string }) => WorkRequest[] }} Workload
 */

/** Characters per simulator token. */
export const CHARS_PER_TOKEN = 4;
/** Every prompt starts with a salt of this many tokens (unique per run point, shorter than one 16-token block). */
export const SALT_TOKENS = 4;

/** @param {number} n */
export function saltFor(n) {
  return `${(n >>> 0).toString(36).padStart(14, '0').slice(-14)}: `;
}

export const SHARED_PREFIX = {
  groups: 48,
  promptsPerGroup: 5,
  systemTokens: 4000,
  questionTokens: 200,
  outputTokens: 64,
};

export const LENGTH_MIX = {
  promptMedian: 1200,
  promptSigma: 0.8,
  promptMin: 16,
  promptMax: 6000,
  outputMedian: 48,
  outputSigma: 0.7,
  outputMin: 4,
  outputMax: 256,
};

/** Upstream's multi-LoRA benchmark split: 5 adapters at 12%, 5 at 6%, 5 at 2%. */
export const LORA_MIX = {
  adapters: Array.from({ length: 15 }, (_, i) => `adapter-${String(i).padStart(2, '0')}`),
  weights: [12, 12, 12, 12, 12, 6, 6, 6, 6, 6, 2, 2, 2, 2, 2],
};

/** @type {Workload} */
export const sharedPrefix = {
  name: 'shared-prefix',
  title: 'Shared prefix',
  describe: `${SHARED_PREFIX.groups} groups x ${SHARED_PREFIX.promptsPerGroup} users; each group shares a ${SHARED_PREFIX.systemTokens}-token system prompt, each user adds a ${SHARED_PREFIX.questionTokens}-token question; ${SHARED_PREFIX.outputTokens} output tokens (ignore_eos); each request picks a (group, user) uniformly (upstream: 150 x 5, 6,000 + 1,200 in, 1,000 out)`,
  params: { ...SHARED_PREFIX },
  generate({ seed, qps, durationS, salt, model }) {
    const p = SHARED_PREFIX;
    const textRng = mulberry32(deriveSeed(seed, 'shared-prefix/text'));
    /** @type {string[]} */
    const systems = [];
    /** @type {string[][]} */
    const questions = [];
    for (let g = 0; g < p.groups; g++) {
      systems.push(randomText(textRng, p.systemTokens));
      const qs = [];
      for (let u = 0; u < p.promptsPerGroup; u++) qs.push(randomText(textRng, p.questionTokens));
      questions.push(qs);
    }
    const arrivals = poissonArrivals(
      mulberry32(deriveSeed(seed, `shared-prefix/arrivals/${qps}`)),
      qps,
      durationS,
    );
    const pick = mulberry32(deriveSeed(seed, `shared-prefix/pick/${qps}`));
    return arrivals.map((t) => {
      const g = (pick() * p.groups) | 0;
      const u = (pick() * p.promptsPerGroup) | 0;
      return {
        t,
        model,
        prompt: salt + systems[g] + questions[g][u],
        promptTokens: SALT_TOKENS + p.systemTokens + p.questionTokens,
        maxTokens: p.outputTokens,
        group: g,
      };
    });
  },
};

/**
 * @param {number} seed @param {string} label @param {number} qps @param {number} durationS @param {string} salt
 * @param {(rng: () => number) => string} modelOf
 */
function lengthMixRequests(seed, label, qps, durationS, salt, modelOf) {
  const m = LENGTH_MIX;
  const arrivals = poissonArrivals(mulberry32(deriveSeed(seed, `${label}/arrivals/${qps}`)), qps, durationS);
  const rng = mulberry32(deriveSeed(seed, `${label}/lengths/${qps}`));
  return arrivals.map((t) => {
    const promptTokens = logNormalInt(rng, m.promptMedian, m.promptSigma, m.promptMin, m.promptMax);
    const maxTokens = logNormalInt(rng, m.outputMedian, m.outputSigma, m.outputMin, m.outputMax);
    const model = modelOf(rng);
    return {
      t,
      model,
      prompt: salt + randomText(rng, promptTokens),
      promptTokens: SALT_TOKENS + promptTokens,
      maxTokens,
    };
  });
}

/** @type {Workload} */
export const lengthMix = {
  name: 'sharegpt-like',
  title: 'ShareGPT-like length mix',
  describe: `no sharing; prompt tokens log-normal (median ${LENGTH_MIX.promptMedian}, sigma ${LENGTH_MIX.promptSigma}, ${LENGTH_MIX.promptMin}-${LENGTH_MIX.promptMax}), output tokens log-normal (median ${LENGTH_MIX.outputMedian}, sigma ${LENGTH_MIX.outputSigma}, ${LENGTH_MIX.outputMin}-${LENGTH_MIX.outputMax}, ignore_eos); ShareGPT's shape with prompts stretched and outputs shortened so the knee is prefill-bound at rates this machine can stream`,
  params: { ...LENGTH_MIX },
  generate({ seed, qps, durationS, salt, model }) {
    return lengthMixRequests(seed, 'sharegpt', qps, durationS, salt, () => model);
  },
};

/** @type {Workload} */
export const multiLora = {
  name: 'multi-lora',
  title: 'Multi-LoRA mix',
  describe: `the length mix above, each request for one of ${LORA_MIX.adapters.length} adapters drawn with weights 5 x 12%, 5 x 6%, 5 x 2% (upstream's multilora split)`,
  params: { ...LENGTH_MIX, adapters: LORA_MIX.adapters.length, weights: LORA_MIX.weights },
  generate({ seed, qps, durationS, salt }) {
    return lengthMixRequests(
      seed,
      'lora',
      qps,
      durationS,
      salt,
      (rng) => LORA_MIX.adapters[weightedIndex(rng, LORA_MIX.weights)],
    );
  },
};

export const WORKLOADS = [sharedPrefix, lengthMix, multiLora];

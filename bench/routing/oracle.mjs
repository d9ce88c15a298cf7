// Offline oracle for prefix caching: the prefill tokens a cluster would still compute if every prompt block stayed
// cached on the pod it was first sent to and every later request sharing it went there (unbounded cache, perfect
// stickiness). Blocks are 16 tokens = 64 characters chained as in the simulator, at least one token per request is
// always computed (as vLLM).

export const BLOCK_CHARS = 64;
const BLOCK_TOKENS = 16;

/**
 * Chained block keys of a prompt: key i identifies blocks 0..i (FNV-1a over the block, seeded by the previous key).
 * @param {string} text
 * @returns {string[]}
 */
export function blockKeys(text) {
  const n = Math.floor(text.length / BLOCK_CHARS);
  const keys = new Array(n);
  // Two independent 32-bit FNV-1a chains make a 64-bit key, so collisions among ~10^5 blocks are negligible.
  let h = 0x811c9dc5;
  let g = 0x050c5d1f;
  for (let b = 0; b < n; b++) {
    let k = h ^ 0x9e3779b9;
    let j = g ^ 0x7f4a7c15;
    const end = (b + 1) * BLOCK_CHARS;
    for (let i = b * BLOCK_CHARS; i < end; i++) {
      const c = text.charCodeAt(i);
      k = Math.imul(k ^ c, 0x01000193) >>> 0;
      j = Math.imul(j ^ (c + 0x55), 0x01000193) >>> 0;
    }
    h = k;
    g = j;
    keys[b] = `${k.toString(36)}.${j.toString(36)}`;
  }
  return keys;
}

/**
 * Requests before `fromT` (the warm-up) fill the oracle's cache but are not counted.
 * @param {{ prompt: string, promptTokens: number, model?: string, t?: number }[]} requests in arrival order
 * @param {number} [fromT]
 * @returns {{ promptTokens: number, prefillTokens: number, cachedTokens: number, hitRate: number }}
 */
export function oracleBound(requests, fromT = 0) {
  /** @type {Set<string>} */
  const seen = new Set();
  let promptTokens = 0;
  let prefillTokens = 0;
  for (const r of requests) {
    const keys = blockKeys(r.prompt);
    const ns = r.model ?? '';
    let hit = 0;
    while (hit < keys.length && seen.has(`${ns}/${keys[hit]}`)) hit++;
    for (let i = hit; i < keys.length; i++) seen.add(`${ns}/${keys[i]}`);
    if ((r.t ?? 0) < fromT) continue;
    const cached = Math.min(hit * BLOCK_TOKENS, r.promptTokens - 1);
    promptTokens += r.promptTokens;
    prefillTokens += r.promptTokens - cached;
  }
  return {
    promptTokens,
    prefillTokens,
    cachedTokens: promptTokens - prefillTokens,
    hitRate: promptTokens === 0 ? 0 : (promptTokens - prefillTokens) / promptTokens,
  };
}

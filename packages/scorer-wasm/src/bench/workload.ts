// Deterministic benchmark workload: pools with varied metrics and prompts that share prefixes the way chat
// traffic does (a few long system prompts, many distinct tails).
import { Mulberry32 } from '../reference/rng.js';
import type { EndpointMetricsUpdate } from '../types.js';

export function poolMetrics(n: number, seed: number): EndpointMetricsUpdate[] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: n }, () => ({
    waitingQueueSize: Math.floor(rng.next() * 12),
    runningRequestsSize: Math.floor(rng.next() * 40),
    kvCacheUsagePercent: rng.next() * 0.95,
    maxActiveModels: 4,
    activeModels: [`lora-${Math.floor(rng.next() * 8)}`],
    waitingModels: [],
    updatedAtMs: 1_000_000,
  }));
}

const WORDS = 'the of and to in is you that it he was for on are as with his they at be this have from'.split(
  ' ',
);

function text(rng: Mulberry32, bytes: number): string {
  let s = '';
  while (s.length < bytes) s += `${WORDS[Math.floor(rng.next() * WORDS.length)]} `;
  return s.slice(0, bytes);
}

/** `count` prompts of `bytes` ASCII bytes: 8 shared system prefixes (half the length) + distinct tails. */
export function prompts(count: number, bytes: number, seed: number): string[] {
  if (bytes === 0) return [''];
  const rng = new Mulberry32(seed);
  const systems = Array.from({ length: 8 }, () => text(rng, Math.floor(bytes / 2)));
  return Array.from({ length: count }, (_, i) => {
    const sys = systems[i % systems.length]!;
    return sys + text(rng, bytes - sys.length);
  });
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

// Reference v0.3 filter tree, written as the nested structure upstream used.
import type { LegacyTreeParams } from '../types.js';
import type { RefEndpoint } from './reference-scheduler.js';
import type { Mulberry32 } from './rng.js';

type Filter = (pods: RefEndpoint[]) => RefEndpoint[] | 'error' | 'drop';

interface Node {
  filter: Filter;
  onSuccess?: Node;
  onFailure?: Node;
  onBoth?: Node;
}

function run(node: Node, pods: RefEndpoint[]): RefEndpoint[] | 'error' | 'drop' {
  const r = node.filter(pods);
  if (r === 'drop') return r;
  if (r !== 'error' && r.length > 0) {
    const next = node.onSuccess ?? node.onBoth;
    return next ? run(next, r) : r;
  }
  const next = node.onFailure ?? node.onBoth;
  return next ? run(next, pods) : r;
}

function least(key: (e: RefEndpoint) => number, integer: boolean): Filter {
  return (pods) => {
    if (pods.length === 0) return [];
    const vals = pods.map(key);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const thr = integer ? lo + Math.floor((hi - lo) / pods.length) : lo + (hi - lo) / pods.length;
    return pods.filter((e) => key(e) >= lo && key(e) <= thr);
  };
}

/** Returns the picked endpoint, 'drop' (sheddable and no capacity) or null (nothing left). */
export function legacyTree(
  cands: RefEndpoint[],
  critical: boolean,
  target: string,
  p: LegacyTreeParams,
  rng: Mulberry32,
): RefEndpoint | 'drop' | null {
  const leastQueue = least((e) => e.waiting, true);
  const leastKv = least((e) => e.kv, false);
  const lora: Filter = (pods) => {
    const affinity = pods.filter((e) => e.active.has(target));
    const available = pods.filter((e) => !e.active.has(target) && e.active.size < e.maxLora);
    if (affinity.length > 0 && available.length > 0)
      return rng.next() < p.loraAffinityThreshold ? affinity : available;
    return affinity.length > 0 ? affinity : available;
  };
  const predicate =
    (ok: (e: RefEndpoint) => boolean): Filter =>
    (pods) => {
      const r = pods.filter(ok);
      return r.length === 0 ? 'error' : r;
    };
  const queueLoraKv: Node = { filter: leastQueue, onBoth: { filter: lora, onBoth: { filter: leastKv } } };
  const tree: Node = critical
    ? {
        filter: predicate((e) => e.waiting < p.queueingThresholdLoRA),
        onSuccess: { filter: lora, onBoth: { filter: leastQueue, onBoth: { filter: leastKv } } },
        onFailure: queueLoraKv,
      }
    : {
        filter: predicate((e) => e.waiting <= p.queueThresholdCritical && e.kv <= p.kvCacheThreshold),
        onSuccess: queueLoraKv,
        onFailure: { filter: () => 'drop' },
      };
  const r = run(tree, cands);
  if (r === 'drop') return 'drop';
  if (r === 'error' || r.length === 0) return null;
  return r[Math.floor(rng.next() * r.length)]!;
}

// The v0.3 filter tree (critical vs sheddable). Each node writes its output into its own buffer; a node that
// fails (empty result or error) hands the ORIGINAL input to its failure branch.
import { legAffinity, legKv, legQCrit, legQLora } from './config';
import { capA, capE, pActive, pKv, pLegacy, pMaxLora, pNActive, pWaiting } from './layout';
import { nextF64 } from './rng';

const F_LOW_QUEUE: i32 = 0; // predicate q < queueingThresholdLoRA
const F_HAS_CAPACITY: i32 = 1; // predicate q <= queueThresholdCritical && kv <= kvCacheThreshold
const F_LEAST_QUEUE: i32 = 2;
const F_LEAST_KV: i32 = 3;
const F_LORA: i32 = 4;
const F_DROP: i32 = 5;

const ERR: i32 = -1;
const DROP: i32 = -2;

// node tables: filter kind, next on success, next on failure, next on success-or-failure (-1 = none)
const KIND: StaticArray<i32> = [F_LOW_QUEUE, F_LORA, F_LEAST_QUEUE, F_LEAST_QUEUE, F_LEAST_KV, F_LORA, F_LEAST_KV, F_HAS_CAPACITY, F_LEAST_QUEUE, F_LORA, F_LEAST_KV, F_DROP];
const SUCC: StaticArray<i32> = [1, -1, -1, -1, -1, -1, -1, 8, -1, -1, -1, -1];
const FAIL: StaticArray<i32> = [2, -1, -1, -1, -1, -1, -1, 11, -1, -1, -1, -1];
const BOTH: StaticArray<i32> = [-1, 3, 5, 4, -1, 6, -1, -1, 9, 10, -1, -1];

export let resultPtr: usize = 0;

@inline
function at(p: usize, i: i32): usize {
  return <usize>load<i32>(p + (<usize>i << 2));
}

function hasActive(s: usize, target: u32): bool {
  if (target == 0) return false;
  const n = load<i32>(pNActive + (s << 2));
  const row = pActive + s * <usize>capA * 4;
  for (let k = 0; k < n; k++) if (load<u32>(row + (<usize>k << 2)) == target) return true;
  return false;
}

function leastOf(col: usize, inp: usize, n: i32, out: usize, integer: bool): i32 {
  if (n == 0) return 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = load<f64>(col + (at(inp, i) << 3));
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const thr = integer ? lo + Math.floor((hi - lo) / <f64>n) : lo + (hi - lo) / <f64>n;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = at(inp, i);
    const v = load<f64>(col + (s << 3));
    if (v >= lo && v <= thr) store<i32>(out + (<usize>(m++) << 2), <i32>s);
  }
  return m;
}

function lora(inp: usize, n: i32, out: usize, target: u32): i32 {
  // affinity first into out, available after it; then keep one group
  let na = 0;
  for (let i = 0; i < n; i++) if (hasActive(at(inp, i), target)) store<i32>(out + (<usize>(na++) << 2), <i32>at(inp, i));
  let nv = 0;
  const avail = out + (<usize>na << 2);
  for (let i = 0; i < n; i++) {
    const s = at(inp, i);
    if (!hasActive(s, target) && <f64>load<i32>(pNActive + (s << 2)) < load<f64>(pMaxLora + (s << 3))) {
      store<i32>(avail + (<usize>(nv++) << 2), <i32>s);
    }
  }
  if (na > 0 && nv > 0) {
    if (nextF64() < legAffinity) return na;
    memory.copy(out, avail, <usize>nv << 2);
    return nv;
  }
  if (na > 0) return na;
  if (nv > 0) memory.copy(out, avail, <usize>nv << 2);
  return nv;
}

function apply(kind: i32, inp: usize, n: i32, out: usize, target: u32): i32 {
  if (kind == F_LOW_QUEUE || kind == F_HAS_CAPACITY) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const s = at(inp, i);
      const q = load<f64>(pWaiting + (s << 3));
      const ok = kind == F_LOW_QUEUE ? q < legQLora : q <= legQCrit && load<f64>(pKv + (s << 3)) <= legKv;
      if (ok) store<i32>(out + (<usize>(m++) << 2), <i32>s);
    }
    return m == 0 ? ERR : m;
  }
  if (kind == F_LEAST_QUEUE) return leastOf(pWaiting, inp, n, out, true);
  if (kind == F_LEAST_KV) return leastOf(pKv, inp, n, out, false);
  if (kind == F_LORA) return lora(inp, n, out, target);
  return DROP;
}

function run(id: i32, inp: usize, n: i32, target: u32): i32 {
  const out = pLegacy + <usize>id * <usize>capE * 4;
  const m = apply(unchecked(KIND[id]), inp, n, out, target);
  if (m == DROP) return DROP;
  const both = unchecked(BOTH[id]);
  if (m > 0) {
    const s = unchecked(SUCC[id]);
    if (s >= 0) return run(s, out, m, target);
    if (both >= 0) return run(both, out, m, target);
    resultPtr = out;
    return m;
  }
  const f = unchecked(FAIL[id]);
  if (f >= 0) return run(f, inp, n, target);
  if (both >= 0) return run(both, inp, n, target);
  resultPtr = out;
  return m;
}

/** Runs the tree over n slots at `cand`; returns the picked slot, -2 when dropped, -1 when nothing is left. */
export function legacyPick(cand: usize, n: i32, critical: bool, target: u32): i32 {
  const m = run(critical ? 0 : 7, cand, n, target);
  if (m == DROP) return -2;
  if (m <= 0) return -1;
  const i = <i32>Math.floor(nextF64() * <f64>m);
  return load<i32>(resultPtr + (<usize>i << 2));
}

// Scorers (clamped to [0,1], weighted sum in config order) and the three pickers.
import { C_SCORER_TYPE, C_SCORER_WEIGHT, cfg, maxPicks, nScorers, pickerKind, S_KV, S_LORA, S_PREFIX, S_QUEUE, S_RUNNING } from './config';
import {
  capA,
  capE,
  pActive,
  pAssumed,
  pCand,
  pKeys,
  pKv,
  pMatch,
  pMaxLora,
  pNActive,
  pNWaitingModels,
  pOrder,
  pPerScorer,
  pPicked,
  pRunning,
  pTaken,
  pTotal,
  pWaiting,
  pWaitingModels,
} from './layout';
import { nextF64 } from './rng';

@inline
function candSlot(i: i32): usize {
  return <usize>load<i32>(pCand + (<usize>i << 2));
}

function hasAdapter(table: usize, counts: usize, s: usize, id: u32): bool {
  if (id == 0) return false;
  const n = load<i32>(counts + (s << 2));
  const row = table + s * <usize>capA * 4;
  for (let k = 0; k < n; k++) if (load<u32>(row + (<usize>k << 2)) == id) return true;
  return false;
}

/**
 * (max - x) / (max - min) over the candidates, x = the scraped column plus the assumed load (requests picked since
 * the slot's last scrape; all zero unless the caller counts picks); 1.0 for all when max == min.
 */
function minMaxScore(col: usize, n: i32, row: usize): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = candSlot(i) << 3;
    const v = load<f64>(col + s) + load<f64>(pAssumed + s);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    const s = candSlot(i) << 3;
    const v = load<f64>(col + s) + load<f64>(pAssumed + s);
    store<f64>(row + (<usize>i << 3), span == 0 ? 1.0 : (hi - v) / span);
  }
}

function rawScores(type: i32, n: i32, row: usize, target: u32, totalBlocks: i32): void {
  if (type == S_QUEUE) {
    minMaxScore(pWaiting, n, row);
  } else if (type == S_RUNNING) {
    minMaxScore(pRunning, n, row);
  } else if (type == S_KV) {
    for (let i = 0; i < n; i++) store<f64>(row + (<usize>i << 3), 1.0 - load<f64>(pKv + (candSlot(i) << 3)));
  } else if (type == S_LORA) {
    for (let i = 0; i < n; i++) {
      const s = candSlot(i);
      let v: f64 = 0;
      if (hasAdapter(pActive, pNActive, s, target)) v = 1.0;
      else if (
        <f64>(load<i32>(pNActive + (s << 2)) + load<i32>(pNWaitingModels + (s << 2))) < load<f64>(pMaxLora + (s << 3))
      )
        v = 0.8;
      else if (hasAdapter(pWaitingModels, pNWaitingModels, s, target)) v = 0.6;
      store<f64>(row + (<usize>i << 3), v);
    }
  } else if (type == S_PREFIX) {
    for (let i = 0; i < n; i++) {
      const m = load<i32>(pMatch + (candSlot(i) << 2));
      store<f64>(row + (<usize>i << 3), totalBlocks == 0 ? 0.0 : <f64>m / <f64>totalBlocks);
    }
  } else {
    for (let i = 0; i < n; i++) store<f64>(row + (<usize>i << 3), 0.0);
  }
}

export function scoreAll(n: i32, target: u32, totalBlocks: i32): void {
  memory.fill(pTotal, 0, <usize>n << 3);
  for (let k = 0; k < nScorers; k++) {
    const row = pPerScorer + <usize>k * <usize>capE * 8;
    const w = cfg(C_SCORER_WEIGHT + k);
    rawScores(<i32>cfg(C_SCORER_TYPE + k), n, row, target, totalBlocks);
    for (let i = 0; i < n; i++) {
      const p = row + (<usize>i << 3);
      let v = load<f64>(p);
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      store<f64>(p, v);
      const t = pTotal + (<usize>i << 3);
      store<f64>(t, load<f64>(t) + v * w);
    }
  }
}

/** Fisher-Yates from the end over positions 0..n-1 (the TS reference does the same draws). */
function shuffle(n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(pOrder + (<usize>i << 2), i);
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>Math.floor(nextF64() * <f64>(i + 1));
    const a = pOrder + (<usize>i << 2);
    const b = pOrder + (<usize>j << 2);
    const t = load<i32>(a);
    store<i32>(a, load<i32>(b));
    store<i32>(b, t);
  }
}

/** Stable top-k by descending value over the visiting order `order` (or identity when order == 0). */
function topK(values: usize, n: i32, k: i32, order: usize): void {
  memory.fill(pTaken, 0, <usize>n << 2);
  for (let r = 0; r < k; r++) {
    let best = -1;
    let bestV = -Infinity;
    for (let q = 0; q < n; q++) {
      const pos = order != 0 ? load<i32>(order + (<usize>q << 2)) : q;
      if (load<i32>(pTaken + (<usize>pos << 2)) != 0) continue;
      const v = load<f64>(values + (<usize>pos << 3));
      if (best < 0 || v > bestV) {
        best = pos;
        bestV = v;
      }
    }
    store<i32>(pTaken + (<usize>best << 2), 1);
    store<i32>(pPicked + (<usize>r << 2), load<i32>(pCand + (<usize>best << 2)));
  }
}

/** Writes the picked slots to pPicked; returns how many. */
export function pick(n: i32): i32 {
  const k = min(maxPicks, n);
  if (pickerKind == 0 && k == 1) {
    // One pick: the best score, ties broken uniformly with one draw (only when there is a tie). Same
    // distribution as upstream's shuffle + stable sort, without n draws.
    let best = -Infinity;
    let ties = 0;
    for (let i = 0; i < n; i++) {
      const v = load<f64>(pTotal + (<usize>i << 3));
      if (v > best) {
        best = v;
        ties = 1;
      } else if (v == best) ties++;
    }
    let want = ties > 1 ? <i32>Math.floor(nextF64() * <f64>ties) : 0;
    for (let i = 0; i < n; i++) {
      if (load<f64>(pTotal + (<usize>i << 3)) == best) {
        if (want == 0) {
          store<i32>(pPicked, load<i32>(pCand + (<usize>i << 2)));
          break;
        }
        want--;
      }
    }
    return 1;
  }
  if (pickerKind == 0) {
    shuffle(n);
    topK(pTotal, n, k, pOrder);
    return k;
  }
  let anyPositive = false;
  if (pickerKind == 2) {
    for (let i = 0; i < n; i++) if (load<f64>(pTotal + (<usize>i << 3)) > 0) anyPositive = true;
  }
  if (!anyPositive) {
    shuffle(n);
    for (let r = 0; r < k; r++) {
      store<i32>(pPicked + (<usize>r << 2), load<i32>(pCand + (<usize>load<i32>(pOrder + (<usize>r << 2)) << 2)));
    }
    return k;
  }
  // A-Res: key = U^(1/score); score <= 0 gets key 0 without a draw (as upstream)
  for (let i = 0; i < n; i++) {
    const s = load<f64>(pTotal + (<usize>i << 3));
    let key: f64 = 0;
    if (s > 0) {
      let u = nextF64();
      if (u == 0) u = 1e-10;
      key = Math.pow(u, 1.0 / s);
    }
    store<f64>(pKeys + (<usize>i << 3), key);
  }
  topK(pKeys, n, k, 0);
  return k;
}

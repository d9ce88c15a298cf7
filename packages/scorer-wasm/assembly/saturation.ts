// Saturation detectors: v1.0 (any fresh endpoint under both thresholds => not saturated) and the later
// utilization detector (mean of max(q/QDT, kv/KVT), stale = 1.0; saturated at >= 1.0), plus its filter form.
import { satHeadroom, satKind, satKvt, satQdt, satStaleMs } from './config';
import { capE, pCand, pHasMetrics, pInUse, pKv, pUpdatedAt, pWaiting } from './layout';

@inline
function fresh(s: usize, now: f64): bool {
  return load<i32>(pHasMetrics + (s << 2)) != 0 && now - load<f64>(pUpdatedAt + (s << 3)) <= satStaleMs;
}

function v10SaturatedAll(now: f64): bool {
  for (let i = 0; i < capE; i++) {
    const s = <usize>i;
    if (load<i32>(pInUse + (s << 2)) == 0) continue;
    if (fresh(s, now) && load<f64>(pWaiting + (s << 3)) <= satQdt && load<f64>(pKv + (s << 3)) <= satKvt) return false;
  }
  return true;
}

@inline
function utilScore(s: usize, now: f64): f64 {
  if (!fresh(s, now)) return 1.0;
  return max(load<f64>(pWaiting + (s << 3)) / satQdt, load<f64>(pKv + (s << 3)) / satKvt);
}

/** Utilization over the candidate list (n slots at pCand), or over every endpoint when n < 0. */
function utilization(now: f64, n: i32): f64 {
  let sum: f64 = 0;
  let count = 0;
  if (n < 0) {
    for (let i = 0; i < capE; i++) {
      if (load<i32>(pInUse + (<usize>i << 2)) == 0) continue;
      sum += utilScore(<usize>i, now);
      count++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      sum += utilScore(<usize>load<i32>(pCand + (<usize>i << 2)), now);
      count++;
    }
  }
  return count == 0 ? 1.0 : sum / <f64>count;
}

/** n < 0: the whole pool (isSaturated export); else the candidate list (schedule). */
export function saturated(now: f64, n: i32): bool {
  if (satKind == 0) return v10SaturatedAll(now);
  return utilization(now, n) >= 1.0;
}

/** Keeps fresh candidates under QDT*(1+headroom) and KVT*(1+headroom); returns the input when none pass. */
export function utilizationFilter(now: f64, n: i32): i32 {
  const q = satQdt * (1 + satHeadroom);
  const k = satKvt * (1 + satHeadroom);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = <usize>load<i32>(pCand + (<usize>i << 2));
    if (fresh(s, now) && load<f64>(pWaiting + (s << 3)) < q && load<f64>(pKv + (s << 3)) < k) m++;
  }
  if (m == 0 || m == n) return n;
  let w = 0;
  for (let i = 0; i < n; i++) {
    const slot = load<i32>(pCand + (<usize>i << 2));
    const s = <usize>slot;
    if (fresh(s, now) && load<f64>(pWaiting + (s << 3)) < q && load<f64>(pKv + (s << 3)) < k) {
      store<i32>(pCand + (<usize>w << 2), slot);
      w++;
    }
  }
  return w;
}

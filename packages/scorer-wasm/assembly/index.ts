// Exports of the scheduler module. Only numeric parameters cross the boundary; bulk data goes through the
// buffers whose offsets layoutPtr() publishes (re-read by JS after every reserve()).
import { blockBytes, CFG, hashScheme, loadConfig, maxBlocks, prefixOn, profileKind, utilFilter } from './config';
import {
  capA,
  capBlocks,
  capC,
  capE,
  capIn,
  nBuckets,
  pActive,
  pAssumed,
  pCand,
  pAllow,
  pCandIn,
  pGen,
  pHasMetrics,
  pInUse,
  pKv,
  pMatch,
  pMaxLora,
  pNActive,
  pNWaitingModels,
  pPerScorer,
  pPicked,
  pRunning,
  pTotal,
  pUpdatedAt,
  pWaiting,
  pWaitingModels,
  pInput,
  pHashes,
  pLruCount,
  regionEnd,
  reserve as reserveRegion,
} from './layout';
import { legacyPick } from './legacy';
import { computeHashes, dropEndpointPrefix, indexEntries, matchPrefix, recordPrefix } from './prefix';
import { rngSeed } from './rng';
import { xxh64 } from './xxhash';
import { saturated, utilizationFilter } from './saturation';
import { pick, scoreAll } from './scoring';
import {
  STATUS_BAD_REQUEST,
  STATUS_FILTERED_EMPTY,
  STATUS_LEGACY_NO_PODS,
  STATUS_NO_CANDIDATES,
  STATUS_OK,
  STATUS_SHED,
} from './status';

/** Hashes the prompt in the input buffer as schedule() does (for tests and the hashing benchmark). */
export function hashPrompt(modelLen: i32, promptLen: i32): i32 {
  if (modelLen < 0 || promptLen < 0 || <i64>modelLen + <i64>promptLen + <i64>blockBytes + 8 > <i64>capIn) return -1;
  return computeHashes(modelLen, promptLen, blockBytes, min(maxBlocks, capBlocks), hashScheme);
}

/** XXH64 with seed 0 of len bytes at ptr, written to OUT slot 8 as raw u64 bits (avoids BigInt at the boundary). */
export function hashBytes(ptr: usize, len: usize): void {
  store<u64>(OUT + 64, xxh64(ptr, len, 0));
}

const LAYOUT = memory.data(32 * 8, 16); // f64 slots: offsets and dimensions for JS
const OUT = memory.data(16 * 8, 16); // f64 slots: per-decision results and cumulative stats

const O_N_CAND = 0;
const O_N_PICKED = 1;
const O_TOTAL_BLOCKS = 2;
const O_MATCHED_PRIMARY = 3;
const O_LOOKUPS = 4;
const O_HIT_BLOCKS = 5;
const O_TOTAL_BLOCKS_SUM = 6;
const O_INDEX_ENTRIES = 7;

@inline
function out(i: i32, v: f64): void {
  store<f64>(OUT + (<usize>i << 3), v);
}
@inline
function outGet(i: i32): f64 {
  return load<f64>(OUT + (<usize>i << 3));
}

@inline
function lay(i: i32, v: f64): void {
  store<f64>(LAYOUT + (<usize>i << 3), v);
}

// Stores one by one: an array literal here would allocate on the (never used) heap, i.e. inside the tables.
function publishLayout(): void {
  lay(0, <f64>pInUse);
  lay(1, <f64>pGen);
  lay(2, <f64>pHasMetrics);
  lay(3, <f64>pWaiting);
  lay(4, <f64>pRunning);
  lay(5, <f64>pKv);
  lay(6, <f64>pMaxLora);
  lay(7, <f64>pUpdatedAt);
  lay(8, <f64>pNActive);
  lay(9, <f64>pNWaitingModels);
  lay(10, <f64>pActive);
  lay(11, <f64>pWaitingModels);
  lay(12, <f64>pCandIn);
  lay(13, <f64>pCand);
  lay(14, <f64>pTotal);
  lay(15, <f64>pPerScorer);
  lay(16, <f64>pPicked);
  lay(17, <f64>pInput);
  lay(18, <f64>capE);
  lay(19, <f64>capA);
  lay(20, <f64>capC);
  lay(21, <f64>capIn);
  lay(22, <f64>capBlocks);
  lay(23, <f64>nBuckets);
  lay(24, <f64>regionEnd);
  lay(25, <f64>pHashes);
  lay(26, <f64>pLruCount);
  lay(27, <f64>pAllow);
  lay(28, <f64>pAssumed);
}

export function cfgPtr(): usize {
  return CFG;
}
export function layoutPtr(): usize {
  return LAYOUT;
}
export function outPtr(): usize {
  return OUT;
}

export function applyConfig(): void {
  loadConfig();
}

export function seed(s: u32): void {
  rngSeed(s);
}

/** Grows the state region (never shrinks); 0 ok, -1 out of memory. */
export function reserve(e: i32, a: i32, c: i32, inBytes: i32, blocks: i32): i32 {
  const r = reserveRegion(e, a, c, inBytes, blocks);
  publishLayout();
  return r;
}

/** Marks a slot used with zeroed metrics and returns its new generation. */
export function addEndpoint(slot: i32): i32 {
  if (slot < 0 || slot >= capE) return -1;
  const s = <usize>slot;
  dropEndpointPrefix(slot);
  store<i32>(pInUse + (s << 2), 1);
  store<i32>(pHasMetrics + (s << 2), 0);
  store<f64>(pWaiting + (s << 3), 0);
  store<f64>(pRunning + (s << 3), 0);
  store<f64>(pKv + (s << 3), 0);
  store<f64>(pMaxLora + (s << 3), 0);
  store<f64>(pUpdatedAt + (s << 3), 0);
  store<f64>(pAssumed + (s << 3), 0);
  store<i32>(pNActive + (s << 2), 0);
  store<i32>(pNWaitingModels + (s << 2), 0);
  const g = load<i32>(pGen + (s << 2)) + 1;
  store<i32>(pGen + (s << 2), g);
  return g;
}

/** Frees a slot and drops its prefix-cache entries. */
export function removeEndpoint(slot: i32): i32 {
  if (slot < 0 || slot >= capE) return -1;
  dropEndpointPrefix(slot);
  store<i32>(pInUse + (<usize>slot << 2), 0);
  out(O_INDEX_ENTRIES, <f64>indexEntries);
  return 0;
}

export function isSaturated(now: f64): i32 {
  return saturated(now, -1) ? 1 : 0;
}

/**
 * One scheduling decision. Input: model bytes then prompt bytes at the input buffer, and (nCandIn >= 0) the
 * subset-hint slots at pCandIn in ascending order. flags: bit0 = critical (legacy tree only), bit1 = apply the
 * header-based-testing-filter mask at pAllow, bit2 = count the primary pick as assumed load on its slot (JS
 * resets it when the slot's next scrape lands).
 */
export function schedule(modelLen: i32, promptLen: i32, nCandIn: i32, target: u32, priority: f64, now: f64, flags: i32): i32 {
  out(O_N_CAND, 0);
  out(O_N_PICKED, 0);
  out(O_TOTAL_BLOCKS, 0);
  out(O_MATCHED_PRIMARY, 0);
  const need = <i64>modelLen + <i64>promptLen + (prefixOn ? <i64>blockBytes + 8 : 0);
  if (modelLen < 0 || promptLen < 0 || need > <i64>capIn || nCandIn > capE) return STATUS_BAD_REQUEST;
  let n = 0;
  if (nCandIn < 0) {
    for (let i = 0; i < capE; i++) if (load<i32>(pInUse + (<usize>i << 2)) != 0) store<i32>(pCand + (<usize>(n++) << 2), i);
  } else {
    for (let i = 0; i < nCandIn; i++) {
      const s = load<i32>(pCandIn + (<usize>i << 2));
      if (s >= 0 && s < capE && load<i32>(pInUse + (<usize>s << 2)) != 0) store<i32>(pCand + (<usize>(n++) << 2), s);
    }
  }
  if (profileKind == 1) {
    if (n == 0) return STATUS_NO_CANDIDATES;
    const slot = legacyPick(pCand, n, (flags & 1) != 0, target);
    if (slot == -2) return STATUS_SHED;
    if (slot < 0) return STATUS_LEGACY_NO_PODS;
    store<i32>(pPicked, slot);
    out(O_N_PICKED, 1);
    return STATUS_OK;
  }
  if (priority < 0 && saturated(now, n)) return STATUS_SHED;
  if (n == 0) return STATUS_NO_CANDIDATES;
  if ((flags & 2) != 0) {
    // header-based-testing-filter: keep the slots JS marked in pAllow
    let w = 0;
    for (let i = 0; i < n; i++) {
      const slot = load<i32>(pCand + (<usize>i << 2));
      if (load<i32>(pAllow + (<usize>slot << 2)) != 0) store<i32>(pCand + (<usize>(w++) << 2), slot);
    }
    n = w;
    if (n == 0) return STATUS_FILTERED_EMPTY;
  }
  if (utilFilter) n = utilizationFilter(now, n);

  let total = 0;
  if (prefixOn) {
    total = computeHashes(modelLen, promptLen, blockBytes, min(maxBlocks, capBlocks), hashScheme);
    if (total > 0) {
      memory.fill(pMatch, 0, <usize>capE << 2);
      matchPrefix(total);
    }
  }
  scoreAll(n, target, total);
  const k = pick(n);
  out(O_N_CAND, <f64>n);
  out(O_N_PICKED, <f64>k);
  if ((flags & 4) != 0) {
    const a = pAssumed + (<usize>load<i32>(pPicked) << 3);
    store<f64>(a, load<f64>(a) + 1.0);
  }
  if (prefixOn) {
    const primary = load<i32>(pPicked);
    const matched = total > 0 ? load<i32>(pMatch + (<usize>primary << 2)) : 0;
    out(O_TOTAL_BLOCKS, <f64>total);
    out(O_MATCHED_PRIMARY, <f64>matched);
    out(O_LOOKUPS, outGet(O_LOOKUPS) + 1);
    out(O_HIT_BLOCKS, outGet(O_HIT_BLOCKS) + <f64>matched);
    out(O_TOTAL_BLOCKS_SUM, outGet(O_TOTAL_BLOCKS_SUM) + <f64>total);
    if (total > 0 && capC > 0) recordPrefix(primary, total);
    out(O_INDEX_ENTRIES, <f64>indexEntries);
  }
  return STATUS_OK;
}

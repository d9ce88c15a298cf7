// The compiled config block: JS writes f64 values at cfgPtr() and calls applyConfig(). Indices are mirrored in
// src/wasm/abi.ts.
export const CFG = memory.data(64 * 8, 16);

export const C_PROFILE_KIND = 0; // 0 plugins, 1 legacy v0.3 tree
export const C_PICKER = 1; // 0 max-score, 1 random, 2 weighted-random
export const C_MAX_PICKS = 2;
export const C_N_SCORERS = 3;
export const C_UTIL_FILTER = 4;
export const C_SAT_KIND = 5; // 0 v1.0, 1 utilization
export const C_SAT_QDT = 6;
export const C_SAT_KVT = 7;
export const C_SAT_STALE_MS = 8;
export const C_SAT_HEADROOM = 9;
export const C_PREFIX_ON = 10;
export const C_BLOCK_BYTES = 11;
export const C_MAX_BLOCKS = 12;
export const C_LRU_CAP = 13;
export const C_HASH_SCHEME = 14; // 0 v1.0, 1 token-approximate
export const C_LEG_KV = 15;
export const C_LEG_QCRIT = 16;
export const C_LEG_QLORA = 17;
export const C_LEG_AFFINITY = 18;
export const C_SCORER_TYPE = 20; // 16 entries
export const C_SCORER_WEIGHT = 36; // 16 entries

// scorer type codes
export const S_QUEUE = 0;
export const S_KV = 1;
export const S_LORA = 2;
export const S_PREFIX = 3;
export const S_RUNNING = 4;

@inline
export function cfg(i: i32): f64 {
  return load<f64>(CFG + (<usize>i << 3));
}

export let profileKind: i32 = 0;
export let pickerKind: i32 = 0;
export let maxPicks: i32 = 1;
export let nScorers: i32 = 0;
export let utilFilter: bool = false;
export let satKind: i32 = 0;
export let satQdt: f64 = 5;
export let satKvt: f64 = 0.8;
export let satStaleMs: f64 = 200;
export let satHeadroom: f64 = 0;
export let prefixOn: bool = false;
export let blockBytes: i32 = 64;
export let maxBlocks: i32 = 256;
export let hashScheme: i32 = 0;
export let legKv: f64 = 0.8;
export let legQCrit: f64 = 5;
export let legQLora: f64 = 128;
export let legAffinity: f64 = 0.999;

export function loadConfig(): void {
  profileKind = <i32>cfg(C_PROFILE_KIND);
  pickerKind = <i32>cfg(C_PICKER);
  maxPicks = <i32>cfg(C_MAX_PICKS);
  if (maxPicks < 1) maxPicks = 1;
  nScorers = min(<i32>cfg(C_N_SCORERS), 16);
  utilFilter = cfg(C_UTIL_FILTER) != 0;
  satKind = <i32>cfg(C_SAT_KIND);
  satQdt = cfg(C_SAT_QDT);
  satKvt = cfg(C_SAT_KVT);
  satStaleMs = cfg(C_SAT_STALE_MS);
  satHeadroom = cfg(C_SAT_HEADROOM);
  prefixOn = cfg(C_PREFIX_ON) != 0;
  blockBytes = <i32>cfg(C_BLOCK_BYTES);
  maxBlocks = <i32>cfg(C_MAX_BLOCKS);
  hashScheme = <i32>cfg(C_HASH_SCHEME);
  legKv = cfg(C_LEG_KV);
  legQCrit = cfg(C_LEG_QCRIT);
  legQLora = cfg(C_LEG_QLORA);
  legAffinity = cfg(C_LEG_AFFINITY);
}

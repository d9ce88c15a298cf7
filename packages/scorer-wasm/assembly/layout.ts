// The state region: every table lives in one region starting at __heap_base, laid out from the current
// dimensions. No managed allocation happens anywhere in this module (the stub runtime's bump allocator is never
// called), so nothing can leak: growth re-lays the region out in place (whole-table reallocation) and endpoint
// removal only resets counters.
//
// Dimensions only grow. Because every array keeps its position in the order below and no array shrinks, every new
// offset is >= its old offset, so copying the preserved arrays last-to-first never overwrites a source that is
// still to be copied.

export const MAX_SCORERS: i32 = 16;
export const LEGACY_NODES: i32 = 12;
/** endpoints x LRU entries: 64 Mi nodes = 1.25 GiB of nodes + 256 MiB of buckets at most. */
export const MAX_PREFIX_NODES: i64 = 1 << 26;

// dimensions
export let capE: i32 = 0; // endpoint slots
export let capA: i32 = 0; // adapter ids per endpoint per set (active, waiting)
export let capC: i32 = 0; // prefix LRU entries per endpoint (fixed after the first reserve)
export let capIn: i32 = 0; // input bytes (model + prompt + hashing scratch)
export let capBlocks: i32 = 0; // max prefix blocks per request
export let nBuckets: i32 = 0; // prefix hash buckets (power of two)

// endpoint table (struct of arrays, indexed by slot) -- preserved on growth
export let pInUse: usize = 0; // i32
export let pGen: usize = 0; // i32
export let pHasMetrics: usize = 0; // i32
export let pWaiting: usize = 0; // f64
export let pRunning: usize = 0; // f64
export let pKv: usize = 0; // f64
export let pMaxLora: usize = 0; // f64
export let pUpdatedAt: usize = 0; // f64
export let pAssumed: usize = 0; // f64: requests picked since the slot's last scrape (assumed load)
export let pNActive: usize = 0; // i32
export let pNWaitingModels: usize = 0; // i32
export let pActive: usize = 0; // u32[E*A] (rows re-strided on growth)
export let pWaitingModels: usize = 0; // u32[E*A]
// prefix cache -- preserved on growth
export let pLruHead: usize = 0; // i32 (node index, -1 none)
export let pLruTail: usize = 0; // i32
export let pLruCount: usize = 0; // i32
export let pNodeHash: usize = 0; // u64[E*C]
export let pNodePrev: usize = 0; // i32[E*C]
export let pNodeNext: usize = 0; // i32[E*C]
export let pNodeChain: usize = 0; // i32[E*C]
// rebuilt / scratch
export let pBuckets: usize = 0; // i32[nBuckets]
export let pMatch: usize = 0; // i32[E]
export let pCandIn: usize = 0; // i32[E] slots written by JS (subset hint)
export let pCand: usize = 0; // i32[E] final candidate slots (output)
export let pOrder: usize = 0; // i32[E] shuffle order (positions)
export let pTaken: usize = 0; // i32[E]
export let pAllow: usize = 0; // i32[E] header-filter mask written by JS (1 = allowed), reset by JS after the call
export let pTotal: usize = 0; // f64[E] weighted score per candidate position (output)
export let pPerScorer: usize = 0; // f64[MAX_SCORERS*E] clamped score per scorer (output, row per scorer)
export let pKeys: usize = 0; // f64[E]
export let pPicked: usize = 0; // i32[E] picked slots (output)
export let pLegacy: usize = 0; // i32[LEGACY_NODES*E] one output buffer per legacy tree node
export let pHashes: usize = 0; // u64[capBlocks]
export let pInput: usize = 0; // u8[capIn]
export let regionEnd: usize = 0;

@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

function nextPow2(x: i64): i32 {
  let n: i64 = 1024;
  while (n < x) n <<= 1;
  return <i32>n;
}

// new offsets computed by plan()
let nInUse: usize, nGen: usize, nHasMetrics: usize, nWaiting: usize, nRunning: usize, nKv: usize;
let nMaxLora: usize, nUpdatedAt: usize, nAssumed: usize, nNActive: usize, nNWaitingModels: usize, nActive: usize, nWaitingModels: usize;
let nLruHead: usize, nLruTail: usize, nLruCount: usize, nNodeHash: usize, nNodePrev: usize, nNodeNext: usize;
let nNodeChain: usize, nBucketsP: usize, nMatch: usize, nCandIn: usize, nCand: usize, nOrder: usize, nTaken: usize;
let nAllow: usize, nTotal: usize, nPerScorer: usize, nKeys: usize, nPicked: usize, nLegacy: usize, nHashes: usize, nInput: usize;
let nEnd: usize;

function plan(e: i32, a: i32, c: i32, inBytes: i32, blocks: i32, nb: i32): void {
  const E = <usize>e;
  const EC = <usize>e * <usize>c;
  let p = align16(__heap_base);
  nInUse = p; p = align16(p + E * 4);
  nGen = p; p = align16(p + E * 4);
  nHasMetrics = p; p = align16(p + E * 4);
  nWaiting = p; p = align16(p + E * 8);
  nRunning = p; p = align16(p + E * 8);
  nKv = p; p = align16(p + E * 8);
  nMaxLora = p; p = align16(p + E * 8);
  nUpdatedAt = p; p = align16(p + E * 8);
  nAssumed = p; p = align16(p + E * 8);
  nNActive = p; p = align16(p + E * 4);
  nNWaitingModels = p; p = align16(p + E * 4);
  nActive = p; p = align16(p + E * <usize>a * 4);
  nWaitingModels = p; p = align16(p + E * <usize>a * 4);
  nLruHead = p; p = align16(p + E * 4);
  nLruTail = p; p = align16(p + E * 4);
  nLruCount = p; p = align16(p + E * 4);
  nNodeHash = p; p = align16(p + EC * 8);
  nNodePrev = p; p = align16(p + EC * 4);
  nNodeNext = p; p = align16(p + EC * 4);
  nNodeChain = p; p = align16(p + EC * 4);
  nBucketsP = p; p = align16(p + <usize>nb * 4);
  nMatch = p; p = align16(p + E * 4);
  nCandIn = p; p = align16(p + E * 4);
  nCand = p; p = align16(p + E * 4);
  nOrder = p; p = align16(p + E * 4);
  nTaken = p; p = align16(p + E * 4);
  nAllow = p; p = align16(p + E * 4);
  nTotal = p; p = align16(p + E * 8);
  nPerScorer = p; p = align16(p + E * <usize>MAX_SCORERS * 8);
  nKeys = p; p = align16(p + E * 8);
  nPicked = p; p = align16(p + E * 4);
  nLegacy = p; p = align16(p + E * <usize>LEGACY_NODES * 4);
  nHashes = p; p = align16(p + <usize>blocks * 8);
  nInput = p; p = align16(p + <usize>inBytes);
  nEnd = p;
}

@inline
function move(dst: usize, src: usize, n: usize): void {
  if (dst != src && n > 0) memory.copy(dst, src, n);
}

/** Moves a row-major [E][oldStride] u32 table to [E][newStride], rows last-to-first. */
function moveRows(dst: usize, src: usize, rows: usize, oldStride: usize, newStride: usize): void {
  if (oldStride == newStride) {
    move(dst, src, rows * oldStride * 4);
    return;
  }
  for (let r = <isize>rows - 1; r >= 0; r--) {
    move(dst + <usize>r * newStride * 4, src + <usize>r * oldStride * 4, oldStride * 4);
  }
}

/**
 * Grows the region to hold at least the given dimensions (never shrinks any). Returns 0, or -1 when memory could
 * not grow (the old layout is then left untouched).
 */
export function reserve(e: i32, a: i32, c: i32, inBytes: i32, blocks: i32): i32 {
  const first = capE == 0;
  const E2 = max(e, capE);
  const A2 = max(a, capA);
  const C2 = first ? c : capC; // the LRU capacity is fixed by the config
  const In2 = max(inBytes, capIn);
  const B2 = max(blocks, capBlocks);
  // keep every size well inside 32-bit offsets and the 4 GiB memory limit (checked before any arithmetic in usize)
  if (<i64>E2 * <i64>max(C2, 1) > MAX_PREFIX_NODES || E2 > (1 << 20) || A2 > (1 << 16) || In2 > (1 << 28)) return -1;
  if (<i64>E2 * <i64>A2 > (1 << 24) || <i64>B2 > (1 << 24)) return -1;
  const nb = C2 > 0 ? nextPow2(<i64>E2 * <i64>C2) : 1;
  const NB2 = max(nb, nBuckets);
  plan(E2, A2, C2, In2, B2, NB2);
  const needPages = <i32>((nEnd + 0xffff) >>> 16);
  const havePages = memory.size();
  if (needPages > havePages && memory.grow(needPages - havePages) < 0) return -1;

  const E = <usize>capE;
  const EC = <usize>capE * <usize>capC;
  // preserved arrays, last-to-first
  move(nNodeChain, pNodeChain, EC * 4);
  move(nNodeNext, pNodeNext, EC * 4);
  move(nNodePrev, pNodePrev, EC * 4);
  move(nNodeHash, pNodeHash, EC * 8);
  move(nLruCount, pLruCount, E * 4);
  move(nLruTail, pLruTail, E * 4);
  move(nLruHead, pLruHead, E * 4);
  moveRows(nWaitingModels, pWaitingModels, E, <usize>capA, <usize>A2);
  moveRows(nActive, pActive, E, <usize>capA, <usize>A2);
  move(nNWaitingModels, pNWaitingModels, E * 4);
  move(nNActive, pNActive, E * 4);
  move(nAssumed, pAssumed, E * 8);
  move(nUpdatedAt, pUpdatedAt, E * 8);
  move(nMaxLora, pMaxLora, E * 8);
  move(nKv, pKv, E * 8);
  move(nRunning, pRunning, E * 8);
  move(nWaiting, pWaiting, E * 8);
  move(nHasMetrics, pHasMetrics, E * 4);
  move(nGen, pGen, E * 4);
  move(nInUse, pInUse, E * 4);

  // initialise the new tails of the preserved endpoint arrays
  const add = <usize>E2 - E;
  if (add > 0) {
    memory.fill(nInUse + E * 4, 0, add * 4);
    memory.fill(nGen + E * 4, 0, add * 4);
    memory.fill(nHasMetrics + E * 4, 0, add * 4);
    memory.fill(nWaiting + E * 8, 0, add * 8);
    memory.fill(nRunning + E * 8, 0, add * 8);
    memory.fill(nKv + E * 8, 0, add * 8);
    memory.fill(nMaxLora + E * 8, 0, add * 8);
    memory.fill(nUpdatedAt + E * 8, 0, add * 8);
    memory.fill(nAssumed + E * 8, 0, add * 8);
    memory.fill(nNActive + E * 4, 0, add * 4);
    memory.fill(nNWaitingModels + E * 4, 0, add * 4);
    memory.fill(nLruHead + E * 4, 0xff, add * 4); // -1
    memory.fill(nLruTail + E * 4, 0xff, add * 4);
    memory.fill(nLruCount + E * 4, 0, add * 4);
  }

  capE = E2;
  capA = A2;
  capC = C2;
  capIn = In2;
  capBlocks = B2;
  nBuckets = NB2;
  pInUse = nInUse; pGen = nGen; pHasMetrics = nHasMetrics; pWaiting = nWaiting; pRunning = nRunning; pKv = nKv;
  pMaxLora = nMaxLora; pUpdatedAt = nUpdatedAt; pAssumed = nAssumed; pNActive = nNActive; pNWaitingModels = nNWaitingModels;
  pActive = nActive; pWaitingModels = nWaitingModels; pLruHead = nLruHead; pLruTail = nLruTail;
  pLruCount = nLruCount; pNodeHash = nNodeHash; pNodePrev = nNodePrev; pNodeNext = nNodeNext;
  pNodeChain = nNodeChain; pBuckets = nBucketsP; pMatch = nMatch; pCandIn = nCandIn; pCand = nCand;
  pOrder = nOrder; pTaken = nTaken; pAllow = nAllow; pTotal = nTotal; pPerScorer = nPerScorer; pKeys = nKeys; pPicked = nPicked;
  pLegacy = nLegacy; pHashes = nHashes; pInput = nInput; regionEnd = nEnd;

  memory.fill(pAllow, 0, <usize>capE << 2);
  rebuildBuckets();
  return 0;
}

@inline
export function bucketOf(h: u64): usize {
  return pBuckets + ((<usize>(h ^ (h >> 32)) & (<usize>nBuckets - 1)) << 2);
}

/** Re-inserts every live prefix node into a cleared bucket array (bucket count changed or region moved). */
function rebuildBuckets(): void {
  memory.fill(pBuckets, 0xff, <usize>nBuckets * 4);
  if (capC == 0) return;
  for (let e = 0; e < capE; e++) {
    const count = load<i32>(pLruCount + (<usize>e << 2));
    const base = e * capC;
    for (let i = 0; i < count; i++) {
      const node = base + i;
      const b = bucketOf(load<u64>(pNodeHash + (<usize>node << 3)));
      store<i32>(pNodeChain + (<usize>node << 2), load<i32>(b));
      store<i32>(b, node);
    }
  }
}

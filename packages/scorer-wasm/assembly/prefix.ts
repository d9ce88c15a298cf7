// Prefix cache: chained block hashes, the hash -> endpoints index and the per-endpoint LRU.
// A node (hash, LRU prev/next, bucket chain next) is owned by one endpoint: endpoint e owns nodes
// [e*C, (e+1)*C), so the endpoint of a node is node / C and a node costs 20 bytes plus its bucket share.
import {
  bucketOf,
  capC,
  pHashes,
  pInput,
  pLruCount,
  pLruHead,
  pLruTail,
  pMatch,
  pNodeChain,
  pNodeHash,
  pNodeNext,
  pNodePrev,
} from './layout';
import { xxh64, xxh64BlockPartial, xxh64FinishWithU64 } from './xxhash';

export let indexEntries: i64 = 0;

@inline
function nodeHash(n: i32): u64 {
  return load<u64>(pNodeHash + (<usize>n << 3));
}
@inline
function chainNext(n: i32): i32 {
  return load<i32>(pNodeChain + (<usize>n << 2));
}

/**
 * Hashes the prompt in the input buffer ([model bytes][prompt bytes][scratch]) into pHashes and returns the block
 * count. scheme 0 (v1.0): h0 = xxh64(model ‖ block0), hi = xxh64(block_i ‖ LE64(h_{i-1})).
 * scheme 1 (token-approximate): seed = xxh64(model), hi = xxh64(block_i ‖ LE64(h_{i-1})) for every block.
 */
export function computeHashes(modelLen: i32, promptLen: i32, blockBytes: i32, maxBlocks: i32, scheme: i32): i32 {
  let n = promptLen / blockBytes;
  if (n > maxBlocks) n = maxBlocks;
  if (n <= 0) return 0;
  const prompt = pInput + <usize>modelLen;
  const scratch = pInput + <usize>modelLen + <usize>promptLen;
  const B = <usize>blockBytes;
  let prev: u64;
  let i = 0;
  if (scheme == 0) {
    prev = xxh64(pInput, <usize>modelLen + B, 0);
    store<u64>(pHashes, prev);
    i = 1;
  } else {
    prev = xxh64(pInput, <usize>modelLen, 0);
  }
  if (B >= 32 && (B & 31) == 0) {
    // one pass: the out-of-order core already overlaps block i+1's stripes with block i's tail (a two-pass
    // variant measured slower)
    for (; i < n; i++) {
      prev = xxh64FinishWithU64(xxh64BlockPartial(prompt + <usize>i * B, B), prev);
      store<u64>(pHashes + (<usize>i << 3), prev);
    }
    return n;
  }
  for (; i < n; i++) {
    memory.copy(scratch, prompt + <usize>i * B, B);
    store<u64>(scratch + B, prev);
    prev = xxh64(scratch, B + 8, 0);
    store<u64>(pHashes + (<usize>i << 3), prev);
  }
  return n;
}

/**
 * Walks the hashes in order; every endpoint holding hash i gets +1 in pMatch; stops at the first hash nobody
 * holds. pMatch must be zeroed by the caller. Returns the number of hashes walked that had a holder.
 */
export function matchPrefix(n: i32): i32 {
  const C = capC;
  let walked = 0;
  for (let i = 0; i < n; i++) {
    const h = load<u64>(pHashes + (<usize>i << 3));
    let node = load<i32>(bucketOf(h));
    let found = false;
    while (node >= 0) {
      if (nodeHash(node) == h) {
        const ep = pMatch + (<usize>(node / C) << 2);
        store<i32>(ep, load<i32>(ep) + 1);
        found = true;
      }
      node = chainNext(node);
    }
    if (!found) break;
    walked++;
  }
  return walked;
}

function lruUnlink(e: i32, node: i32): void {
  const prev = load<i32>(pNodePrev + (<usize>node << 2));
  const next = load<i32>(pNodeNext + (<usize>node << 2));
  if (prev >= 0) store<i32>(pNodeNext + (<usize>prev << 2), next);
  else store<i32>(pLruHead + (<usize>e << 2), next);
  if (next >= 0) store<i32>(pNodePrev + (<usize>next << 2), prev);
  else store<i32>(pLruTail + (<usize>e << 2), prev);
}

function lruPushFront(e: i32, node: i32): void {
  const head = load<i32>(pLruHead + (<usize>e << 2));
  store<i32>(pNodePrev + (<usize>node << 2), -1);
  store<i32>(pNodeNext + (<usize>node << 2), head);
  if (head >= 0) store<i32>(pNodePrev + (<usize>head << 2), node);
  else store<i32>(pLruTail + (<usize>e << 2), node);
  store<i32>(pLruHead + (<usize>e << 2), node);
}

function bucketUnlink(node: i32): void {
  const b = bucketOf(nodeHash(node));
  let cur = load<i32>(b);
  if (cur == node) {
    store<i32>(b, chainNext(node));
    return;
  }
  while (cur >= 0) {
    const nx = chainNext(cur);
    if (nx == node) {
      store<i32>(pNodeChain + (<usize>cur << 2), chainNext(node));
      return;
    }
    cur = nx;
  }
}

/** Records hash h for endpoint e: touch when present, else take a free node or evict the LRU tail. */
function insertOne(e: i32, h: u64): void {
  const C = capC;
  const lo = e * C;
  const hi = lo + C;
  const b = bucketOf(h);
  let node = load<i32>(b);
  while (node >= 0) {
    if (node >= lo && node < hi && nodeHash(node) == h) {
      lruUnlink(e, node);
      lruPushFront(e, node);
      return;
    }
    node = chainNext(node);
  }
  const countPtr = pLruCount + (<usize>e << 2);
  const count = load<i32>(countPtr);
  if (count < C) {
    node = lo + count;
    store<i32>(countPtr, count + 1);
    indexEntries++;
  } else {
    node = load<i32>(pLruTail + (<usize>e << 2));
    lruUnlink(e, node);
    bucketUnlink(node);
  }
  store<u64>(pNodeHash + (<usize>node << 3), h);
  store<i32>(pNodeChain + (<usize>node << 2), load<i32>(b));
  store<i32>(b, node);
  lruPushFront(e, node);
}

export function recordPrefix(e: i32, n: i32): void {
  if (capC <= 0) return;
  for (let i = 0; i < n; i++) insertOne(e, load<u64>(pHashes + (<usize>i << 3)));
}

/** Drops every entry of endpoint e (endpoint removed). */
export function dropEndpointPrefix(e: i32): void {
  if (capC <= 0) return;
  const countPtr = pLruCount + (<usize>e << 2);
  const count = load<i32>(countPtr);
  const lo = e * capC;
  for (let i = 0; i < count; i++) bucketUnlink(lo + i);
  indexEntries -= count;
  store<i32>(countPtr, 0);
  store<i32>(pLruHead + (<usize>e << 2), -1);
  store<i32>(pLruTail + (<usize>e << 2), -1);
}

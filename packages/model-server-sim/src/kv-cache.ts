// The KV cache of one pod, as a count of token blocks with a prefix index on top.
//
// A block is either *anonymous* (being filled: a prompt block not yet computed, or a decode block) or *hashed*
// (a full, computed prompt block, findable by its chained hash). Hashed blocks carry a reference count; at zero they
// stay cached but become evictable, kept in LRU order. Anonymous blocks are only counted. So:
//   used     = anonymous + hashed with refs > 0     (what the usage gauge reports)
//   free     = capacity - used - evictable          (never negative)
//   allocatable = capacity - used                   (evicting LRU unused blocks on demand)

export interface BlockCacheStats {
  capacity: number;
  used: number;
  evictable: number;
  evictions: number;
}

export class BlockCache {
  readonly capacity: number;
  /** hash -> reference count. */
  private readonly refs = new Map<number, number>();
  /** Unused hashed blocks in LRU order (Map keeps insertion order: the first key is the oldest). */
  private readonly lru = new Map<number, true>();
  private anonymous = 0;
  private usedHashed = 0;
  evictions = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`KV cache capacity must be >= 1 block`);
    this.capacity = capacity;
  }

  get used(): number {
    return this.anonymous + this.usedHashed;
  }

  get allocatable(): number {
    return this.capacity - this.used;
  }

  /** Number of leading hashes present (used or evictable): the prefix a new sequence can reuse. */
  matchPrefix(hashes: readonly number[], limit = hashes.length): number {
    let n = 0;
    while (n < limit && this.refs.has(hashes[n]!)) n++;
    return n;
  }

  /** How many of `hashes[0..n)` are cached but unused (acquiring them takes them out of the evictable pool). */
  countIdle(hashes: readonly number[], n: number): number {
    let idle = 0;
    for (let i = 0; i < n; i++) if (this.refs.get(hashes[i]!) === 0) idle++;
    return idle;
  }

  /** Takes a reference on the first `n` hashes (which matchPrefix just found). */
  acquirePrefix(hashes: readonly number[], n: number): void {
    for (let i = 0; i < n; i++) this.ref(hashes[i]!);
  }

  /** Reserves `n` anonymous blocks, evicting unused ones as needed. False (and nothing changed) if impossible. */
  allocate(n: number): boolean {
    if (n <= 0) return true;
    if (n > this.allocatable) return false;
    let free = this.capacity - this.used - this.lru.size;
    while (free < n) {
      const oldest = this.lru.keys().next().value as number;
      this.lru.delete(oldest);
      this.refs.delete(oldest);
      this.evictions++;
      free++;
    }
    this.anonymous += n;
    return true;
  }

  /** An anonymous block finished computing a full prompt block: it becomes findable under `hash`. */
  publish(hash: number): void {
    this.anonymous--;
    if (this.refs.has(hash)) {
      // Someone computed the same block meanwhile: share theirs and give ours back (as vLLM's dedup does).
      this.ref(hash);
    } else {
      this.refs.set(hash, 1);
      this.usedHashed++;
    }
  }

  /**
   * Releases a sequence's blocks: `anonymous` counted blocks and references on `hashes[0..n)`. The chain is
   * released tail first so that, among equally old blocks, the end of a prompt is evicted before its start.
   */
  release(hashes: readonly number[], n: number, anonymous: number): void {
    this.anonymous -= anonymous;
    for (let i = n - 1; i >= 0; i--) {
      const h = hashes[i]!;
      const r = this.refs.get(h)!;
      if (r > 1) this.refs.set(h, r - 1);
      else {
        this.refs.set(h, 0);
        this.usedHashed--;
        this.lru.set(h, true);
      }
    }
  }

  private ref(hash: number): void {
    const r = this.refs.get(hash)!;
    if (r === 0) {
      this.lru.delete(hash);
      this.usedHashed++;
    }
    this.refs.set(hash, r + 1);
  }

  stats(): BlockCacheStats {
    return { capacity: this.capacity, used: this.used, evictable: this.lru.size, evictions: this.evictions };
  }
}

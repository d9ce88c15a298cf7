// Reference prefix cache: hash -> endpoints index plus a per-endpoint LRU (a Map in insertion order).
// Keys are the 64-bit hashes as 4-char strings (16 bits per char).
import { xxh64Parts } from './xxhash64.js';

const encoder = new TextEncoder();

export class PrefixStore {
  private readonly index = new Map<string, Set<number>>();
  private readonly lru: Array<Map<string, true>> = [];
  private readonly parts = new Uint32Array(2);
  private input: Uint8Array;
  private readonly scratch: Uint8Array;
  entries = 0;

  constructor(
    private readonly blockBytes: number,
    private readonly maxBlocks: number,
    private readonly capacity: number,
    private readonly scheme: 'v1.0' | 'token-approximate',
  ) {
    this.input = new Uint8Array(256 + blockBytes * maxBlocks + 4);
    this.scratch = new Uint8Array(blockBytes + 8);
  }

  private key(): string {
    const h = this.parts[0]!;
    const l = this.parts[1]!;
    return String.fromCharCode(h >>> 16, h & 0xffff, l >>> 16, l & 0xffff);
  }

  /** Chained block hashes of (model, prompt), as assembly/prefix.ts computes them. */
  hashes(model: string, prompt: string | Uint8Array): string[] {
    const modelBytes = encoder.encode(model);
    const cap = this.blockBytes * this.maxBlocks;
    if (this.input.length < modelBytes.length + cap + 4)
      this.input = new Uint8Array(modelBytes.length + cap + 4);
    this.input.set(modelBytes, 0);
    const m = modelBytes.length;
    let len: number;
    if (typeof prompt === 'string') {
      len = encoder.encodeInto(prompt, this.input.subarray(m, m + cap + 4)).written;
    } else {
      len = Math.min(prompt.length, cap);
      this.input.set(prompt.subarray(0, len), m);
    }
    len = Math.min(len, cap);
    const n = Math.min(Math.floor(len / this.blockBytes), this.maxBlocks);
    const out: string[] = [];
    if (n === 0) return out;
    const B = this.blockBytes;
    let i = 0;
    if (this.scheme === 'v1.0') {
      xxh64Parts(this.input, 0, m + B, this.parts);
      out.push(this.key());
      i = 1;
    } else {
      xxh64Parts(this.input, 0, m, this.parts);
    }
    for (; i < n; i++) {
      this.scratch.set(this.input.subarray(m + i * B, m + (i + 1) * B), 0);
      // LE64 of the previous hash
      const hi = this.parts[0]!;
      const lo = this.parts[1]!;
      for (let k = 0; k < 4; k++) {
        this.scratch[B + k] = (lo >>> (8 * k)) & 0xff;
        this.scratch[B + 4 + k] = (hi >>> (8 * k)) & 0xff;
      }
      xxh64Parts(this.scratch, 0, B + 8, this.parts);
      out.push(this.key());
    }
    return out;
  }

  /** Per-endpoint matched block counts: walk in order, stop at the first hash nobody holds. */
  match(hashes: string[]): Map<number, number> {
    const counts = new Map<number, number>();
    for (const h of hashes) {
      const holders = this.index.get(h);
      if (!holders || holders.size === 0) break;
      for (const e of holders) counts.set(e, (counts.get(e) ?? 0) + 1);
    }
    return counts;
  }

  record(slot: number, hashes: string[]): void {
    let lru = this.lru[slot];
    if (!lru) {
      lru = new Map();
      this.lru[slot] = lru;
    }
    for (const h of hashes) {
      if (lru.has(h)) {
        lru.delete(h);
        lru.set(h, true);
        continue;
      }
      if (lru.size >= this.capacity) {
        const oldest = lru.keys().next().value as string;
        lru.delete(oldest);
        this.unindex(oldest, slot);
        this.entries--;
      }
      lru.set(h, true);
      let holders = this.index.get(h);
      if (!holders) {
        holders = new Set();
        this.index.set(h, holders);
      }
      holders.add(slot);
      this.entries++;
    }
  }

  private unindex(h: string, slot: number): void {
    const holders = this.index.get(h);
    if (!holders) return;
    holders.delete(slot);
    if (holders.size === 0) this.index.delete(h);
  }

  drop(slot: number): void {
    const lru = this.lru[slot];
    if (!lru) return;
    for (const h of lru.keys()) this.unindex(h, slot);
    this.entries -= lru.size;
    lru.clear();
  }
}

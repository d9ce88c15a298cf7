// LoRA adapter slots of one pod (vLLM's --max-loras). An adapter takes a slot when one of its requests is
// admitted; it keeps the slot while idle until another adapter needs it (then the least recently used idle adapter
// is unloaded). Requests whose adapter cannot get a slot wait.

export class LoraSlots {
  readonly maxLoras: number;
  /** Loaded adapters -> running request count, in LRU order of last use (Map order). */
  private readonly loaded = new Map<string, number>();
  loads = 0;
  unloads = 0;

  constructor(maxLoras: number) {
    this.maxLoras = maxLoras;
  }

  isLoaded(name: string): boolean {
    return this.loaded.has(name);
  }

  /** Whether a request for `name` could start now (loaded, a free slot, or an idle adapter to unload). */
  canAcquire(name: string): boolean {
    if (this.loaded.has(name)) return true;
    if (this.loaded.size < this.maxLoras) return true;
    for (const running of this.loaded.values()) if (running === 0) return true;
    return false;
  }

  /** Takes a running reference on `name`, loading it if needed. Returns true when this call loaded it. */
  acquire(name: string): boolean {
    const running = this.loaded.get(name);
    if (running !== undefined) {
      this.loaded.delete(name);
      this.loaded.set(name, running + 1);
      return false;
    }
    if (this.loaded.size >= this.maxLoras) {
      for (const [other, r] of this.loaded) {
        if (r === 0) {
          this.loaded.delete(other);
          this.unloads++;
          break;
        }
      }
      if (this.loaded.size >= this.maxLoras) throw new Error(`no LoRA slot free for ${name}`);
    }
    this.loaded.set(name, 1);
    this.loads++;
    return true;
  }

  release(name: string): void {
    const running = this.loaded.get(name);
    if (running !== undefined && running > 0) this.loaded.set(name, running - 1);
  }

  /** Adapters with running requests (vLLM reports these as running_lora_adapters). */
  running(): string[] {
    const out: string[] = [];
    for (const [name, r] of this.loaded) if (r > 0) out.push(name);
    return out;
  }

  /** Every adapter holding a slot, busy or idle. */
  loadedNames(): string[] {
    return [...this.loaded.keys()];
  }
}

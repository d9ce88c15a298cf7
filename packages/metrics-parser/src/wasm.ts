// Loads build/metrics_parser.wasm once and wraps one instance: config tables, page copy-in, result read-out.
import { readFileSync } from 'node:fs';
import type { SlotResult } from './assemble.js';
import { ExtractorConfigError } from './errors.js';
import { decodeLabelValue } from './labels.js';
import { isUnmatchableName, type PlanSlot } from './plan.js';
import {
  GROUP_BYTES,
  GROUPS_AT,
  INPUT_SLACK,
  MALFORMED_REASONS,
  MAX_CAPTURES,
  MAX_GROUPS,
  MAX_LABELS,
  MAX_SLOTS,
  MODE_LATEST,
  MODE_LORA,
  OUT_BYTES,
  Out,
  type ParserExports,
  SLOT_BYTES,
  SLOTS_AT,
  STR_BYTES,
} from './wasm-layout.js';

let compiled: WebAssembly.Module | undefined;

/** The compiled module, read synchronously on first use and shared by every instance. */
export function parserModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('../build/metrics_parser.wasm', import.meta.url)));
  return compiled;
}

/** Raised by the module's abort import; only a bug in the scanner can get here. */
export class WasmTrap extends Error {}

const encoder = new TextEncoder();

/** One WASM instance configured for a fixed list of slots. */
export class WasmScanner {
  private readonly ex: ParserExports;
  private buffer!: ArrayBuffer;
  private u8!: Uint8Array;
  private bytes!: Buffer;
  private i32!: Int32Array;
  private f64!: Float64Array;
  private view!: DataView;
  private readonly inputBase: number;
  private readonly outBase: number;
  private readonly results: SlotResult[];
  /** Last decoded value per slot and capture: model servers repeat the same label values every scrape. */
  private readonly lastCaptures: Array<{ raw: Uint8Array; len: number; text: string }>;

  constructor(private readonly slots: readonly PlanSlot[]) {
    if (slots.length > MAX_SLOTS)
      throw new ExtractorConfigError(`at most ${MAX_SLOTS} metric specs are supported`);
    const instance = new WebAssembly.Instance(parserModule(), {
      env: {
        abort: () => {
          throw new WasmTrap('metrics parser aborted');
        },
        // Slow path of the scanner's float parser (a token the exact fast path cannot take, already validated).
        parseDecimal: (ptr: number, len: number): number => {
          if (this.ex.memory.buffer !== this.buffer) this.refreshViews();
          return Number(String.fromCharCode(...this.u8.subarray(ptr, ptr + len)));
        },
      },
    });
    this.ex = instance.exports as unknown as ParserExports;
    this.results = slots.map(() => ({ declared: false, samples: 0, selected: null, malformed: null }));
    this.lastCaptures = Array.from({ length: slots.length * MAX_CAPTURES }, () => ({
      raw: new Uint8Array(64),
      len: -1,
      text: '',
    }));
    this.refreshViews();
    this.inputBase = this.ex.inputPtr();
    this.outBase = this.ex.outPtr();
    this.writeConfig();
  }

  private refreshViews(): void {
    this.buffer = this.ex.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.bytes = Buffer.from(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  private writeConfig(): void {
    const cfg = this.ex.cfgPtr();
    const str = this.ex.strPtr();
    let strUsed = 0;
    const strings = new Map<string, [number, number]>();
    const putString = (s: string): [number, number] => {
      const known = strings.get(s);
      if (known) return known;
      const bytes = encoder.encode(s);
      if (strUsed + bytes.length > STR_BYTES) {
        throw new ExtractorConfigError(
          `metric specs too long: more than ${STR_BYTES} bytes of names and labels`,
        );
      }
      this.u8.set(bytes, str + strUsed);
      const ref: [number, number] = [strUsed, bytes.length];
      strUsed += bytes.length;
      strings.set(s, ref);
      return ref;
    };
    const v = this.view;
    const groups: Array<{ name: string; mask: number }> = [];
    this.slots.forEach((slot, i) => {
      const labels = Object.entries(slot.spec.labels);
      if (labels.length > MAX_LABELS) {
        throw new ExtractorConfigError(
          `metric spec for ${slot.spec.name} has more than ${MAX_LABELS} labels`,
        );
      }
      const sp = cfg + SLOTS_AT + i * SLOT_BYTES;
      v.setInt32(sp, slot.mode === 'lora' ? MODE_LORA : MODE_LATEST, true);
      v.setInt32(sp + 4, labels.length, true);
      if (slot.captures.length > MAX_CAPTURES) throw new ExtractorConfigError('too many captured labels');
      slot.captures.forEach((name, k) => {
        const [off, len] = putString(name);
        v.setInt32(sp + 8 + k * 8, off, true);
        v.setInt32(sp + 12 + k * 8, len, true);
      });
      labels.forEach(([name, value], j) => {
        const lp = sp + 32 + j * 16;
        const [nOff, nLen] = putString(name);
        const [vOff, vLen] = putString(value);
        v.setInt32(lp, nOff, true);
        v.setInt32(lp + 4, nLen, true);
        v.setInt32(lp + 8, vOff, true);
        v.setInt32(lp + 12, vLen, true);
      });
      if (isUnmatchableName(slot.spec.name)) return;
      const g = groups.find((x) => x.name === slot.spec.name);
      if (g) g.mask |= 1 << i;
      else groups.push({ name: slot.spec.name, mask: 1 << i });
    });
    if (groups.length > MAX_GROUPS) throw new ExtractorConfigError(`at most ${MAX_GROUPS} metric names`);
    groups.forEach((g, i) => {
      const gp = cfg + GROUPS_AT + i * GROUP_BYTES;
      const [off, len] = putString(g.name);
      v.setInt32(gp, off, true);
      v.setInt32(gp + 4, len, true);
      v.setInt32(gp + 8, g.mask, true);
      // first (up to) 8 bytes of the name, little-endian, and the mask of the bytes that count
      let prefix = 0n;
      let mask = 0n;
      for (let k = 0; k < Math.min(8, len); k++) {
        prefix |= BigInt(this.u8[str + off + k]!) << BigInt(8 * k);
        mask |= 0xffn << BigInt(8 * k);
      }
      v.setBigUint64(gp + 16, prefix, true);
      v.setBigUint64(gp + 24, mask, true);
    });
    v.setInt32(cfg, this.slots.length, true);
    v.setInt32(cfg + 4, groups.length, true);
    if (this.ex.configure() !== 0)
      throw new ExtractorConfigError('metrics parser rejected its configuration');
  }

  /** Copies the page in (growing memory only for a page larger than any before) and scans it: one WASM call. */
  scan(page: Uint8Array): SlotResult[] | 'no-memory' {
    if (!this.load(page)) return 'no-memory';
    return this.parseLoaded(page.length);
  }

  /** Same for a page that arrived in pieces (HTTP body chunks): each is copied straight into WASM memory. */
  scanChunks(chunks: readonly Uint8Array[], total: number): SlotResult[] | 'no-memory' {
    if (!this.ensure(total)) return 'no-memory';
    let at = this.inputBase;
    for (const c of chunks) {
      this.u8.set(c, at);
      at += c.length;
    }
    return this.parseLoaded(total);
  }

  private parseLoaded(len: number): SlotResult[] {
    this.ex.parse(len);
    if (this.ex.memory.buffer !== this.buffer) this.refreshViews();
    for (let i = 0; i < this.slots.length; i++) this.readSlot(this.slots[i]!, this.results[i]!, i);
    return this.results;
  }

  /** The benchmark floor: copy the page in and count its newlines with SIMD. */
  countNewlines(page: Uint8Array): number {
    if (!this.load(page)) return -1;
    return this.ex.countNewlines(page.length);
  }

  /** The floor without the copy: count the newlines of the page already in WASM memory (benchmark only). */
  countNewlinesLoaded(len: number): number {
    return this.ex.countNewlines(len);
  }

  /** Linear memory size in bytes (for leak checks). */
  memoryBytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  private load(page: Uint8Array): boolean {
    if (!this.ensure(page.length)) return false;
    this.u8.set(page, this.inputBase);
    return true;
  }

  private ensure(len: number): boolean {
    if (this.inputBase + len + INPUT_SLACK > this.buffer.byteLength) {
      if (this.ex.reserve(len) !== 1) return false;
      this.refreshViews();
    }
    return true;
  }

  /** The decoded label value at [start, end), reusing last scrape's string when the bytes are the same. */
  private captured(cacheIndex: number, start: number, end: number): string {
    const last = this.lastCaptures[cacheIndex]!;
    const len = end - start;
    const u8 = this.u8;
    if (len === last.len) {
      let same = true;
      for (let j = 0; j < len; j++) {
        if (u8[start + j] !== last.raw[j]) {
          same = false;
          break;
        }
      }
      if (same) return last.text;
    }
    const text = decodeLabelValue(this.bytes, start, end);
    if (len <= last.raw.length) {
      last.raw.set(u8.subarray(start, end));
      last.len = len;
      last.text = text;
    }
    return text;
  }

  /** Fills the reused result record of slot i (callers consume results before the next scan). */
  private readSlot(slot: PlanSlot, r: SlotResult, i: number): void {
    // the output records are 8-byte aligned: index the typed views directly
    const o32 = (this.outBase + i * OUT_BYTES) >> 2;
    const i32 = this.i32;
    r.declared = i32[o32 + Out.declared / 4] === 1;
    r.samples = i32[o32 + Out.samples / 4]!;
    if (i32[o32 + Out.selected / 4] === 1) {
      let labels: Record<string, string> | null = null;
      if (slot.captures.length > 0) {
        labels = {};
        for (let k = 0; k < slot.captures.length; k++) {
          const start = i32[o32 + Out.caps / 4 + 2 * k]!;
          if (start < 0) continue;
          const end = i32[o32 + Out.caps / 4 + 2 * k + 1]!;
          labels[slot.captures[k]!] = this.captured(
            i * MAX_CAPTURES + k,
            this.inputBase + start,
            this.inputBase + end,
          );
        }
      }
      r.selected = { value: this.f64[(o32 >> 1) + Out.value / 8]!, labels };
    } else {
      r.selected = null;
    }
    const errCode = i32[o32 + Out.err / 4]!;
    r.malformed =
      errCode === 0
        ? null
        : {
            line: i32[o32 + Out.errLine / 4]!,
            column: i32[o32 + Out.errCol / 4]!,
            reason: MALFORMED_REASONS[errCode] ?? `error ${errCode}`,
          };
  }
}

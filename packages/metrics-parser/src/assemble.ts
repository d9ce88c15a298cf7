// From per-slot scan results to EndpointMetrics: the upstream (GIE) rules for errors, the vLLM KV fallback,
// LoRA adapter lists and cache-info integers. Shared by the WASM extractor and the TypeScript reference.
import { ErrorCodes, familyNotFound, goQuote, noMatch, noMetrics } from './errors.js';
import {
  type ExtractionPlan,
  LORA_MAX_LABEL,
  LORA_RUNNING_LABEL,
  LORA_WAITING_LABEL,
  type PlanSlot,
} from './plan.js';
import type { EndpointMetrics, MetricError } from './types.js';

/** What scanning a page found for one slot. */
export interface SlotResult {
  /** A HELP or TYPE line names the family. */
  declared: boolean;
  /** Sample lines carrying the family's name (valid or not). */
  samples: number;
  /** The selected sample (by the slot's rule), if any. */
  selected: { value: number; labels: Record<string, string> | null } | null;
  /** The first malformed line of the family, if any. */
  malformed: { line: number; column: number; reason: string } | null;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** [+-]?[0-9]+ without a regular expression (this runs for every scrape). */
function isDecimalInteger(s: string): boolean {
  let i = s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= s.length) return false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Go strconv.Atoi on a 64-bit platform: the value, or the Go error message. */
export function goAtoi(s: string): { value: number } | { error: string } {
  if (!isDecimalInteger(s)) return { error: `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax` };
  if (s.length <= 15) return { value: Number(s) };
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX)
    return { error: `strconv.Atoi: parsing ${goQuote(s)}: value out of range` };
  return { value: Number(big) };
}

/** Comma-separated adapter names: trimmed, empties dropped, duplicates dropped, first-seen order. */
export function adapterList(csv: string | undefined): string[] {
  const out: string[] = [];
  if (!csv) return out;
  let start = 0;
  while (start <= csv.length) {
    let end = csv.indexOf(',', start);
    if (end < 0) end = csv.length;
    const name = csv.slice(start, end).trim();
    if (name !== '' && !out.includes(name)) out.push(name);
    start = end + 1;
  }
  return out;
}

function err(out: EndpointMetrics, slot: PlanSlot, code: string, message: string): void {
  out.errors.push({ metric: slot.field, code, message } satisfies MetricError);
}

/** The selected sample, or undefined after recording why there is none. */
function pick(out: EndpointMetrics, slot: PlanSlot, r: SlotResult): SlotResult['selected'] | undefined {
  const name = slot.spec.name;
  if (r.malformed) {
    const m = r.malformed;
    err(
      out,
      slot,
      ErrorCodes.MalformedLine,
      `malformed line ${m.line} (column ${m.column}) of metric family ${goQuote(name)}: ${m.reason}`,
    );
    return undefined;
  }
  if (r.samples === 0) {
    if (slot.mode === 'lora' && r.declared) return undefined; // family present, no series: no change, no error
    if (r.declared) err(out, slot, ErrorCodes.NoMetrics, noMetrics(name));
    else err(out, slot, ErrorCodes.FamilyNotFound, familyNotFound(name));
    return undefined;
  }
  if (!r.selected) {
    if (slot.mode !== 'lora') err(out, slot, ErrorCodes.NoMatch, noMatch(name, slot.spec.labels));
    return undefined;
  }
  return r.selected;
}

function finite(out: EndpointMetrics, slot: PlanSlot, v: number): boolean {
  if (Number.isFinite(v)) return true;
  err(out, slot, ErrorCodes.InvalidValue, `metric ${goQuote(slot.spec.name)} has the non-finite value ${v}`);
  return false;
}

export function assemble(plan: ExtractionPlan, results: SlotResult[]): EndpointMetrics {
  const out: EndpointMetrics = { errors: [] };
  const slots = plan.slots;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    const r = results[i]!;
    switch (slot.role) {
      case 'waiting':
      case 'running': {
        const sel = pick(out, slot, r);
        if (sel && finite(out, slot, sel.value)) {
          if (slot.role === 'waiting') out.waitingQueueSize = Math.trunc(sel.value);
          else out.runningRequestsSize = Math.trunc(sel.value);
        }
        break;
      }
      case 'kv': {
        // the fallback slot, when configured, always follows 'kv'
        const fbSlot = slots[i + 1]?.role === 'kvFallback' ? slots[i + 1] : undefined;
        const fb = fbSlot ? results[i + 1] : undefined;
        const useFallback = r.samples === 0 && !r.declared && fbSlot && fb && (fb.samples > 0 || fb.declared);
        const s = useFallback ? fbSlot : slot;
        const sel = pick(out, s, useFallback ? fb : r);
        if (sel && finite(out, s, sel.value)) out.kvCacheUsagePercent = sel.value;
        break;
      }
      case 'lora': {
        const sel = pick(out, slot, r);
        if (!sel) break;
        const labels = sel.labels ?? {};
        out.activeModels = adapterList(labels[LORA_RUNNING_LABEL]);
        out.waitingModels = adapterList(labels[LORA_WAITING_LABEL]);
        const max = labels[LORA_MAX_LABEL];
        if (max !== undefined && max !== '') {
          const n = goAtoi(max);
          if ('value' in n) out.maxActiveModels = n.value;
          else err(out, slot, ErrorCodes.InvalidInteger, n.error);
        }
        break;
      }
      case 'cacheInfo': {
        const sel = pick(out, slot, r);
        if (!sel) break;
        const labels = sel.labels ?? {};
        for (const [key, labelName] of [
          ['cacheBlockSize', plan.cacheInfoLabels.blockSize],
          ['cacheNumGpuBlocks', plan.cacheInfoLabels.numBlocks],
        ] as const) {
          const v = labels[labelName];
          if (v === undefined || v === '') continue;
          const n = goAtoi(v);
          if ('value' in n) out[key] = n.value;
          else err(out, slot, ErrorCodes.InvalidInteger, n.error);
        }
        break;
      }
      case 'cacheBlockSize':
      case 'cacheNumBlocks': {
        const sel = pick(out, slot, r);
        if (sel && finite(out, slot, sel.value)) {
          if (slot.role === 'cacheBlockSize') out.cacheBlockSize = Math.trunc(sel.value);
          else out.cacheNumGpuBlocks = Math.trunc(sel.value);
        }
        break;
      }
      case 'kvFallback':
        break; // consulted by 'kv'
    }
  }
  return out;
}

/** WASM memory could not grow to hold the page (only below a maxPageBytes the host cannot back). */
export function pageDoesNotFit(bytes: number): EndpointMetrics {
  return {
    errors: [
      {
        metric: 'page',
        code: ErrorCodes.PageTooLarge,
        message: `metrics page of ${bytes} bytes does not fit in the parser's memory`,
      },
    ],
  };
}

export function pageTooLarge(bytes: number, max: number): EndpointMetrics {
  return {
    errors: [
      {
        metric: 'page',
        code: ErrorCodes.PageTooLarge,
        message: `metrics page of ${bytes} bytes exceeds the limit of ${max} bytes`,
      },
    ],
  };
}

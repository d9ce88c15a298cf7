// A plain TypeScript implementation of the same extraction, written independently of the WASM scanner (strings and
// regular expressions instead of bytes). Used by the differential tests and as the "TS reference" in the benchmark.
import { assemble, pageTooLarge, type SlotResult } from './assemble.js';
import {
  buildPlan,
  type ExtractionPlan,
  isUnmatchableName,
  LORA_RUNNING_LABEL,
  LORA_WAITING_LABEL,
  type PlanSlot,
} from './plan.js';
import type { EndpointMetrics, ExtractorConfig } from './types.js';

const FLOAT_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;
const NAN_RE = /^nan$/i;
const INT_RE = /^[+-]?[0-9]+$/;
const LABEL_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\[\\"n])*)"/;
const COMMENT_RE = /^#[ \t]*(?:HELP|TYPE)[ \t]+([^ \t\r]+)/;
const EOF_RE = /^#[ \t]*EOF[ \t]*$/;
const MAX_TOKEN = 1024;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Value token -> number, or undefined when it is not one (same grammar as the WASM scanner). */
export function parseSampleValue(tok: string): number | undefined {
  if (tok.length === 0 || tok.length > MAX_TOKEN) return undefined;
  if (FLOAT_RE.test(tok)) return Number(tok);
  if (INF_RE.test(tok)) return tok.startsWith('-') ? -Infinity : Infinity;
  if (NAN_RE.test(tok)) return Number.NaN;
  return undefined;
}

/** Timestamp token -> milliseconds: int64 milliseconds, or OpenMetrics float seconds. */
export function parseTimestampMs(tok: string): number | undefined {
  if (tok.length > MAX_TOKEN) return undefined;
  if (/[.eEiInN]/.test(tok)) {
    const sec = parseSampleValue(tok);
    if (sec === undefined || !Number.isFinite(sec)) return undefined;
    const ms = Math.trunc(sec * 1000);
    return ms > -9.2e18 && ms < 9.2e18 ? ms : undefined;
  }
  if (!INT_RE.test(tok)) return undefined;
  const big = BigInt(tok);
  return big > INT64_MAX || big < INT64_MIN ? undefined : Number(big);
}

function unescapeLabel(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

interface ParsedSample {
  labels: Array<[string, string]>;
  value: number;
  timestampMs: number | undefined;
}

/** The rest of a sample line after its metric name; a string is the reason it is malformed. */
function parseSampleRest(rest: string): ParsedSample | string {
  const labels: Array<[string, string]> = [];
  let s = rest;
  if (s.startsWith('{')) {
    s = s.slice(1);
    for (;;) {
      s = s.replace(/^[ \t]+/, '');
      if (s.startsWith('}')) break;
      const m = LABEL_RE.exec(s);
      if (!m) return 'bad label';
      labels.push([m[1]!, unescapeLabel(m[2]!)]);
      s = s.slice(m[0].length).replace(/^[ \t]+/, '');
      if (s.startsWith(',')) {
        s = s.slice(1);
        continue;
      }
      if (s.startsWith('}')) break;
      return 'expected , or }';
    }
    s = s.slice(1);
  } else if (s !== '' && s[0] !== ' ' && s[0] !== '\t') {
    return 'unexpected character after name';
  }
  const tokens = s.split(/[ \t]+/).filter((t) => t !== '');
  const [valueTok, tsTok, extra] = tokens;
  if (valueTok === undefined) return 'missing value';
  const value = parseSampleValue(valueTok);
  if (value === undefined) return 'bad value';
  let timestampMs: number | undefined;
  if (tsTok !== undefined && !tsTok.startsWith('#')) {
    timestampMs = parseTimestampMs(tsTok);
    if (timestampMs === undefined) return 'bad timestamp';
    if (extra !== undefined && !extra.startsWith('#')) return 'trailing text';
  }
  return { labels, value, timestampMs };
}

interface SlotState {
  declared: boolean;
  samples: number;
  best: number;
  selected: { value: number; labels: Record<string, string> | null } | null;
  malformed: { line: number; column: number; reason: string } | null;
}

function consider(slot: PlanSlot, st: SlotState, sample: ParsedSample): void {
  for (const [k, v] of Object.entries(slot.spec.labels)) {
    if (!sample.labels.some(([n, val]) => n === k && val === v)) return;
  }
  let take: boolean;
  if (slot.mode === 'lora') {
    const hasAdapters = sample.labels.some(
      ([n, v]) => (n === LORA_RUNNING_LABEL || n === LORA_WAITING_LABEL) && v !== '',
    );
    take = hasAdapters && sample.value > st.best;
    if (take) st.best = sample.value;
  } else {
    const ts = sample.timestampMs ?? 0;
    take = ts > st.best;
    if (take) st.best = ts;
  }
  if (take)
    st.selected = {
      value: sample.value,
      labels: slot.captures.length > 0 ? Object.fromEntries(sample.labels) : null,
    };
}

/** Scan a page (string) for the plan's slots. */
export function referenceScan(plan: ExtractionPlan, text: string): SlotResult[] {
  const states: SlotState[] = plan.slots.map((s) => ({
    declared: false,
    samples: 0,
    best: s.mode === 'lora' ? 0 : -1,
    selected: null,
    malformed: null,
  }));
  const byName = new Map<string, number[]>();
  plan.slots.forEach((s, i) => {
    if (isUnmatchableName(s.spec.name)) return;
    byName.set(s.spec.name, [...(byName.get(s.spec.name) ?? []), i]);
  });
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    if (n === lines.length - 1 && line === '') break;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = line.replace(/^[ \t]+/, '');
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (EOF_RE.test(line)) break;
      const m = COMMENT_RE.exec(line);
      for (const i of (m && byName.get(m[1]!)) || []) states[i]!.declared = true;
      continue;
    }
    const name = /^[^{ \t\r]*/.exec(line)![0];
    const wanted = byName.get(name);
    if (!wanted) continue;
    for (const i of wanted) states[i]!.samples++;
    const parsed = parseSampleRest(line.slice(name.length));
    for (const i of wanted) {
      const st = states[i]!;
      if (st.malformed) continue;
      if (typeof parsed === 'string') st.malformed = { line: n + 1, column: 0, reason: parsed };
      else consider(plan.slots[i]!, st, parsed);
    }
  }
  return states.map((st) => ({
    declared: st.declared,
    samples: st.samples,
    selected: st.selected,
    malformed: st.malformed,
  }));
}

// ignoreBOM keeps a leading BOM in the text, as the byte-level scanner sees it (it makes line 1 unreadable).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Same contract as MetricsExtractor, in plain TypeScript. */
export class ReferenceExtractor {
  private readonly plan: ExtractionPlan;
  constructor(readonly config: ExtractorConfig) {
    this.plan = buildPlan(config);
  }
  extract(page: Uint8Array): EndpointMetrics {
    if (page.length > this.plan.maxPageBytes) return pageTooLarge(page.length, this.plan.maxPageBytes);
    return assemble(this.plan, referenceScan(this.plan, decoder.decode(page)));
  }
}

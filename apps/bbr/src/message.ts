// The request a plugin sees: read-only headers and top-level body fields, plus header mutators with the upstream
// semantics (IPP `pkg/framework` message API): setting a value equal to the original is no mutation; removing a
// header that does not exist does nothing; set-then-remove of an absent header cancels out; remove-then-set and
// repeated sets leave the last value.
import { type RequestHeadersView, sanitizeHeaderValue } from '@igw/ext-proc';
import type { TopLevelFields } from './scan/json-scanner.js';

type Pending = { name: string; value: string } | null; // null = remove

export class RequestMessage {
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly headers: RequestHeadersView,
    readonly body: TopLevelFields,
  ) {}

  /** The header's value as the upstream will see it after the mutations so far. */
  header(name: string): string | undefined {
    const lc = name.toLowerCase();
    const p = this.pending.get(lc);
    if (p === null) return undefined;
    return p ? p.value : this.headers.get(lc);
  }

  setHeader(name: string, value: string): void {
    const lc = name.toLowerCase();
    const clean = sanitizeHeaderValue(value);
    if (this.headers.get(lc) === clean) {
      this.pending.delete(lc);
      return;
    }
    this.pending.set(lc, { name, value: clean });
  }

  removeHeader(name: string): void {
    const lc = name.toLowerCase();
    if (this.headers.has(lc)) this.pending.set(lc, null);
    else this.pending.delete(lc);
  }

  setHeaders(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const p of this.pending.values()) if (p) out.push([p.name, p.value]);
    return out;
  }

  removeHeaders(): string[] {
    const out: string[] = [];
    for (const [lc, p] of this.pending) if (p === null) out.push(lc);
    return out;
  }
}

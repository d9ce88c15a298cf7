// JS-side bookkeeping shared by the WASM Scheduler and the TS reference: addresses by slot, slot allocation
// (freed slots are reused LIFO, generations bump on reuse), the IP -> slots index for subset hints, and
// adapter-name interning (id 0 = "unknown").
import { isIP } from 'node:net';
import { SchedulerInputError } from './errors.js';
import type { EndpointHandle } from './types.js';

/** 'ip:port' or '[v6]:port' -> ip, or null when malformed. */
export function parseEndpointAddress(address: string): { ip: string; port: number } | null {
  let ip: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') return null;
    ip = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0 || address.indexOf(':') !== colon) return null;
    ip = address.slice(0, colon);
    portText = address.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535 || isIP(ip) === 0) return null;
  return { ip, port };
}

/** The IP part of a subset-hint entry ('ip:port', '[v6]:port', or a bare IP). */
export function hintIp(entry: string): string {
  const e = entry.trim();
  if (e.startsWith('[')) {
    const close = e.indexOf(']');
    return close < 0 ? e : e.slice(1, close);
  }
  const colon = e.indexOf(':');
  if (colon >= 0 && e.indexOf(':', colon + 1) < 0) return e.slice(0, colon);
  return e;
}

function sortUnique(out: number[]): number[] {
  out.sort((a, b) => a - b);
  let w = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[w++] = out[i]!;
  out.length = w;
  return out;
}

export class EndpointRegistry {
  private readonly addresses: Array<string | undefined> = [];
  private readonly generations: number[] = [];
  private readonly bySlotIp: Array<string | undefined> = [];
  private readonly byAddress = new Map<string, number>();
  private readonly byIp = new Map<string, number[]>();
  private readonly free: number[] = [];
  private readonly adapterIds = new Map<string, number>();
  count = 0;

  /** Highest slot index ever used + 1. */
  get slotsUsed(): number {
    return this.addresses.length;
  }

  find(address: string): EndpointHandle | undefined {
    const slot = this.byAddress.get(address);
    if (slot === undefined) return undefined;
    return { slot, generation: this.generations[slot]!, address };
  }

  /** Allocates a slot for a new address (the caller checked it is not present). */
  allocate(address: string): number {
    const parsed = parseEndpointAddress(address);
    if (!parsed)
      throw new SchedulerInputError(`invalid endpoint address '${address}': want ip:port or [ipv6]:port`);
    const slot = this.free.length > 0 ? this.free.pop()! : this.addresses.length;
    this.addresses[slot] = address;
    this.generations[slot] = (this.generations[slot] ?? 0) + 1;
    this.bySlotIp[slot] = parsed.ip;
    this.byAddress.set(address, slot);
    const list = this.byIp.get(parsed.ip);
    if (list) list.push(slot);
    else this.byIp.set(parsed.ip, [slot]);
    this.count++;
    return slot;
  }

  handle(slot: number): EndpointHandle {
    return { slot, generation: this.generations[slot]!, address: this.addresses[slot]! };
  }

  /** Throws unless h names a live endpoint. */
  check(h: EndpointHandle): void {
    if (
      !h ||
      !Number.isInteger(h.slot) ||
      this.addresses[h.slot] === undefined ||
      this.generations[h.slot] !== h.generation ||
      this.addresses[h.slot] !== h.address
    ) {
      throw new SchedulerInputError(`stale or unknown endpoint handle ${JSON.stringify(h)}`);
    }
  }

  release(h: EndpointHandle): void {
    this.check(h);
    const ip = this.bySlotIp[h.slot]!;
    this.addresses[h.slot] = undefined;
    this.bySlotIp[h.slot] = undefined;
    this.byAddress.delete(h.address);
    const list = this.byIp.get(ip)!;
    list.splice(list.indexOf(h.slot), 1);
    if (list.length === 0) this.byIp.delete(ip);
    this.free.push(h.slot);
    this.count--;
  }

  address(slot: number): string {
    return this.addresses[slot]!;
  }

  isLive(slot: number): boolean {
    return this.addresses[slot] !== undefined;
  }

  /** Live slots whose IP appears in the hint, ascending and without duplicates. */
  subsetSlots(hint: readonly string[]): number[] {
    const out: number[] = [];
    for (const entry of hint) {
      const list = this.byIp.get(hintIp(entry));
      if (list) for (const s of list) out.push(s);
    }
    return sortUnique(out);
  }

  /**
   * Live slots named by a test-epp-endpoint-selection header value: `ip:port` entries match exactly, bare IPs
   * (optionally bracketed) match every endpoint on that IP. Ascending, without duplicates.
   */
  selectionSlots(value: string): number[] {
    const out: number[] = [];
    for (const raw of value.split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      if (parseEndpointAddress(item)) {
        const s = this.byAddress.get(item);
        if (s !== undefined) out.push(s);
      } else {
        const list = this.byIp.get(item.replace(/^\[(.*)\]$/, '$1'));
        if (list) out.push(...list);
      }
    }
    return sortUnique(out);
  }

  /** Interned id of an adapter name, creating it. */
  intern(name: string): number {
    let id = this.adapterIds.get(name);
    if (id === undefined) {
      id = this.adapterIds.size + 1;
      this.adapterIds.set(name, id);
    }
    return id;
  }

  /** Interned id, or 0 when no endpoint ever reported the name. */
  lookup(name: string): number {
    return this.adapterIds.get(name) ?? 0;
  }
}

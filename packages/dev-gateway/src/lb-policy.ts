// The gateway's own endpoint choice: for --lb-policy round-robin|random|least-request (the baselines the routing
// benchmark compares the EPP with) and for FailOpen. In-flight counts are kept per address for every request the
// gateway proxies, whatever chose the endpoint, so least-request sees the real load.

export type OwnPolicy = 'round-robin' | 'random' | 'least-request';

/** The seeded PRNG of --seed (mulberry32), so benchmark runs with --seed make the same choices. */
export { mulberry32 as seededRandom } from '@igw/cli-common';

export class EndpointPicker {
  private rr = 0;
  private readonly inFlight = new Map<string, number>();

  constructor(
    readonly policy: OwnPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Picks one of `candidates`, or undefined when there are none. */
  pick(candidates: readonly string[]): string | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    if (n === 1) return candidates[0];
    switch (this.policy) {
      case 'round-robin':
        this.rr = (this.rr + 1) % n;
        return candidates[this.rr];
      case 'random':
        return candidates[Math.floor(this.random() * n)];
      case 'least-request': {
        // Envoy's LEAST_REQUEST with equal weights: power of two choices over active requests (choice_count 2).
        const i = Math.floor(this.random() * n);
        let j = Math.floor(this.random() * (n - 1));
        if (j >= i) j++;
        const a = candidates[i]!;
        const b = candidates[j]!;
        return this.active(b) < this.active(a) ? b : a;
      }
    }
  }

  active(address: string): number {
    return this.inFlight.get(address) ?? 0;
  }

  /** Marks a request as started on `address`; call the returned function once when it ends. */
  begin(address: string): () => void {
    this.inFlight.set(address, this.active(address) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = this.active(address) - 1;
      if (left <= 0) this.inFlight.delete(address);
      else this.inFlight.set(address, left);
    };
  }
}

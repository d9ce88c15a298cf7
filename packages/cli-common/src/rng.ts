// The seeded generator every seeded choice in the repo uses (the dev gateway's --seed, the metrics page fixtures,
// the routing benchmark's workloads). Changing one bit of it changes every seeded result, so a test pins its output.

/** mulberry32: a 32-bit seeded generator of uniform floats in [0, 1); small, fast, deterministic. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

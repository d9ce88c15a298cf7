// mulberry32: a 32-bit seedable PRNG that is cheap to reproduce bit for bit in JavaScript (Math.imul),
// so the TypeScript reference can be compared with this module pick for pick.
let state: u32 = 0x9e3779b9;

export function rngSeed(seed: u32): void {
  state = seed;
}

export function rngState(): u32 {
  return state;
}

@inline
export function nextU32(): u32 {
  state += 0x6d2b79f5;
  let t = state;
  t = (t ^ (t >>> 15)) * (t | 1);
  t ^= t + (t ^ (t >>> 7)) * (t | 61);
  return t ^ (t >>> 14);
}

/** Uniform in [0, 1). */
@inline
export function nextF64(): f64 {
  return <f64>nextU32() / 4294967296.0;
}

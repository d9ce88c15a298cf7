// The benchmark floor: count the newlines of the page with SIMD and do nothing else.
import { inputPtr } from './layout';

/** The benchmark floor: count '\n' bytes in the page with SIMD (no parsing at all). */
export function countNewlines(len: i32): i32 {
  if (len < 0) return -1;
  let p = inputPtr();
  const end = p + <usize>len;
  const nl = i8x16.splat(10);
  let total: i32 = 0;
  while (p + 16 <= end) {
    // up to 255 vectors per inner round so the i8 lane counters cannot overflow
    let acc = i8x16.splat(0);
    let k = 0;
    while (k < 255 && p + 16 <= end) {
      acc = i8x16.sub(acc, i8x16.eq(v128.load(p), nl));
      p += 16;
      k++;
    }
    const wide = i16x8.extadd_pairwise_i8x16_u(acc);
    const wider = i32x4.extadd_pairwise_i16x8_u(wide);
    total +=
      i32x4.extract_lane(wider, 0) +
      i32x4.extract_lane(wider, 1) +
      i32x4.extract_lane(wider, 2) +
      i32x4.extract_lane(wider, 3);
  }
  while (p < end) {
    if (load<u8>(p) == 10) total++;
    p++;
  }
  return total;
}

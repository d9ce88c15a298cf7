import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { xxh64 } from './xxhash64.js';

const M = (1n << 64n) - 1n;
const P = [
  11400714785074694791n,
  14029467366897019727n,
  1609587929392839161n,
  9650029242287828579n,
  2870177450012600261n,
];
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
const round = (acc: bigint, v: bigint) => (rotl((acc + v * P[1]!) & M, 31n) * P[0]!) & M;
const le = (b: Uint8Array, p: number, n: number) => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[p + i]!);
  return v;
};

/** Straightforward BigInt XXH64 (seed 0) to check the 32-bit-halves version. */
function xxh64Big(b: Uint8Array): bigint {
  let p = 0;
  let h: bigint;
  if (b.length >= 32) {
    let v = [(P[0]! + P[1]!) & M, P[1]!, 0n, (M + 1n - P[0]!) & M];
    while (p + 32 <= b.length) {
      v = v.map((x, i) => round(x, le(b, p + 8 * i, 8)));
      p += 32;
    }
    h = (rotl(v[0]!, 1n) + rotl(v[1]!, 7n) + rotl(v[2]!, 12n) + rotl(v[3]!, 18n)) & M;
    for (const x of v) h = ((((h ^ round(0n, x)) * P[0]!) & M) + P[3]!) & M;
  } else h = P[4]!;
  h = (h + BigInt(b.length)) & M;
  for (; p + 8 <= b.length; p += 8) h = (rotl(h ^ round(0n, le(b, p, 8)), 27n) * P[0]! + P[3]!) & M;
  if (p + 4 <= b.length) {
    h = (rotl(h ^ ((le(b, p, 4) * P[0]!) & M), 23n) * P[1]! + P[2]!) & M;
    p += 4;
  }
  for (; p < b.length; p++) h = (rotl(h ^ ((BigInt(b[p]!) * P[4]!) & M), 11n) * P[0]!) & M;
  h ^= h >> 33n;
  h = (h * P[1]!) & M;
  h ^= h >> 29n;
  h = (h * P[2]!) & M;
  return h ^ (h >> 32n);
}

test('known XXH64 vectors', () => {
  const e = new TextEncoder();
  assert.equal(xxh64(e.encode('')), 0xef46db3751d8e999n);
  assert.equal(xxh64(e.encode('a')), 0xd24ec4f1a98c6e5bn);
  assert.equal(xxh64(e.encode('abc')), 0x44bc2cf5ad770999n);
});

test('32-bit-halves XXH64 equals a BigInt XXH64 on random inputs', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      assert.equal(xxh64(b), xxh64Big(b));
    }),
    { numRuns: 500 },
  );
});

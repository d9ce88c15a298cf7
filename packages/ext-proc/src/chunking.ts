// Body chunking for FULL_DUPLEX_STREAMED replies: Envoy recommends chunks of at most 64 KiB; upstream (GAIE
// `buildCommonResponses`, llm-d `pkg/common/envoy/chunking.go`) uses 62,000 bytes. Views, never copies.

export const STREAMED_BODY_CHUNK_BYTES = 62_000;

/** Split `body` into views of at most `maxChunk` bytes. An empty body gives one empty chunk. */
export function chunkBody(body: Uint8Array, maxChunk: number = STREAMED_BODY_CHUNK_BYTES): Buffer[] {
  if (!Number.isInteger(maxChunk) || maxChunk <= 0)
    throw new RangeError(`chunk size must be a positive integer, got ${maxChunk}`);
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.length <= maxChunk) return [buf];
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += maxChunk)
    out.push(buf.subarray(off, Math.min(off + maxChunk, buf.length)));
  return out;
}

/** Join received chunks; a single chunk is returned as is (no copy). */
export function concatChunks(chunks: Buffer[], total: number): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.length === 0) return Buffer.alloc(0);
  return Buffer.concat(chunks, total);
}

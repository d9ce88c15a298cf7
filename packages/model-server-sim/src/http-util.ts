// Small HTTP helpers: bounded body reading and OpenAI-style error replies.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from './errors.js';

/**
 * Reads the whole body, refusing more than `limit` bytes with SimError('payload_too_large') (checked against
 * Content-Length up front and while reading, for chunked bodies). The rest of an oversized body is drained so the
 * error reply can still be read by the client.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new SimError('payload_too_large', `Request body is larger than the limit of ${limit} bytes.`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, err: SimError): void {
  if (err.kind === 'payload_too_large') res.setHeader('connection', 'close');
  sendJson(res, err.status, JSON.stringify(err.toJSON()));
}

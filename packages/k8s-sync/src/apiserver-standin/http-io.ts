// Response and request-body plumbing of the stand-in: JSON answers, metav1.Status errors, bounded JSON bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODE, type StatusReason, statusBody } from './status.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A Status error; once a stream has started (a watch) the connection is cut instead. */
export function sendStatus(
  res: ServerResponse,
  reason: StatusReason,
  message: string,
  details?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, STATUS_CODE[reason], statusBody(reason, message, details));
}

/** Reads a JSON body of at most maxBytes (413 beyond, 400 when it does not parse), then calls `then`. */
export function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  then: (body: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > maxBytes && !failed) {
      failed = true;
      sendStatus(res, 'RequestEntityTooLarge', `request body larger than ${maxBytes} bytes`);
      req.resume();
    } else if (!failed) chunks.push(c);
  });
  req.on('end', () => {
    if (failed) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      sendStatus(res, 'BadRequest', `the body is not valid JSON: ${(err as Error).message}`);
      return;
    }
    then(parsed);
  });
}

// Incremental reader of one HTTP/1.x response to a scrape GET: status line and headers (only the framing headers
// are interpreted), then a Content-Length, chunked or close-delimited body copied straight into a caller-owned
// buffer that grows by doubling up to the size cap. Everything it rejects is a ScrapeError with a clear message;
// it never waits for bytes that cannot come (a malformed head or chunk line fails at once, not at the timeout).
import { ScrapeError } from './scrape-error.js';

const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_UNTIL_CLOSE = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const TRAILERS = 6;
const DONE = 7;

const LF = 0x0a;
/** Longest chunk-size or trailer line accepted. */
const MAX_LINE = 4096;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
const CHUNK_LINE = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/;
const DIGITS = /^\d{1,15}$/;

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);

export class Http1ResponseReader {
  /** Status of the final (non-1xx) response. */
  status = 0;
  /** False when the connection cannot serve another request after this response. */
  keepAlive = true;
  /** Receive buffer; the page is `body.subarray(0, size)` once complete. */
  body: Buffer | undefined;
  size = 0;
  /** Bytes received for this exchange (0 = nothing yet: a reused socket the server had already closed). */
  received = 0;
  private state = DONE;
  private remaining = 0;
  /** Gathers a head split across reads. */
  private head: Buffer | undefined;
  private headLen = 0;
  /** Gathers a chunk-size or trailer line. */
  private line: Buffer | undefined;
  private lineLen = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxHeadBytes = 32 * 1024,
  ) {}

  /** Starts a new response; `body` is the buffer to fill (grown, and replaced, when too small). */
  reset(body: Buffer | undefined): void {
    this.status = 0;
    this.keepAlive = true;
    this.body = body;
    this.size = 0;
    this.received = 0;
    this.state = HEAD;
    this.headLen = 0;
    this.lineLen = 0;
  }

  get complete(): boolean {
    return this.state === DONE;
  }

  /**
   * Consumes bytes from the socket; true once the response is complete. Bytes past the end of the response make
   * the connection unusable (keepAlive = false): nothing may arrive unasked on an HTTP/1.1 connection.
   */
  feed(chunk: Buffer): boolean {
    this.received += chunk.length;
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      switch (this.state) {
        case HEAD:
          pos = this.readHead(chunk, pos);
          break;
        case BODY_LENGTH:
          pos = this.takeCounted(chunk, pos, DONE);
          break;
        case BODY_UNTIL_CLOSE:
          this.write(chunk, pos, n);
          pos = n;
          break;
        case CHUNK_SIZE:
        case CHUNK_DATA_END:
        case TRAILERS: {
          const end = this.readLine(chunk, pos);
          if (end < 0) return false;
          pos = end;
          this.onLine(this.lineLen === 0 ? '' : this.line!.toString('latin1', 0, this.lineLen));
          this.lineLen = 0;
          break;
        }
        case CHUNK_DATA:
          pos = this.takeCounted(chunk, pos, CHUNK_DATA_END);
          break;
        default:
          // DONE with bytes left over.
          this.keepAlive = false;
          return true;
      }
    }
    return this.state === DONE;
  }

  /** The peer closed the connection: true if that completes a close-delimited body, else a ScrapeError. */
  end(): true {
    if (this.state === BODY_UNTIL_CLOSE || this.state === DONE) {
      this.state = DONE;
      this.keepAlive = false;
      return true;
    }
    if (this.received === 0) throw new ScrapeError('network', 'connection closed before a response');
    if (this.state === HEAD) throw new ScrapeError('network', 'connection closed in the response head');
    throw new ScrapeError(
      'network',
      `connection closed mid-response (${this.size} body bytes received${this.state === BODY_LENGTH ? `, ${this.remaining} missing` : ''})`,
    );
  }

  private readHead(chunk: Buffer, pos: number): number {
    if (this.headLen === 0) {
      // Usual case: the whole head is in this chunk, parse it in place.
      const end = findHeadEnd(chunk, pos, chunk.length);
      if (end >= 0 && end - pos <= this.maxHeadBytes) {
        this.parseHead(chunk.toString('latin1', pos, end));
        return end;
      }
    }
    // The head spans chunks: gather it (allocated on first need; most connections never do).
    this.head ??= Buffer.allocUnsafe(this.maxHeadBytes);
    const take = Math.min(chunk.length - pos, this.maxHeadBytes - this.headLen);
    // Search only the new bytes (and the 2 before them, for a blank line split across chunks).
    const from = Math.max(0, this.headLen - 2);
    const before = this.headLen;
    chunk.copy(this.head, this.headLen, pos, pos + take);
    this.headLen += take;
    const end = findHeadEnd(this.head, from, this.headLen);
    if (end < 0) {
      if (this.headLen === this.maxHeadBytes) {
        throw new ScrapeError('protocol', `response head exceeds ${this.maxHeadBytes} bytes`);
      }
      return pos + take;
    }
    this.headLen = 0;
    this.parseHead(this.head.toString('latin1', 0, end));
    return pos + (end - before);
  }

  private parseHead(text: string): void {
    const lines = text.split('\n');
    const statusLine = stripCr(lines[0]!);
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new ScrapeError('protocol', `malformed status line ${quote(statusLine)}`);
    const status = Number(m[2]);
    let keepAlive = m[1] === '1';
    let contentLength = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = stripCr(lines[i]!);
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (
        colon <= 0 ||
        line.charCodeAt(0) === 0x20 ||
        line.charCodeAt(0) === 0x09 ||
        /[ \t]/.test(line.slice(0, colon))
      ) {
        throw new ScrapeError('protocol', `malformed header line ${quote(line)}`);
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      switch (name) {
        case 'content-length': {
          // A list of identical values is tolerated (RFC 9110 8.6); anything else is a framing error.
          for (const v of value.split(',')) {
            const t = v.trim();
            if (!DIGITS.test(t)) throw new ScrapeError('protocol', `invalid Content-Length ${quote(value)}`);
            const len = Number(t);
            if (contentLength >= 0 && len !== contentLength) {
              throw new ScrapeError('protocol', `conflicting Content-Length values ${quote(value)}`);
            }
            contentLength = len;
          }
          break;
        }
        case 'transfer-encoding': {
          const codings = value.toLowerCase().split(',');
          if (codings[codings.length - 1]!.trim() !== 'chunked' || codings.length > 1) {
            throw new ScrapeError('protocol', `unsupported Transfer-Encoding ${quote(value)}`);
          }
          chunked = true;
          break;
        }
        case 'content-encoding': {
          const v = value.toLowerCase();
          // We send no Accept-Encoding, so a server must answer with the identity encoding.
          if (v !== '' && v !== 'identity') {
            throw new ScrapeError(
              'protocol',
              `unsupported Content-Encoding ${quote(value)} (none was requested)`,
            );
          }
          break;
        }
        case 'connection': {
          for (const t of value.toLowerCase().split(',')) {
            const token = t.trim();
            if (token === 'close') keepAlive = false;
            else if (token === 'keep-alive' && m[1] === '0') keepAlive = true;
          }
          break;
        }
      }
    }
    if (status >= 100 && status < 200) {
      // Interim response (103 Early Hints, an unasked 100 Continue): the final response follows on the same socket.
      if (status === 101) throw new ScrapeError('protocol', 'unexpected 101 Switching Protocols');
      return;
    }
    this.status = status;
    this.keepAlive = keepAlive;
    if (status !== 200) throw new ScrapeError('status', `unexpected status code ${status}`);
    if (chunked) {
      // Both framings present: Transfer-Encoding wins and the connection must not be reused (RFC 9112 6.3).
      if (contentLength >= 0) this.keepAlive = false;
      this.state = CHUNK_SIZE;
    } else if (contentLength >= 0) {
      if (contentLength > this.maxBytes) {
        throw new ScrapeError('too-large', `page of ${contentLength} bytes exceeds ${this.maxBytes}`);
      }
      this.reserve(contentLength);
      this.remaining = contentLength;
      this.state = contentLength === 0 ? DONE : BODY_LENGTH;
    } else {
      // Neither: the body runs until the server closes the connection (HTTP/1.0 style).
      this.keepAlive = false;
      this.state = BODY_UNTIL_CLOSE;
    }
  }

  /** Appends up to the next LF to `line`; the index after the LF, or -1 if the line continues in the next chunk. */
  private readLine(chunk: Buffer, pos: number): number {
    const lf = chunk.indexOf(LF, pos);
    const end = lf < 0 ? chunk.length : lf;
    let stop = end;
    if (lf >= 0 && stop > pos && chunk[stop - 1] === 0x0d) stop--;
    else if (lf >= 0 && stop === pos && this.lineLen > 0 && this.line![this.lineLen - 1] === 0x0d)
      this.lineLen--;
    if (this.lineLen + (stop - pos) > MAX_LINE - 1) {
      throw new ScrapeError('protocol', `chunk framing line exceeds ${MAX_LINE} bytes`);
    }
    this.line ??= Buffer.allocUnsafe(MAX_LINE);
    chunk.copy(this.line, this.lineLen, pos, stop);
    this.lineLen += stop - pos;
    return lf < 0 ? -1 : lf + 1;
  }

  private onLine(line: string): void {
    switch (this.state) {
      case CHUNK_SIZE: {
        const m = CHUNK_LINE.exec(line);
        if (!m) throw new ScrapeError('protocol', `malformed chunk size line ${quote(line)}`);
        const size = Number.parseInt(m[1]!, 16);
        if (size === 0) {
          this.state = TRAILERS;
        } else {
          if (this.size + size > this.maxBytes) {
            throw new ScrapeError('too-large', `page exceeds ${this.maxBytes} bytes`);
          }
          this.remaining = size;
          this.state = CHUNK_DATA;
        }
        break;
      }
      case CHUNK_DATA_END:
        if (line !== '') throw new ScrapeError('protocol', `chunk data longer than its declared size`);
        this.state = CHUNK_SIZE;
        break;
      case TRAILERS:
        if (line === '') this.state = DONE;
        break;
    }
  }

  /** Body bytes counted by `remaining` (Content-Length, or one chunk); `next` once all have arrived. */
  private takeCounted(chunk: Buffer, pos: number, next: number): number {
    const take = Math.min(this.remaining, chunk.length - pos);
    this.write(chunk, pos, pos + take);
    this.remaining -= take;
    if (this.remaining === 0) this.state = next;
    return pos + take;
  }

  private write(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.size + n > this.maxBytes)
      throw new ScrapeError('too-large', `page exceeds ${this.maxBytes} bytes`);
    this.reserve(this.size + n);
    chunk.copy(this.body!, this.size, from, to);
    this.size += n;
  }

  /** Makes `body` hold at least `bytes` (doubling, at least 16 KB, at most maxBytes), keeping what it holds. */
  private reserve(bytes: number): void {
    const cur = this.body;
    if (cur && cur.length >= bytes) return;
    const grown = Buffer.allocUnsafe(
      Math.min(this.maxBytes, Math.max(bytes, 2 * (cur?.length ?? 0), 16 * 1024)),
    );
    if (cur && this.size > 0) cur.copy(grown, 0, 0, this.size);
    this.body = grown;
  }
}

/** Index just past the blank line ending a head in `h[from, len)` (LF LF or LF CR LF), or -1. */
function findHeadEnd(h: Buffer, from: number, len: number): number {
  for (let i = h.indexOf(LF, from); i >= 0 && i < len; i = h.indexOf(LF, i + 1)) {
    if (i + 1 >= len) return -1;
    if (h[i + 1] === LF) return i + 2;
    if (h[i + 1] === 0x0d) {
      if (i + 2 >= len) return -1;
      if (h[i + 2] === LF) return i + 3;
    }
  }
  return -1;
}

function stripCr(s: string): string {
  return s.charCodeAt(s.length - 1) === 0x0d ? s.slice(0, -1) : s;
}

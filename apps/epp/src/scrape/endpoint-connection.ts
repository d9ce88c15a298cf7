// One keep-alive HTTP/1.1 connection to one model server, serving one GET at a time: the request bytes are encoded
// once per path, the response is read by Http1ResponseReader straight into the caller's receive buffer. Replaces
// node:http for scraping because node:http's per-request machinery (IncomingMessage, header objects, stream
// events) was most of the scraper's CPU; see the README for the measured numbers.
//
// Connection reuse follows Go's transport: a socket the server closed while idle is dropped and the next scrape
// connects afresh; if a reused socket dies before a single response byte arrives (the server closed it as the
// request was being written), the GET is sent once more on a new connection instead of failing the scrape.
import { isIPv6, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Http1ResponseReader } from './http1-response.js';
import { ScrapeError } from './scrape-error.js';

export interface ConnectionOptions {
  scheme: 'http' | 'https';
  insecureSkipVerify: boolean;
  timeoutMs: number;
  maxBytes: number;
}

/** The caller's per-loop state: the cancel hook of the request in flight and the reused receive buffer. */
export interface FetchHandle {
  cancel: (() => void) | undefined;
  buffer?: Buffer;
}

/**
 * Receive buffer for plain-TCP sockets (net's `onread` mode): the kernel's bytes land here and the reader copies
 * them into the page buffer at once, so no Buffer per read and no stream machinery ('data' events), about a fifth
 * of the fetch cost. One buffer serves every connection: the callback runs synchronously and keeps nothing.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';
/** Characters allowed in a request target we write verbatim (visible ASCII; no space, CR or LF). */
const PATH_OK = /^\/[\x21-\x7e]*$/;

export class EndpointConnection {
  /** Time the connection last finished a request (for the idle sweep). */
  lastUsed = Date.now();
  private socket: Socket | undefined;
  /** The current socket has completed a response before (so a silent close is the idle-close race). */
  private reused = false;
  private readonly reader: Http1ResponseReader;
  private requestPath = '';
  private requestBytes: Buffer | undefined;
  private handle: FetchHandle | undefined;
  private resolve: ((page: Buffer) => void) | undefined;
  private reject: ((err: ScrapeError) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private mayRetry = false;
  private readonly cancelFn = () => this.fail(new ScrapeError('aborted', 'scrape aborted'));
  private readonly onTimeout = () =>
    this.fail(new ScrapeError('timeout', `no complete response within ${this.opts.timeoutMs} ms`));

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: ConnectionOptions,
  ) {
    this.reader = new Http1ResponseReader(opts.maxBytes);
  }

  get busy(): boolean {
    return this.resolve !== undefined;
  }

  get idle(): boolean {
    return !this.busy;
  }

  /** GETs `path`; resolves with the 200 body (a view of `handle.buffer` when a handle is given). */
  fetch(path: string, handle: FetchHandle | undefined): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (path !== this.requestPath) {
        if (!PATH_OK.test(path)) {
          reject(new ScrapeError('protocol', `invalid request path ${JSON.stringify(path)}`));
          return;
        }
        this.requestPath = path;
        this.requestBytes = this.encodeRequest(path);
      }
      this.resolve = resolve;
      this.reject = reject;
      this.handle = handle;
      this.reader.reset(handle?.buffer);
      this.timer = setTimeout(this.onTimeout, this.opts.timeoutMs);
      if (handle) handle.cancel = this.cancelFn;
      this.send();
    });
  }

  /** Closes the socket; a request in flight fails with 'aborted'. */
  destroy(): void {
    if (this.busy) this.fail(new ScrapeError('aborted', 'connection closed by the scraper'));
    this.dropSocket();
  }

  private encodeRequest(path: string): Buffer {
    const host = isIPv6(this.host) ? `[${this.host}]` : this.host;
    return Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${this.port}\r\nAccept: ${ACCEPT}\r\n\r\n`,
      'latin1',
    );
  }

  private send(): void {
    let socket = this.socket;
    this.mayRetry = socket !== undefined && this.reused;
    if (!socket) socket = this.connect();
    socket.write(this.requestBytes!);
  }

  private connect(): Socket {
    let socket: Socket;
    if (this.opts.scheme === 'https') {
      // TLS sockets have no onread mode: decrypted bytes come as 'data' events.
      socket = tlsConnect({
        host: this.host,
        port: this.port,
        rejectUnauthorized: !this.opts.insecureSkipVerify,
        ALPNProtocols: ['http/1.1'],
      });
      socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    } else {
      socket = netConnect({
        host: this.host,
        port: this.port,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array) => {
            this.onData(socket, (buf as Buffer).subarray(0, n));
            return true; // keep reading
          },
        },
      });
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('end', () => this.onClosed(socket, undefined));
    socket.on('error', (err: Error) => this.onClosed(socket, err));
    socket.on('close', () => this.onClosed(socket, undefined));
    this.socket = socket;
    this.reused = false;
    return socket;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    if (!this.busy) {
      // Nothing may arrive unasked; the socket's framing is lost.
      this.dropSocket();
      return;
    }
    let done: boolean;
    try {
      done = this.reader.feed(chunk);
    } catch (err) {
      this.fail(err as ScrapeError);
      return;
    }
    if (done) this.succeed();
  }

  /** 'end', 'error' or 'close' of a socket: the first one for the current socket decides, the rest are ignored. */
  private onClosed(socket: Socket, err: Error | undefined): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    socket.destroy();
    if (!this.busy) return; // idle keep-alive socket closed by the server: the next fetch reconnects
    if (this.reader.received === 0 && this.mayRetry) {
      // The server closed the reused socket as we wrote the request: send it once more on a new connection.
      this.send();
      return;
    }
    if (err) {
      this.fail(new ScrapeError('network', err.message));
      return;
    }
    try {
      this.reader.end();
    } catch (e) {
      this.fail(e as ScrapeError);
      return;
    }
    this.succeed();
  }

  private succeed(): void {
    const r = this.reader;
    const page = r.body ? r.body.subarray(0, r.size) : Buffer.alloc(0);
    if (this.handle) this.handle.buffer = r.body;
    if (r.keepAlive && this.socket) this.reused = true;
    else this.dropSocket();
    const resolve = this.resolve!;
    this.settle();
    resolve(page);
  }

  private fail(err: ScrapeError): void {
    if (!this.busy) return;
    // Whatever was in flight leaves the socket mid-message: it cannot be reused.
    this.dropSocket();
    const reject = this.reject!;
    this.settle();
    reject(err);
  }

  private settle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.handle) this.handle.cancel = undefined;
    this.handle = undefined;
    this.resolve = undefined;
    this.reject = undefined;
    this.lastUsed = Date.now();
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }
}

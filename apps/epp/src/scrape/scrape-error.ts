// The one place the scrape client's error codes are declared. The scraper only logs the message and counts the
// failure (upstream semantics: a failed scrape writes nothing, the endpoint's metrics go stale).

export type ScrapeErrorCode =
  /** No complete response within the whole-request timeout (upstream: 5 s). */
  | 'timeout'
  /** The response status was not 200. */
  | 'status'
  /** Connect failure, reset, or the connection closed before the response was complete. */
  | 'network'
  /** The page exceeds the size cap (declared Content-Length or bytes received). */
  | 'too-large'
  /** The scrape was cancelled (endpoint left the pool, scraper stopped). */
  | 'aborted'
  /** The response is not valid HTTP/1.1 as this client reads it (status line, header, chunk framing, encoding). */
  | 'protocol';

export class ScrapeError extends Error {
  constructor(
    readonly code: ScrapeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ScrapeError';
  }
}

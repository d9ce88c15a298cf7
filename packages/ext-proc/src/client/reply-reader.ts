// Pull-style reader over a client duplex stream: next() resolves with the next reply, the end of the stream
// (with its gRPC status), or rejects with MessageTimeoutError after `timeoutMs` (Envoy's message_timeout).
import type { ClientDuplexStream, ServiceError, StatusObject } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ProcessingRequest } from '../gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse__Output } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

export class MessageTimeoutError extends Error {
  override name = 'MessageTimeoutError';
}

export type ReaderEvent =
  | { kind: 'reply'; reply: ProcessingResponse__Output }
  | { kind: 'end'; status: { code: number; details: string } };

export class ReplyReader {
  private readonly buffered: ReaderEvent[] = [];
  private waiter: ((e: ReaderEvent) => void) | undefined;
  private ended: ReaderEvent | undefined;

  constructor(call: ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>) {
    call.on('data', (reply: ProcessingResponse__Output) => this.push({ kind: 'reply', reply }));
    call.on('status', (s: StatusObject) => this.finish({ code: s.code, details: s.details }));
    call.on('error', (e: ServiceError) =>
      this.finish({ code: e.code ?? GrpcStatus.UNKNOWN, details: e.details ?? e.message }),
    );
  }

  private finish(status: { code: number; details: string }): void {
    if (this.ended) return;
    this.ended = { kind: 'end', status };
    this.push(this.ended);
  }

  private push(e: ReaderEvent): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(e);
    } else {
      this.buffered.push(e);
    }
  }

  next(timeoutMs: number, what: string): Promise<ReaderEvent> {
    const e = this.buffered.shift();
    if (e) {
      // The terminal event stays readable for later callers.
      if (e.kind === 'end') this.buffered.unshift(e);
      return Promise.resolve(e);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new MessageTimeoutError(`no ext_proc reply within ${timeoutMs} ms while waiting for ${what}`));
      }, timeoutMs);
      this.waiter = (ev) => {
        clearTimeout(timer);
        if (ev.kind === 'end') this.buffered.unshift(ev);
        resolve(ev);
      };
    });
  }

  /** Wait for the stream's final status (after our half-close). */
  async status(
    timeoutMs: number,
  ): Promise<{ code: number; details: string; extraReplies: ProcessingResponse__Output[] }> {
    const extra: ProcessingResponse__Output[] = [];
    for (;;) {
      const ev = await this.next(timeoutMs, 'the end of the stream');
      if (ev.kind === 'end') return { ...ev.status, extraReplies: extra };
      extra.push(ev.reply);
    }
  }
}

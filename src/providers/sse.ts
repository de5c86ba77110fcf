// Reads an upstream Server-Sent-Events body as a stream of JSON payloads, chunk by chunk.
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import { discardBody } from './http.js';

type Body = Dispatcher.ResponseData['body'];

/** Events parsed ahead of the consumer before the upstream body is paused (backpressure). */
const MAX_AHEAD = 64;
/**
 * How long a body the consumer is done with may take to finish. A body that is ending (its last
 * bytes on their way after `[DONE]` or message_stop) keeps its keep-alive connection; one that is
 * still sending after that is stopped.
 */
const FINISH_GRACE_MS = 100;

/** A byte-order mark may open the body; it is not part of the first line. */
const BOM = 0xfeff;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Yields each `data:` payload parsed as JSON as soon as its bytes arrive. `[DONE]` ends the stream.
 * `onError` turns a transport failure mid-stream into the error to throw.
 *
 * The body is read in flowing mode rather than through its async iterator: an event reaches the
 * consumer in the tick its bytes arrive (no 'readable' round trip per chunk), and a body that ends
 * normally is never destroyed (destroying an unfinished body builds an abort error and drops the
 * upstream connection).
 */
export function readSseJson(body: Body, provider: string, onError: (err: unknown) => GatewayError): AsyncIterableIterator<unknown> {
  return new SseJsonReader(body, provider, onError);
}

class SseJsonReader implements AsyncIterableIterator<unknown> {
  private readonly parser: EventSourceParser;
  /** UTF-8 across chunk boundaries (a character may be split between two reads). */
  private readonly decoder = new StringDecoder('utf8');
  private first = true;
  /** `data:` payloads received and not yet taken; `head` is the next one. */
  private queue: string[] = [];
  private head = 0;
  private waiter?: { resolve: (result: IteratorResult<unknown>) => void; reject: (err: unknown) => void };
  private failure?: unknown;
  /** The body has ended (every byte read). */
  private ended = false;
  /** The consumer is done: [DONE], an error, or `return()`. */
  private closed = false;

  constructor(
    private readonly body: Body,
    private readonly provider: string,
    private readonly onError: (err: unknown) => GatewayError,
  ) {
    this.parser = createParser({ onEvent: (event) => this.queue.push(event.data) });
    body.on('data', this.onData);
    body.once('end', this.onEnd);
    // Stays attached after the consumer is done: an error then is ignored, never left unhandled.
    body.on('error', this.onFailure);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.head < this.queue.length) {
      try {
        return Promise.resolve(this.take());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.closed) return Promise.resolve(DONE);
    if (this.failure !== undefined) return Promise.reject(this.fail());
    if (this.ended) return Promise.resolve(this.close());
    if (this.body.isPaused()) this.body.resume();
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer stopped early (client gone, error, or the stream's own end event seen). */
  return(): Promise<IteratorResult<unknown>> {
    return Promise.resolve(this.close());
  }

  private readonly onData = (buf: Buffer): void => {
    if (this.closed) return;
    let text = this.decoder.write(buf);
    if (this.first && text !== '') {
      this.first = false;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    this.parser.feed(text);
    const waiter = this.waiter;
    if (waiter && this.head < this.queue.length) {
      this.waiter = undefined;
      try {
        waiter.resolve(this.take());
      } catch (err) {
        waiter.reject(err);
      }
    }
    if (this.queue.length - this.head > MAX_AHEAD) this.body.pause();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    const waiter = this.waiter;
    if (waiter && this.head >= this.queue.length) {
      this.waiter = undefined;
      waiter.resolve(this.close());
    }
  };

  private readonly onFailure = (err: unknown): void => {
    if (this.closed) return;
    this.failure = err;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.reject(this.fail());
    }
  };

  /** The next payload, parsed; `[DONE]` closes the stream. */
  private take(): IteratorResult<unknown> {
    const data = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    if (data === '[DONE]') return this.close();
    try {
      return { done: false, value: JSON.parse(data) };
    } catch {
      this.close();
      throw new GatewayError(502, `Upstream ${this.provider} sent a stream event that is not JSON`, { code: 'upstream_invalid_response' });
    }
  }

  private fail(): GatewayError {
    const err = this.failure;
    this.close();
    return err instanceof GatewayError ? err : this.onError(err);
  }

  /** Stops reading. The rest of the body drains; a body still sending after FINISH_GRACE_MS is destroyed. */
  private close(): IteratorReturnResult<undefined> {
    if (this.closed) return DONE;
    this.closed = true;
    this.queue = [];
    this.head = 0;
    const { body } = this;
    body.off('data', this.onData);
    if (this.ended || this.failure !== undefined) return DONE;
    body.resume();
    const timer = setTimeout(() => discardBody(body), FINISH_GRACE_MS);
    timer.unref();
    body.once('end', () => clearTimeout(timer));
    return DONE;
  }
}

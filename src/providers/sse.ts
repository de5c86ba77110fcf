// Reads an upstream Server-Sent-Events body as a stream of JSON events, chunk by chunk.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import { discardBody } from './http.js';

export interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * Yields each `data:` payload parsed as JSON as soon as its bytes arrive. `[DONE]` ends the stream.
 * `onError` turns a transport failure mid-stream into the error to throw.
 */
export async function* readSseJson(
  body: Dispatcher.ResponseData['body'],
  provider: string,
  onError: (err: unknown) => GatewayError,
): AsyncGenerator<SseEvent> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  try {
    for await (const buf of body) {
      parser.feed(decoder.decode(buf as Uint8Array, { stream: true }));
      while (pending.length > 0) {
        const message = pending.shift()!;
        if (message.data === '[DONE]') return;
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          throw new GatewayError(502, `Upstream ${provider} sent a stream event that is not JSON`, { code: 'upstream_invalid_response' });
        }
        yield { event: message.event, data };
      }
    }
  } catch (err) {
    throw err instanceof GatewayError ? err : onError(err);
  } finally {
    // Stops the upstream transfer when the consumer stops early (client gone, error).
    discardBody(body);
  }
}

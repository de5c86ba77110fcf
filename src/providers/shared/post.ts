// One POST to a provider with its own wire format, answered with JSON or with Server-Sent Events.
// Errors get the gateway's codes (context length, content filter) and rate-limit headers reach the client.
import { GatewayError } from '../../core/errors.js';
import { callTransport, discardBody, exposeRateLimitHeaders, readJson, transportError, upstreamRequest } from '../http.js';
import { readSseJson } from '../sse.js';
import type { CallOptions } from '../types.js';
import { refineUpstreamError } from './upstream-errors.js';

export interface Upstream {
  /** Provider name for error messages. */
  provider: string;
  headers: Record<string, string>;
  /** Values to scrub from anything echoed back (the provider's keys). */
  secrets: readonly string[];
}

async function send(upstream: Upstream, url: string, body: unknown, call: CallOptions, accept: string) {
  try {
    const res = await upstreamRequest({
      url,
      headers: { 'content-type': 'application/json', ...upstream.headers, accept },
      body: JSON.stringify(body),
      ...callTransport(call),
      provider: upstream.provider,
      secrets: upstream.secrets,
    });
    exposeRateLimitHeaders(res.headers, call.exposeHeader);
    return res;
  } catch (err) {
    throw refineUpstreamError(err);
  }
}

export async function postJson<T>(upstream: Upstream, url: string, body: unknown, call: CallOptions): Promise<T> {
  const res = await send(upstream, url, body, call, 'application/json');
  return readJson<T>(res, upstream.provider, call.signal);
}

/** Resolves once the upstream answered with an event stream; the events are then read as they arrive. */
export async function postSse(upstream: Upstream, url: string, body: unknown, call: CallOptions): Promise<AsyncIterableIterator<unknown>> {
  const res = await send(upstream, url, body, call, 'text/event-stream');
  // A JSON answer to a stream request holds no events: passing it on would be an empty, "complete" stream.
  if (String(res.headers['content-type'] ?? '').includes('json')) {
    discardBody(res.body);
    throw new GatewayError(502, `Upstream ${upstream.provider} answered a stream request with JSON instead of an event stream`, { code: 'upstream_invalid_response' });
  }
  return readSseJson(res.body, upstream.provider, (err) => transportError(err, upstream.provider, call.signal));
}

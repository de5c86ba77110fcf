// The `anthropic` provider's client: POST /v1/messages (JSON or SSE) and /v1/messages/count_tokens.
import { GatewayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../core/types.js';
import { toAnthropicRequest } from '../../translate/anthropic/request-to-anthropic.js';
import { fromAnthropicResponse } from '../../translate/anthropic/response-from-anthropic.js';
import { fromAnthropicStream } from '../../translate/anthropic/stream-from-anthropic.js';
import type { AnthropicRequest, AnthropicResponse, AnthropicStreamEvent } from '../../translate/anthropic/wire.js';
import { callTransport, discardBody, exposeRateLimitHeaders, readJson, transportError, upstreamRequest } from '../http.js';
import { refineUpstreamError } from '../shared/upstream-errors.js';
import { readSseJson } from '../sse.js';
import type { CallOptions, ProviderClient } from '../types.js';

const PROVIDER = 'anthropic';

export interface AnthropicClientOptions {
  /** Base URL without the version path, e.g. https://api.anthropic.com */
  baseUrl: string;
  /** x-api-key, anthropic-version and any configured extras. */
  headers: Record<string, string>;
  secrets: readonly string[];
  defaultMaxTokens: number;
}

/** The HTTP status Anthropic gives each error type, for errors that arrive inside a stream. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export class AnthropicClient implements ProviderClient {
  private readonly base: string;

  constructor(private readonly opts: AnthropicClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  async chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    const res = await this.send('/v1/messages', this.body({ ...req, stream: false }, call), call, 'application/json');
    return fromAnthropicResponse(await readJson<AnthropicResponse>(res, PROVIDER, call.signal));
  }

  async chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const res = await this.send('/v1/messages', this.body({ ...req, stream: true }, call), call, 'text/event-stream');
    // A JSON answer to a stream request holds no events: passing it on would be an empty, "complete" stream.
    if (String(res.headers['content-type'] ?? '').includes('json')) {
      discardBody(res.body);
      throw new GatewayError(502, 'Upstream anthropic answered a stream request with JSON instead of an event stream', { code: 'upstream_invalid_response' });
    }
    const events = readSseJson(res.body, PROVIDER, (err) => transportError(err, PROVIDER, call.signal));
    return fromAnthropicStream(events as AsyncIterable<AnthropicStreamEvent>, {
      includeUsage: req.stream_options?.include_usage === true,
      onError: (error) => this.streamError(error),
    });
  }

  /** Anthropic's exact input-token count for what `chat` would send (the /v1/messages/count_tokens API). */
  async countTokens(req: ChatRequest, call: CallOptions): Promise<number> {
    const { model, messages, system, tools, tool_choice } = this.body(req, call);
    const res = await this.send('/v1/messages/count_tokens', { model, messages, system, tools, tool_choice }, call, 'application/json');
    const body = await readJson<{ input_tokens?: unknown }>(res, PROVIDER, call.signal);
    if (typeof body.input_tokens !== 'number') {
      throw new GatewayError(502, 'Upstream anthropic sent a token count without input_tokens', { code: 'upstream_invalid_response' });
    }
    return body.input_tokens;
  }

  private body(req: ChatRequest, call: CallOptions): AnthropicRequest {
    return toAnthropicRequest(req, { model: call.model, defaultMaxTokens: this.opts.defaultMaxTokens, unsupported: call.unsupported });
  }

  private async send(path: string, body: object, call: CallOptions, accept: string) {
    try {
      const res = await upstreamRequest({
        url: this.base + path,
        headers: { ...this.opts.headers, 'content-type': 'application/json', accept },
        body: JSON.stringify(body),
        ...callTransport(call),
        provider: PROVIDER,
        secrets: this.opts.secrets,
      });
      exposeRateLimitHeaders(res.headers, call.exposeHeader);
      return res;
    } catch (err) {
      throw refineUpstreamError(err);
    }
  }

  /** An `error` event mid-stream (overloaded, api_error): the stream cannot go on, so it is a 502 naming the upstream's error. */
  private streamError(error: { type: string; message: string }): GatewayError {
    const message = redactSecrets(error.message ?? 'unknown error', this.opts.secrets);
    return new GatewayError(502, `Upstream anthropic failed mid-stream: ${error.type}: ${message}`, {
      type: 'upstream_error',
      code: 'upstream_error',
      upstreamStatus: ERROR_STATUS[error.type],
    });
  }
}

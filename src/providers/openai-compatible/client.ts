// A client for any upstream that speaks OpenAI's REST API (OpenAI itself, vLLM, Ollama, LM Studio,
// TGI's Messages API, Together, Groq, DeepSeek, ...). Requests are already in the canonical
// (OpenAI) shape, so the work is: set the upstream model, send, and read JSON or SSE back.
import { GatewayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  CompletionChunk,
  CompletionRequest,
  CompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../core/types.js';
import { discardBody, exposeRateLimitHeaders, readJson, transportError, upstreamRequest } from '../http.js';
import { readSseJson } from '../sse.js';
import type { CallOptions, ProviderClient } from '../types.js';

export interface OpenAICompatibleOptions {
  provider: string;
  /** Base URL including the version segment, e.g. https://api.openai.com/v1 */
  baseUrl: string;
  headers: Record<string, string>;
  secrets: readonly string[];
  /** False for servers that refuse `stream_options`: it is then left out, and streams report no usage. */
  streamUsage?: boolean;
}

export class OpenAICompatibleClient implements ProviderClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: OpenAICompatibleOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...opts.headers };
  }

  chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    return this.json<ChatResponse>('/chat/completions', { ...req, model: call.model, stream: false }, call);
  }

  chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    return this.stream<ChatChunk>('/chat/completions', this.streamBody(req, call), call);
  }

  completions(req: CompletionRequest, call: CallOptions): Promise<CompletionResponse> {
    return this.json<CompletionResponse>('/completions', { ...req, model: call.model, stream: false }, call);
  }

  completionsStream(req: CompletionRequest, call: CallOptions): Promise<AsyncIterable<CompletionChunk>> {
    return this.stream<CompletionChunk>('/completions', this.streamBody(req, call), call);
  }

  embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    return this.json<EmbeddingsResponse>('/embeddings', { ...req, model: call.model }, call);
  }

  private streamBody(req: ChatRequest | CompletionRequest, call: CallOptions): object {
    const body = { ...req, model: call.model, stream: true };
    if (this.opts.streamUsage === false) delete body.stream_options;
    return body;
  }

  private async json<T>(path: string, body: object, call: CallOptions): Promise<T> {
    const res = await upstreamRequest(this.request(path, body, call));
    exposeRateLimitHeaders(res.headers, call.exposeHeader);
    return readJson<T>(res, this.opts.provider, call.signal);
  }

  private async stream<T>(path: string, body: object, call: CallOptions): Promise<AsyncIterable<T>> {
    const res = await upstreamRequest(this.request(path, body, call, 'text/event-stream'));
    exposeRateLimitHeaders(res.headers, call.exposeHeader);
    const { provider, secrets } = this.opts;
    // A JSON answer to a stream request holds no events: passing it on would be an empty, "complete" stream.
    if (String(res.headers['content-type'] ?? '').includes('json')) {
      discardBody(res.body);
      throw new GatewayError(502, `Upstream ${provider} answered a stream request with JSON instead of an event stream`, { code: 'upstream_invalid_response' });
    }
    const events = readSseJson(res.body, provider, (err) => transportError(err, provider, call.signal));
    return (async function* () {
      for await (const { data } of events) {
        const error = (data as { error?: { message?: string } }).error;
        if (error) {
          const message = redactSecrets(error.message ?? 'unknown error', secrets);
          throw new GatewayError(502, `Upstream ${provider} failed mid-stream: ${message}`, { code: 'upstream_error' });
        }
        yield data as T;
      }
    })();
  }

  private request(path: string, body: object, call: CallOptions, accept?: string) {
    return {
      url: this.base + path,
      headers: accept ? { ...this.headers, accept } : this.headers,
      body: JSON.stringify(body),
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      provider: this.opts.provider,
      secrets: this.opts.secrets,
    };
  }
}

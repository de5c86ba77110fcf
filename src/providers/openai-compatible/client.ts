// A client for any upstream that speaks OpenAI's REST API (OpenAI itself, vLLM, Ollama, LM Studio,
// TGI's Messages API, Together, Groq, DeepSeek, ...). Requests are already in the canonical
// (OpenAI) shape, so the work is: set the upstream model, send, and read JSON or SSE back.
// Azure OpenAI uses it too, through the hooks for the URL, the credentials and the model.
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
  ModerationRequest,
  ModerationResponse,
} from '../../core/types.js';
import { callTransport, discardBody, exposeRateLimitHeaders, readJson, transportError, upstreamRequest } from '../http.js';
import { refineUpstreamError } from '../shared/upstream-errors.js';
import { readSseJson } from '../sse.js';
import type { CallOptions, ProviderClient } from '../types.js';
import { normalizeChoices } from './normalize.js';

export interface OpenAICompatibleOptions {
  provider: string;
  /** Base URL including the version segment, e.g. https://api.openai.com/v1 */
  baseUrl: string;
  headers: Record<string, string>;
  secrets: readonly string[];
  /** False for servers that refuse `stream_options`: it is then left out, and streams report no usage. */
  streamUsage?: boolean;
  /** Builds an API path's URL; by default `baseUrl + path`. Azure puts the deployment in the path and the API version in the query. */
  url?: (path: ApiPath) => string;
  /** Credentials computed per request (e.g. a cached, refreshed Entra ID token), added to `headers`. */
  authHeaders?: () => Promise<Record<string, string>>;
  /** False for servers that take the model from the URL (Azure deployments): `model` is then left out of the body. */
  sendModel?: boolean;
  /** Renames a server's own finish reasons to OpenAI's (Together's `eos`, Mistral's `model_length`, TGI's `eos_token`). */
  finishReasons?: Readonly<Record<string, string>>;
}

export type ApiPath = '/chat/completions' | '/completions' | '/embeddings' | '/moderations';

export class OpenAICompatibleClient implements ProviderClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: OpenAICompatibleOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...opts.headers };
  }

  chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    return this.json<ChatResponse>('/chat/completions', this.body(req, call, false), call).then((res) => this.normalize(res));
  }

  chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    return this.stream<ChatChunk>('/chat/completions', this.streamBody(req, call), call);
  }

  completions(req: CompletionRequest, call: CallOptions): Promise<CompletionResponse> {
    return this.json<CompletionResponse>('/completions', this.body(req, call, false), call).then((res) => this.normalize(res));
  }

  completionsStream(req: CompletionRequest, call: CallOptions): Promise<AsyncIterable<CompletionChunk>> {
    return this.stream<CompletionChunk>('/completions', this.streamBody(req, call), call);
  }

  embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    return this.json<EmbeddingsResponse>('/embeddings', this.body(req, call), call);
  }

  /** OpenAI's moderation API; servers without one answer 404, and the config check lets only providers that have it serve llm/v1/moderations. */
  moderations(req: ModerationRequest, call: CallOptions): Promise<ModerationResponse> {
    return this.json<ModerationResponse>('/moderations', this.body(req, call), call);
  }

  private body(req: object, call: CallOptions, stream?: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = { ...req, model: call.model };
    if (this.opts.sendModel === false) delete body.model;
    if (stream !== undefined) body.stream = stream;
    return body;
  }

  private streamBody(req: ChatRequest | CompletionRequest, call: CallOptions): object {
    const body = this.body(req, call, true);
    if (this.opts.streamUsage === false) delete body.stream_options;
    return body;
  }

  private async json<T>(path: ApiPath, body: object, call: CallOptions): Promise<T> {
    const res = await this.send(path, body, call);
    exposeRateLimitHeaders(res.headers, call.exposeHeader);
    return readJson<T>(res, this.opts.provider, call.signal);
  }

  private async stream<T extends { choices: unknown[]; usage?: unknown }>(path: ApiPath, body: object, call: CallOptions): Promise<AsyncIterable<T>> {
    const res = await this.send(path, body, call, 'text/event-stream');
    exposeRateLimitHeaders(res.headers, call.exposeHeader);
    const { provider, secrets, finishReasons } = this.opts;
    // A JSON answer to a stream request holds no events: passing it on would be an empty, "complete" stream.
    if (String(res.headers['content-type'] ?? '').includes('json')) {
      discardBody(res.body);
      throw new GatewayError(502, `Upstream ${provider} answered a stream request with JSON instead of an event stream`, { code: 'upstream_invalid_response' });
    }
    const events = readSseJson(res.body, provider, (err) => transportError(err, provider, call.signal));
    return (async function* () {
      const seen = { calledTools: false };
      for await (const data of events) {
        const error = (data as { error?: { message?: string } }).error;
        if (error) {
          const message = redactSecrets(error.message ?? 'unknown error', secrets);
          throw new GatewayError(502, `Upstream ${provider} failed mid-stream: ${message}`, { code: 'upstream_error' });
        }
        const chunk = normalizeChoices(data as T, finishReasons, seen);
        // Some servers (Mistral, Together) put the usage on the last chunk that still has choices;
        // clients expect it on a chunk of its own with `choices: []`, as OpenAI sends it.
        if (chunk.usage && chunk.choices.length > 0) {
          yield { ...chunk, usage: undefined };
          yield { ...chunk, choices: [] };
        } else {
          yield chunk;
        }
      }
    })();
  }

  private normalize<T extends { choices: unknown[] }>(res: T): T {
    return normalizeChoices(res, this.opts.finishReasons);
  }

  private async send(path: ApiPath, body: object, call: CallOptions, accept?: string) {
    const auth = this.opts.authHeaders ? await this.opts.authHeaders() : undefined;
    const headers = auth || accept ? { ...this.headers, ...auth, ...(accept ? { accept } : {}) } : this.headers;
    try {
      return await upstreamRequest({
        url: this.opts.url ? this.opts.url(path) : this.base + path,
        headers,
        body: JSON.stringify(body),
        ...callTransport(call),
        provider: this.opts.provider,
        secrets: this.opts.secrets,
      });
    } catch (err) {
      throw refineUpstreamError(err);
    }
  }
}

// The Gemini client: one implementation for Google AI (the Gemini API) and Vertex AI, which share the
// GenerateContent wire format and differ in URLs, authentication, embeddings and readable media.
import { GatewayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse } from '../../core/types.js';
import { callTransport, discardBody, readJson, transportError, upstreamRequest } from '../http.js';
import { refineUpstreamError } from '../shared/upstream-errors.js';
import { readSseJson } from '../sse.js';
import type { CallOptions, ProviderClient } from '../types.js';
import { googleAIEmbeddings, vertexEmbeddings, type PostModelMethod } from './embeddings.js';
import type { MediaSupport } from './messages.js';
import { toGenerateContent } from './request.js';
import { toChatResponse, type GenerateContentResponse } from './response.js';
import { toChatChunks } from './stream.js';

export const PROVIDER = 'gemini';

/** Gemini's own docs write model names with their collection ("models/gemini-2.5-flash"); URLs add it themselves. */
export const bareModelName = (model: string) => model.replace(/^models\//, '');

/** What differs between Google AI and Vertex AI. */
export interface GeminiApi {
  kind: 'google-ai' | 'vertex';
  /** URL of a model's resource, to which `:method` is appended. */
  modelUrl(model: string): string;
  /** Authentication headers for one request. */
  authHeaders(): Promise<Record<string, string>>;
  /** Called when the upstream refused the credentials sent (401), so a cached token is not reused. */
  rejected?(headers: Record<string, string>): void;
  headers: Record<string, string>;
  secrets: readonly string[];
  media: MediaSupport;
}

/** Google AI answers an invalid key with 400 INVALID_ARGUMENT; it is the gateway's credential, not the client's request. */
const INVALID_KEY = /API key not valid|API_KEY_INVALID|API key expired/i;

export class GeminiClient implements ProviderClient {
  constructor(private readonly api: GeminiApi) {}

  async chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    const body = toGenerateContent(req, call, this.api.media);
    return toChatResponse(await this.post<GenerateContentResponse>('generateContent', body, call), call.model);
  }

  async chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const body = toGenerateContent(req, call, this.api.media);
    const res = await this.send('streamGenerateContent?alt=sse', body, call, 'text/event-stream');
    // A JSON answer to a stream request holds no events: passing it on would be an empty, "complete" stream.
    if (String(res.headers['content-type'] ?? '').includes('json')) {
      discardBody(res.body);
      throw new GatewayError(502, `Upstream ${PROVIDER} answered a stream request with JSON instead of an event stream`, { code: 'upstream_invalid_response' });
    }
    const events = readSseJson(res.body, PROVIDER, (err) => transportError(err, PROVIDER, call.signal));
    return toChatChunks(this.responses(events), call.model, req.stream_options?.include_usage === true);
  }

  embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    const post: PostModelMethod = (method, body, c) => this.post(method, body, c);
    // batchEmbedContents names the model in each request; it must be the bare name there too.
    const bare = { ...call, model: bareModelName(call.model) };
    return this.api.kind === 'vertex' ? vertexEmbeddings(req, bare, post) : googleAIEmbeddings(req, bare, post);
  }

  /** The stream's events; an error event (Google's {error: {code, message, status}}) ends the stream with an error. */
  private async *responses(events: AsyncIterable<unknown>): AsyncGenerator<GenerateContentResponse> {
    for await (const data of events) {
      const error = (data as { error?: { message?: string; status?: string } }).error;
      if (error) {
        const message = redactSecrets(error.message ?? error.status ?? 'unknown error', this.api.secrets);
        throw new GatewayError(502, `Upstream ${PROVIDER} failed mid-stream: ${message}`, { code: 'upstream_error' });
      }
      yield data as GenerateContentResponse;
    }
  }

  private async post<T>(method: string, body: object, call: CallOptions): Promise<T> {
    return readJson<T>(await this.send(method, body, call), PROVIDER, call.signal);
  }

  private async send(method: string, body: object, call: CallOptions, accept = 'application/json') {
    const auth = await this.api.authHeaders();
    try {
      return await upstreamRequest({
        url: `${this.api.modelUrl(call.model)}:${method}`,
        headers: { 'content-type': 'application/json', accept, ...this.api.headers, ...auth },
        body: JSON.stringify(body),
        ...callTransport(call),
        provider: PROVIDER,
        secrets: this.api.secrets,
      });
    } catch (err) {
      if (err instanceof GatewayError && err.upstreamStatus === 401) this.api.rejected?.(auth);
      throw refineGeminiError(err);
    }
  }
}

function refineGeminiError(err: unknown): unknown {
  if (err instanceof GatewayError && err.upstreamStatus === 400 && INVALID_KEY.test(err.message)) {
    return new GatewayError(502, err.message, { type: 'upstream_error', code: 'upstream_error', upstreamStatus: 400 });
  }
  return refineUpstreamError(err);
}

// Cohere (Command models) through its v2 API: /v2/chat (with tools, JSON output and streaming)
// and /v2/embed.
import { z } from 'zod';
import { badRequest, GatewayError } from '../../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse } from '../../core/types.js';
import { postJson, postSse, type Upstream } from '../shared/post.js';
import type { CallOptions, ProviderClient, ProviderDefinition } from '../types.js';
import { toCohereChat } from './request.js';
import { CohereStreamMapper, toChatResponse, type CohereChatResponse } from './response.js';

const DEFAULT_BASE = 'https://api.cohere.com';
const INPUT_TYPES = ['search_document', 'search_query', 'classification', 'clustering', 'image'] as const;

const configSchema = z.strictObject({
  cohere_api_key: z.string().min(1).meta({ description: 'Cohere API key, sent as a Bearer token. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.' }),
  cohere_api_base: z.url().optional().meta({ description: `Base URL, without the version path (default ${DEFAULT_BASE}).` }),
  input_type: z.enum(INPUT_TYPES).default('search_document').meta({
    description: 'Embeddings: the input_type Cohere embeds for (default search_document; use search_query on an endpoint that embeds queries). A request may set its own input_type.',
  }),
});

type CohereConfig = z.infer<typeof configSchema>;

export const cohereProvider: ProviderDefinition<CohereConfig> = {
  name: 'cohere',
  description: 'Cohere: Command chat models (tools, JSON output, streaming) and Embed models, through the v2 API.',
  configSchema,
  secretKeys: ['cohere_api_key'],
  create: ({ config }) => new CohereClient(config),
};

interface CohereEmbedResponse {
  id: string;
  embeddings: { float?: number[][] };
  meta?: { billed_units?: { input_tokens?: number } };
}

class CohereClient implements ProviderClient {
  private readonly base: string;
  private readonly upstream: Upstream;

  constructor(private readonly config: CohereConfig) {
    this.base = (config.cohere_api_base ?? DEFAULT_BASE).replace(/\/+$/, '');
    this.upstream = { provider: 'cohere', headers: { authorization: `Bearer ${config.cohere_api_key}` }, secrets: [config.cohere_api_key] };
  }

  async chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    const res = await postJson<CohereChatResponse>(this.upstream, `${this.base}/v2/chat`, toCohereChat(req, call.model, false, call), call);
    return toChatResponse(res, call.model);
  }

  async chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const events = await postSse(this.upstream, `${this.base}/v2/chat`, toCohereChat(req, call.model, true, call), call);
    const mapper = new CohereStreamMapper(call.model);
    return (async function* () {
      // A generation that fails after the stream began ends with finish_reason ERROR -> "error".
      for await (const data of events) yield* mapper.map(data as Parameters<CohereStreamMapper['map']>[0]);
    })();
  }

  async embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    const { model: _model, input, dimensions, encoding_format: _format, input_type, ...rest } = req;
    for (const key of Object.keys(rest)) call.unsupported(key, 'Cohere embeddings take input, dimensions and input_type');
    const texts = typeof input === 'string' ? [input] : input;
    if (!texts.every((t): t is string => typeof t === 'string')) throw badRequest('Cohere embeds text: input must be a string or a list of strings', 'input');
    if (input_type !== undefined && !INPUT_TYPES.includes(input_type as (typeof INPUT_TYPES)[number])) {
      throw badRequest(`input_type must be one of ${INPUT_TYPES.join(', ')}`, 'input_type');
    }
    const body: Record<string, unknown> = { model: call.model, texts, input_type: input_type ?? this.config.input_type, embedding_types: ['float'] };
    if (dimensions !== undefined) body.output_dimension = dimensions;
    const res = await postJson<CohereEmbedResponse>(this.upstream, `${this.base}/v2/embed`, body, call);
    const vectors = res.embeddings?.float;
    if (!Array.isArray(vectors)) throw new GatewayError(502, 'Upstream cohere returned no float embeddings', { code: 'upstream_invalid_response' });
    const tokens = res.meta?.billed_units?.input_tokens ?? 0;
    return {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: call.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
}

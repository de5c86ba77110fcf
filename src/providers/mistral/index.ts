// Mistral AI (La Plateforme): OpenAI-like chat and embeddings with a few differences in parameter
// names and values. Mistral refuses fields it does not know (422), so requests are rebuilt from an
// allowlist and everything else goes through `call.unsupported`.
import { z } from 'zod';
import { badRequest } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, EmbeddingsRequest, ModerationInput, ModerationRequest, ModerationResponse } from '../../core/types.js';
import { OpenAICompatibleClient } from '../openai-compatible/client.js';
import type { CallOptions, ProviderClient, ProviderDefinition } from '../types.js';

const DEFAULT_BASE = 'https://api.mistral.ai/v1';

const configSchema = z.strictObject({
  mistral_api_key: z.string().min(1).meta({ description: 'Mistral API key, sent as a Bearer token. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.' }),
  mistral_api_base: z.url().optional().meta({ description: `Base URL including the version path (default ${DEFAULT_BASE}).` }),
});

type MistralConfig = z.infer<typeof configSchema>;

export const mistralProvider: ProviderDefinition<MistralConfig> = {
  name: 'mistral',
  description: 'Mistral AI: chat (with tools and JSON output), embeddings (mistral-embed) and moderation (mistral-moderation-latest).',
  configSchema,
  secretKeys: ['mistral_api_key'],
  create: ({ config }) =>
    new MistralClient(
      new OpenAICompatibleClient({
        provider: 'mistral',
        baseUrl: config.mistral_api_base ?? DEFAULT_BASE,
        headers: { authorization: `Bearer ${config.mistral_api_key}` },
        secrets: [config.mistral_api_key],
        // Mistral takes no stream_options; it reports usage on the last chunk of every stream.
        streamUsage: false,
        finishReasons: { model_length: 'length' },
      }),
    ),
  canModerate: () => true,
};

/** Chat parameters Mistral takes as OpenAI names them. */
const CHAT_PARAMS = new Set([
  'messages', 'temperature', 'top_p', 'max_tokens', 'stop', 'response_format', 'tools', 'tool_choice', 'presence_penalty',
  'frequency_penalty', 'n', 'parallel_tool_calls', 'prediction', 'stream', 'stream_options', 'model',
  // Mistral's own, reachable through the OpenAI SDK's extra body.
  'random_seed', 'safe_prompt',
]);

/** Message fields Mistral accepts; others (`refusal`, `annotations` echoed back by SDKs) are metadata and dropped. */
const MESSAGE_FIELDS = ['role', 'content', 'tool_calls', 'tool_call_id', 'prefix'];

class MistralClient implements ProviderClient {
  constructor(private readonly inner: OpenAICompatibleClient) {}

  chat(req: ChatRequest, call: CallOptions) {
    return this.inner.chat(toMistralChat(req, call), call);
  }

  chatStream(req: ChatRequest, call: CallOptions) {
    return this.inner.chatStream(toMistralChat(req, call), call);
  }

  embeddings(req: EmbeddingsRequest, call: CallOptions) {
    const { model: _model, input, dimensions, encoding_format: _format, ...rest } = req;
    for (const key of Object.keys(rest)) call.unsupported(key, 'Mistral embeddings take input and dimensions only');
    // Vectors come back as floats; the gateway encodes them as base64 itself when the client asks.
    return this.inner.embeddings({ input, ...(dimensions !== undefined ? { output_dimension: dimensions } : {}) }, call);
  }

  /** Mistral's /v1/moderations takes OpenAI's request; its answer has no `flagged`, which is any category being true. */
  async moderations(req: ModerationRequest, call: CallOptions): Promise<ModerationResponse> {
    const { model: _model, input, ...rest } = req;
    for (const key of Object.keys(rest)) call.unsupported(key, 'Mistral moderations take input only');
    const res = await this.inner.moderations({ input: textInput(input) }, call);
    for (const result of res.results) result.flagged ??= Object.values(result.categories ?? {}).some(Boolean);
    return res;
  }
}

/** Mistral moderates text only: multi-modal parts become one text, and an image is refused. */
function textInput(input: ModerationInput): string | string[] {
  if (typeof input === 'string' || input.every((part) => typeof part === 'string')) return input as string | string[];
  return input
    .map((part) => {
      if (typeof part !== 'string' && part.type === 'text') return part.text;
      throw badRequest('Mistral moderates text only: image parts cannot be sent to this endpoint', 'input', 'unsupported_parameter');
    })
    .join('\n');
}

function toMistralChat(req: ChatRequest, call: CallOptions): ChatRequest {
  const out: ChatRequest = { messages: req.messages.map(toMistralMessage) };
  for (const [key, value] of Object.entries(req)) {
    if (value === undefined || key === 'messages') continue;
    if (CHAT_PARAMS.has(key)) out[key] = value;
    else if (key === 'seed') out.random_seed = value;
    else if (key === 'max_completion_tokens') out.max_tokens = value as number;
    else call.unsupported(key);
  }
  // OpenAI's "required" is Mistral's "any" (at least one tool call).
  if (out.tool_choice === 'required') out.tool_choice = 'any';
  return out;
}

function toMistralMessage(message: ChatMessage): ChatMessage {
  const out = Object.fromEntries(MESSAGE_FIELDS.filter((key) => message[key] !== undefined).map((key) => [key, message[key]])) as ChatMessage;
  // Mistral has no developer role; it plays the same part as system.
  if (out.role === 'developer') out.role = 'system';
  if (message.role === 'tool' && message.name !== undefined) out.name = message.name;
  return out;
}

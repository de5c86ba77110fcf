// Together AI: open models behind an OpenAI-compatible API (chat, completions, embeddings).
import { z } from 'zod';
import { OpenAICompatibleClient } from '../openai-compatible/client.js';
import type { ProviderDefinition } from '../types.js';

const DEFAULT_BASE = 'https://api.together.xyz/v1';

const configSchema = z.strictObject({
  togetherai_api_key: z.string().min(1).meta({ description: 'Together AI API key, sent as a Bearer token. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.' }),
  togetherai_api_base: z.url().optional().meta({ description: `Base URL including the version path (default ${DEFAULT_BASE}).` }),
});

type TogetherConfig = z.infer<typeof configSchema>;

export const togetheraiProvider: ProviderDefinition<TogetherConfig> = {
  name: 'togetherai',
  description: 'Together AI: open models (Llama, Qwen, Mixtral, ...) for chat, completions and embeddings.',
  configSchema,
  secretKeys: ['togetherai_api_key'],
  create: ({ config }) =>
    new OpenAICompatibleClient({
      provider: 'togetherai',
      baseUrl: config.togetherai_api_base ?? DEFAULT_BASE,
      headers: { authorization: `Bearer ${config.togetherai_api_key}` },
      secrets: [config.togetherai_api_key],
      // Together ends some generations with its own "eos" (the model's end-of-sequence token).
      finishReasons: { eos: 'stop' },
    }),
};

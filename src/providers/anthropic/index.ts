// Anthropic's Messages API (Claude). MLflow's config keys: anthropic_api_key, anthropic_version.
import { z } from 'zod';
import type { ProviderDefinition } from '../types.js';
import { AnthropicClient } from './client.js';

const DEFAULT_BASE = 'https://api.anthropic.com';
const DEFAULT_VERSION = '2023-06-01';
const DEFAULT_MAX_TOKENS = 4096;

const configSchema = z.strictObject({
  anthropic_api_key: z.string().min(1).meta({
    description: 'API key, sent as the x-api-key header. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.',
  }),
  anthropic_version: z.string().min(1).default(DEFAULT_VERSION).meta({ description: `The anthropic-version header (default ${DEFAULT_VERSION}).` }),
  anthropic_api_base: z.url({ message: 'anthropic_api_base must be a URL such as https://api.anthropic.com' }).default(DEFAULT_BASE).meta({
    description: `Base URL of the API, without /v1 (default ${DEFAULT_BASE}). Point it at a proxy or a compatible server.`,
  }),
  max_tokens: z.int().positive().default(DEFAULT_MAX_TOKENS).meta({
    description: `max_tokens sent when a request gives none (Anthropic requires it). Default ${DEFAULT_MAX_TOKENS}.`,
  }),
  anthropic_beta: z.union([z.string(), z.array(z.string())]).optional().meta({ description: 'Beta features, sent as the anthropic-beta header (a list is joined with commas).' }),
  headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra HTTP headers sent to the upstream on every request.' }),
});

type AnthropicConfig = z.infer<typeof configSchema>;

export const anthropicProvider: ProviderDefinition<AnthropicConfig> = {
  name: 'anthropic',
  description: "Anthropic's Messages API (Claude models).",
  configSchema,
  secretKeys: ['anthropic_api_key'],
  create({ config }) {
    const headers: Record<string, string> = { ...config.headers, 'x-api-key': config.anthropic_api_key, 'anthropic-version': config.anthropic_version };
    if (config.anthropic_beta) headers['anthropic-beta'] = [config.anthropic_beta].flat().join(',');
    return new AnthropicClient({ baseUrl: config.anthropic_api_base, headers, secrets: [config.anthropic_api_key], defaultMaxTokens: config.max_tokens });
  },
};

// OpenAI, and every OpenAI-compatible server reached through `openai_api_base`. MLflow configures
// Azure OpenAI on this provider (`openai_api_type: azure | azuread`): those go to the Azure client.
import { z } from 'zod';
import { azureFields, checkAzureConfig, createAzureClient } from '../azure-openai/client.js';
import { OpenAICompatibleClient } from '../openai-compatible/client.js';
import type { ProviderDefinition } from '../types.js';

const DEFAULT_BASE = 'https://api.openai.com/v1';

const configSchema = z
  .strictObject({
    openai_api_key: z.string().min(1).optional().meta({
      description: 'API key sent as a Bearer token. Required for api.openai.com; optional for self-hosted OpenAI-compatible servers. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.',
    }),
    openai_api_base: z.url({ message: 'openai_api_base must be a URL such as http://localhost:8000/v1' }).optional().meta({
      description: `Base URL of the OpenAI-compatible API, including the version path (default ${DEFAULT_BASE}). Point it at vLLM, Ollama (http://host:11434/v1), LM Studio, TGI, Together, Groq, DeepSeek, ...`,
    }),
    openai_organization: z.string().optional().meta({ description: 'OpenAI organization id, sent as the OpenAI-Organization header.' }),
    openai_project: z.string().optional().meta({ description: 'OpenAI project id, sent as the OpenAI-Project header.' }),
    openai_api_type: z.enum(['openai', 'azure', 'azuread']).optional().meta({
      description: 'MLflow compatibility: "openai" (the default); "azure" or "azuread" serve an Azure OpenAI deployment, as provider azure-openai does (openai_api_base is then the resource URL).',
    }),
    ...azureFields,
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra HTTP headers sent to the upstream on every request.' }),
    stream_usage: z.boolean().default(true).meta({
      description: 'Ask the upstream for token usage on every stream (stream_options.include_usage), so streamed requests are accounted. Set false for servers that refuse stream_options.',
    }),
  })
  .superRefine((c, ctx) => {
    if (isAzure(c)) return checkAzureConfig(c, ctx);
    if (c.openai_api_key === undefined && c.openai_api_base === undefined) {
      ctx.addIssue({ code: 'custom', message: 'openai_api_key is required when openai_api_base is not set (api.openai.com needs a key)', path: ['openai_api_key'] });
    }
  });

type OpenAIConfig = z.infer<typeof configSchema>;

const isAzure = (c: { openai_api_type?: string }) => c.openai_api_type === 'azure' || c.openai_api_type === 'azuread';

export const openaiProvider: ProviderDefinition<OpenAIConfig> = {
  name: 'openai',
  description: 'OpenAI, or any OpenAI-compatible server through openai_api_base (vLLM, Ollama, LM Studio, TGI, Together, Groq, DeepSeek).',
  configSchema,
  secretKeys: ['openai_api_key', 'azure_client_secret'],
  create({ name, config }) {
    if (isAzure(config)) return createAzureClient('openai', name, config);
    const headers: Record<string, string> = { ...config.headers };
    if (config.openai_api_key) headers.authorization = `Bearer ${config.openai_api_key}`;
    if (config.openai_organization) headers['openai-organization'] = config.openai_organization;
    if (config.openai_project) headers['openai-project'] = config.openai_project;
    return new OpenAICompatibleClient({
      provider: 'openai',
      baseUrl: config.openai_api_base ?? DEFAULT_BASE,
      headers,
      secrets: config.openai_api_key ? [config.openai_api_key] : [],
      streamUsage: config.stream_usage,
    });
  },
  // OpenAI's /v1/moderations; Azure OpenAI has no moderation API (its content filters run inside each call).
  canModerate: (config) => !isAzure(config),
};

// Azure OpenAI Service: OpenAI's models on the customer's own Azure resource and deployments.
import { z } from 'zod';
import type { ProviderDefinition } from '../types.js';
import { azureFields, checkAzureConfig, createAzureClient, type AzureConfig } from './client.js';

const configSchema = z
  .strictObject({
    openai_api_key: z.string().min(1).optional().meta({
      description: 'For api type azure: the resource key, sent as the api-key header. For azuread: a static Entra ID access token, sent as a Bearer token. A secret.',
    }),
    openai_api_base: z.url({ message: 'openai_api_base must be a URL such as https://my-resource.openai.azure.com' }).meta({
      description: 'The Azure OpenAI resource URL, e.g. https://my-resource.openai.azure.com',
    }),
    openai_api_type: z.enum(['azure', 'azuread']).optional().meta({
      description: 'azure: authenticate with an api-key; azuread: with an Entra ID token (static in openai_api_key, or fetched with azure_tenant_id/azure_client_id/azure_client_secret). Default: azuread when client credentials are given, else azure.',
    }),
    ...azureFields,
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra HTTP headers sent to the upstream on every request.' }),
  })
  .superRefine((config, ctx) => checkAzureConfig(config, ctx));

export const azureOpenAIProvider: ProviderDefinition<AzureConfig> = {
  name: 'azure-openai',
  description: 'Azure OpenAI Service deployments (chat, completions, embeddings), with an api-key or Entra ID (Azure AD) authentication.',
  configSchema,
  secretKeys: ['openai_api_key', 'azure_client_secret'],
  create: ({ name, config }) => createAzureClient('azure-openai', name, config),
};

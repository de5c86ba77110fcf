// The Azure OpenAI client: OpenAI's wire format on a per-deployment URL with an api-version query,
// authenticated by an `api-key` header (api type `azure`) or an Entra ID bearer token (`azuread`).
// Both provider `azure-openai` and provider `openai` with `openai_api_type: azure | azuread`
// (how MLflow configures Azure) are served by this one client.
import { z } from 'zod';
import { OpenAICompatibleClient } from '../openai-compatible/client.js';
import { DEFAULT_AUTHORITY, EntraTokenSource } from './entra-token.js';

export const DEFAULT_API_VERSION = '2024-10-21';
/** Azure refuses `stream_options` (and so reports no stream usage) on API versions before this one. */
const FIRST_VERSION_WITH_STREAM_USAGE = '2024-09-01';

/** Azure's settings beyond the OpenAI ones (key, base, api type, headers); shared by both providers' schemas. */
export const azureFields = {
  openai_deployment_name: z.string().min(1).optional().meta({
    description: "Azure OpenAI deployment name: the model is chosen by the deployment in the URL. Default: the endpoint's model name.",
  }),
  openai_api_version: z.string().min(1).optional().meta({ description: `Azure OpenAI REST API version, sent as ?api-version=. Default ${DEFAULT_API_VERSION}.` }),
  azure_tenant_id: z.string().min(1).optional().meta({ description: 'Entra ID (Azure AD) tenant id, for the client-credentials flow (api type azuread).' }),
  azure_client_id: z.string().min(1).optional().meta({ description: 'Entra ID application (client) id, for the client-credentials flow.' }),
  azure_client_secret: z.string().min(1).optional().meta({ description: 'Entra ID client secret, for the client-credentials flow. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.' }),
  azure_authority_host: z.url().optional().meta({ description: `Entra ID authority host (default ${DEFAULT_AUTHORITY}); e.g. https://login.microsoftonline.us for Azure Government.` }),
};

export interface AzureConfig {
  openai_api_key?: string;
  openai_api_base?: string;
  openai_api_type?: string;
  openai_deployment_name?: string;
  openai_api_version?: string;
  azure_tenant_id?: string;
  azure_client_id?: string;
  azure_client_secret?: string;
  azure_authority_host?: string;
  headers?: Record<string, string>;
}

const CLIENT_CREDENTIALS = ['azure_tenant_id', 'azure_client_id', 'azure_client_secret'] as const;

/** `azuread` when asked for, or when client credentials are given; `azure` (an api-key) otherwise. */
export function azureApiType(config: AzureConfig): 'azure' | 'azuread' {
  if (config.openai_api_type === 'azuread') return 'azuread';
  if (config.openai_api_type === 'azure') return 'azure';
  return config.azure_tenant_id ? 'azuread' : 'azure';
}

/** The checks zod cannot express field by field: a resource URL, and one complete way to authenticate. */
export function checkAzureConfig(config: AzureConfig, ctx: z.RefinementCtx): void {
  if (!config.openai_api_base) {
    ctx.addIssue({ code: 'custom', path: ['openai_api_base'], message: 'openai_api_base is required for Azure OpenAI (e.g. https://my-resource.openai.azure.com)' });
  }
  const given = CLIENT_CREDENTIALS.filter((key) => config[key] !== undefined);
  if (given.length > 0 && given.length < CLIENT_CREDENTIALS.length) {
    const missing = CLIENT_CREDENTIALS.find((key) => config[key] === undefined)!;
    ctx.addIssue({ code: 'custom', path: [missing], message: `${missing} is required with ${given.join(', ')} (the Entra ID client-credentials flow needs tenant, client id and secret)` });
    return;
  }
  const type = azureApiType(config);
  if (type === 'azure' && !config.openai_api_key) {
    ctx.addIssue({ code: 'custom', path: ['openai_api_key'], message: 'openai_api_key is required for openai_api_type azure (it is sent as the api-key header)' });
  }
  if (type === 'azuread' && !config.openai_api_key && given.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['openai_api_key'],
      message: 'openai_api_type azuread needs an Entra ID token in openai_api_key, or azure_tenant_id, azure_client_id and azure_client_secret',
    });
  }
}

export function createAzureClient(provider: string, model: string, config: AzureConfig): OpenAICompatibleClient {
  const base = config.openai_api_base!.replace(/\/+$/, '');
  const deployment = encodeURIComponent(config.openai_deployment_name ?? model);
  const apiVersion = config.openai_api_version ?? DEFAULT_API_VERSION;
  const version = encodeURIComponent(apiVersion);
  const headers: Record<string, string> = { ...config.headers };
  const secrets = [config.openai_api_key, config.azure_client_secret].filter((s): s is string => s !== undefined);
  let authHeaders: (() => Promise<Record<string, string>>) | undefined;
  if (azureApiType(config) === 'azure') {
    headers['api-key'] = config.openai_api_key!;
  } else if (config.azure_tenant_id) {
    const tokens = new EntraTokenSource(
      {
        authorityHost: config.azure_authority_host ?? DEFAULT_AUTHORITY,
        tenantId: config.azure_tenant_id,
        clientId: config.azure_client_id!,
        clientSecret: config.azure_client_secret!,
      },
      provider,
    );
    authHeaders = async () => ({ authorization: `Bearer ${await tokens.get()}` });
  } else {
    headers.authorization = `Bearer ${config.openai_api_key}`;
  }
  return new OpenAICompatibleClient({
    provider,
    baseUrl: base,
    headers,
    secrets,
    url: (path) => `${base}/openai/deployments/${deployment}${path}?api-version=${version}`,
    authHeaders,
    sendModel: false,
    // Versions are dates (YYYY-MM-DD, maybe with -preview), so they compare as strings.
    streamUsage: apiVersion >= FIRST_VERSION_WITH_STREAM_USAGE,
  });
}

// Google's Gemini models, through Google AI (the Gemini API, an API key) or Vertex AI (a Google Cloud
// project, with a service account or a static access token).
import { z } from 'zod';
import type { ProviderDefinition } from '../types.js';
import { bareModelName, GeminiClient, type GeminiApi } from './client.js';
import { parseServiceAccount, ServiceAccountTokens } from './vertex-auth.js';

const DEFAULT_GOOGLE_AI_BASE = 'https://generativelanguage.googleapis.com';

const configSchema = z
  .strictObject({
    gemini_api_key: z.string().min(1).optional().meta({
      description: 'Google AI (Gemini API) key, sent as x-goog-api-key. A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal. Leave it out for Vertex AI.',
    }),
    gemini_api_base: z.url({ message: 'gemini_api_base must be a URL such as https://generativelanguage.googleapis.com' }).optional().meta({
      description: `Base URL of the Gemini API, without the version path (default ${DEFAULT_GOOGLE_AI_BASE}).`,
    }),
    vertex_project: z.string().min(1).optional().meta({ description: 'Google Cloud project id. Setting it selects Vertex AI instead of Google AI.' }),
    vertex_location: z.string().regex(/^[a-z0-9-]+$/, { message: 'vertex_location is a region such as us-central1, or global' }).default('us-central1').meta({
      description: 'Vertex AI region (default us-central1), or global.',
    }),
    vertex_credentials: z.string().min(1).optional().meta({
      description:
        "A service-account key file's JSON, used to sign the JWT exchanged for Vertex AI access tokens (at the key's token_uri). A secret: a file path, $VAR / ${VAR} / {{ VAR }} holding the JSON, or the JSON itself.",
    }),
    vertex_access_token: z.string().min(1).optional().meta({
      description: 'A ready OAuth access token for Vertex AI, sent as a Bearer token (it is not refreshed). A secret, like vertex_credentials.',
    }),
    vertex_api_base: z.url({ message: 'vertex_api_base must be a URL such as https://us-central1-aiplatform.googleapis.com' }).optional().meta({
      description: 'Base URL of Vertex AI, without the version path (default https://{location}-aiplatform.googleapis.com; aiplatform.googleapis.com for global). For private endpoints and proxies.',
    }),
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra HTTP headers sent to the upstream on every request.' }),
  })
  .superRefine((c, ctx) => {
    const vertexKeys = (['vertex_credentials', 'vertex_access_token', 'vertex_api_base'] as const).filter((k) => c[k] !== undefined);
    if (c.vertex_project === undefined) {
      if (vertexKeys.length > 0) ctx.addIssue({ code: 'custom', path: ['vertex_project'], message: `vertex_project is required with ${vertexKeys.join(', ')}` });
      else if (c.gemini_api_key === undefined) {
        ctx.addIssue({ code: 'custom', path: ['gemini_api_key'], message: 'gemini_api_key is required (or vertex_project with vertex_credentials or vertex_access_token for Vertex AI)' });
      }
      return;
    }
    if (c.gemini_api_key !== undefined || c.gemini_api_base !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['vertex_project'], message: 'Choose Google AI (gemini_api_key) or Vertex AI (vertex_project), not both' });
    }
    if ((c.vertex_credentials === undefined) === (c.vertex_access_token === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['vertex_credentials'], message: 'Vertex AI needs exactly one of vertex_credentials (a service-account key) or vertex_access_token' });
    } else if (c.vertex_credentials !== undefined) {
      const account = parseServiceAccount(c.vertex_credentials);
      if (typeof account === 'string') ctx.addIssue({ code: 'custom', path: ['vertex_credentials'], message: account });
    }
  });

type GeminiConfig = z.infer<typeof configSchema>;

export const geminiProvider: ProviderDefinition<GeminiConfig> = {
  name: 'gemini',
  description: "Google's Gemini models through Google AI (gemini_api_key) or Vertex AI (vertex_project with a service account or access token).",
  configSchema,
  secretKeys: ['gemini_api_key', 'vertex_credentials', 'vertex_access_token'],
  create: ({ config }) => new GeminiClient(config.vertex_project !== undefined ? vertexApi(config, config.vertex_project) : googleAIApi(config)),
};

const modelId = (model: string) => encodeURIComponent(bareModelName(model));

function googleAIApi(config: GeminiConfig): GeminiApi {
  const base = (config.gemini_api_base ?? DEFAULT_GOOGLE_AI_BASE).replace(/\/+$/, '');
  const key = config.gemini_api_key ?? '';
  return {
    kind: 'google-ai',
    modelUrl: (model) => `${base}/v1beta/models/${modelId(model)}`,
    authHeaders: async () => ({ 'x-goog-api-key': key }),
    headers: { ...config.headers },
    secrets: [key],
    media: { gcsUris: false },
  };
}

function vertexApi(config: GeminiConfig, project: string): GeminiApi {
  const location = config.vertex_location;
  const host = location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
  const base = (config.vertex_api_base ?? host).replace(/\/+$/, '');
  const prefix = `${base}/v1/projects/${encodeURIComponent(project)}/locations/${location}/publishers/google/models/`;
  const common = { kind: 'vertex' as const, modelUrl: (model: string) => prefix + modelId(model), headers: { ...config.headers }, media: { gcsUris: true } };
  if (config.vertex_access_token !== undefined) {
    const token = config.vertex_access_token;
    return { ...common, authHeaders: async () => ({ authorization: `Bearer ${token}` }), secrets: [token] };
  }
  const account = parseServiceAccount(config.vertex_credentials ?? '');
  if (typeof account === 'string') throw new Error(account); // validated by the schema already
  const tokens = new ServiceAccountTokens(account);
  return {
    ...common,
    authHeaders: async () => ({ authorization: `Bearer ${await tokens.token()}` }),
    rejected: (headers) => tokens.invalidate(headers.authorization.replace(/^Bearer /, '')),
    secrets: [account.private_key],
  };
}

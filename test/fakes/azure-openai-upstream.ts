// A fake Azure OpenAI resource, written from Azure OpenAI's REST reference:
// POST /openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=...,
// authenticated by the `api-key` header or an Entra ID `Authorization: Bearer` token (401 otherwise).
// Answers are OpenAI's shapes plus Azure's content-filter annotations (prompt_filter_results, and a
// first stream chunk with no choices); a prompt refused by the filter is Azure's 400 with code
// content_filter; API versions before 2024-09-01 refuse stream_options. It also serves the Entra ID
// token endpoint (POST /{tenant}/oauth2/v2.0/token, client-credentials grant) that issues the bearer
// tokens it accepts.
import { startRecordingServer, words, type RecordedRequest, type RecordingServer, type Reply } from './recording-server.js';

export const AZURE_REPLY = 'Hello from the fake Azure deployment.';

export interface AzureBehaviour {
  status?: number;
  /** Fields of the error body (with `status`). */
  error?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The choice's finish_reason (e.g. content_filter). */
  finishReason?: string;
  /** Entra ID tokens this long-lived (seconds), for the token endpoint. */
  expiresIn?: number;
}

export interface FakeAzure extends RecordingServer<AzureBehaviour> {
  /** Requests to the deployments (not to the token endpoint). */
  modelRequests(): RecordedRequest[];
  tokenRequests(): RecordedRequest[];
}

export interface FakeAzureOptions {
  apiKey?: string;
  /** Client credentials the token endpoint accepts. */
  client?: { tenantId: string; clientId: string; clientSecret: string };
  /** Static bearer tokens accepted besides the ones the token endpoint issued. */
  tokens?: string[];
}

const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;

export async function startFakeAzure(opts: FakeAzureOptions = {}): Promise<FakeAzure> {
  const issued = new Set(opts.tokens ?? []);
  let seq = 0;
  const server = await startRecordingServer<AzureBehaviour>((req, b) => {
    if (req.path.endsWith('/oauth2/v2.0/token')) return token(req, b, opts, issued, ++seq);
    if (b.status) return azureError(b.status, { message: `Fake Azure error ${b.status}`, type: null, param: null, code: String(b.status), ...b.error }, b.headers);
    const authorized = req.headers['api-key'] === opts.apiKey || issued.has(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!authorized) {
      return azureError(401, { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' });
    }
    const match = DEPLOYMENT_PATH.exec(req.path);
    if (req.method !== 'POST' || !match) return azureError(404, { code: '404', message: 'Resource not found' });
    if (!req.query.get('api-version')) return azureError(404, { code: '404', message: 'Resource not found' });
    if (req.body.stream_options && req.query.get('api-version')! < '2024-09-01') {
      return azureError(400, { code: null, type: 'invalid_request_error', param: null, message: 'Unrecognized request argument supplied: stream_options' });
    }
    if (match[2] === 'embeddings') return { json: embeddings(req.body), headers: b.headers };
    return completion(match[2] === 'chat/completions', req.body, b, ++seq);
  });
  return {
    ...server,
    modelRequests: () => server.requests.filter((r) => r.path.startsWith('/openai/')),
    tokenRequests: () => server.requests.filter((r) => r.path.endsWith('/token')),
  };
}

function azureError(status: number, error: Record<string, unknown>, headers?: Record<string, string>): Reply {
  return { status, json: { error }, headers };
}

function token(req: RecordedRequest, b: AzureBehaviour, opts: FakeAzureOptions, issued: Set<string>, seq: number): Reply {
  const c = opts.client;
  const body = req.body ?? {};
  if (!c || req.path !== `/${c.tenantId}/oauth2/v2.0/token` || body.client_id !== c.clientId || body.client_secret !== c.clientSecret) {
    return { status: 401, json: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
  }
  if (body.grant_type !== 'client_credentials' || body.scope !== 'https://cognitiveservices.azure.com/.default') {
    return { status: 400, json: { error: 'invalid_request', error_description: 'AADSTS900144: The request body must contain the following parameter: scope.' } };
  }
  const accessToken = `entra-token-${seq}`;
  issued.add(accessToken);
  return { json: { token_type: 'Bearer', expires_in: b.expiresIn ?? 3599, ext_expires_in: 3599, access_token: accessToken } };
}

const FILTER_OK = { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' }, sexual: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' } };

function completion(chat: boolean, body: any, b: AzureBehaviour, seq: number): Reply {
  const prompt = chat ? body.messages.map((m: { content?: unknown }) => String(m.content ?? '')).join(' ') : String(body.prompt);
  const forced = chat && body.tools?.length && body.tool_choice === 'required';
  const pieces = forced ? [] : words(AZURE_REPLY);
  const toolCalls = forced ? [{ id: `call_${seq}`, type: 'function', function: { name: body.tools[0].function.name, arguments: '{"city":"Oslo"}' } }] : undefined;
  const finish = b.finishReason ?? (forced ? 'tool_calls' : 'stop');
  const usage = { prompt_tokens: words(prompt).length, completion_tokens: forced ? 5 : pieces.length, total_tokens: words(prompt).length + (forced ? 5 : pieces.length), prompt_tokens_details: { cached_tokens: 2 } };
  const head = { id: `chatcmpl-azure${seq}`, created: 1_700_000_000, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_azure' };
  const promptFilter = [{ prompt_index: 0, content_filter_results: FILTER_OK }];
  const text = pieces.join('');
  if (!body.stream) {
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: forced ? null : text, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: finish, content_filter_results: FILTER_OK, logprobs: null }
      : { index: 0, text, finish_reason: finish, content_filter_results: FILTER_OK, logprobs: null };
    return { json: { ...head, object: chat ? 'chat.completion' : 'text_completion', prompt_filter_results: promptFilter, choices: [choice], usage }, headers: b.headers };
  }
  const chunk = (choice: Record<string, unknown>) => ({ ...head, object: chat ? 'chat.completion.chunk' : 'text_completion', choices: [{ index: 0, finish_reason: null, ...choice }] });
  const events: { data: unknown }[] = [{ data: { id: '', object: '', created: 0, model: '', prompt_filter_results: promptFilter, choices: [] } }];
  if (chat) {
    events.push({ data: chunk({ delta: { role: 'assistant', content: '' } }) });
    if (toolCalls) events.push({ data: chunk({ delta: { tool_calls: toolCalls.map((tc, index) => ({ index, ...tc })) } }) });
    for (const content of pieces) events.push({ data: chunk({ delta: { content } }) });
    events.push({ data: chunk({ delta: {}, finish_reason: finish }) });
  } else {
    for (const piece of pieces) events.push({ data: chunk({ text: piece }) });
    events.push({ data: chunk({ text: '', finish_reason: finish }) });
  }
  if (body.stream_options?.include_usage) events.push({ data: { ...head, object: 'chat.completion.chunk', choices: [], usage } });
  events.push({ data: '[DONE]' });
  return { events, headers: b.headers };
}

function embeddings(body: any) {
  const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
  const data = inputs.map((input, index) => ({ object: 'embedding', index, embedding: [index, String(input).length / 16, 0.5] }));
  const tokens = inputs.reduce<number>((sum, input) => sum + words(String(input)).length, 0);
  return { object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

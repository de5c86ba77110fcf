// A fake Gemini upstream on a random loopback port, written from Google's API references:
// - Google AI: POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse |
//   :embedContent | :batchEmbedContents, authenticated by the `x-goog-api-key` header (a wrong key
//   gets Google's 400 API_KEY_INVALID).
// - Vertex AI: POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent |
//   :streamGenerateContent?alt=sse | :predict, with `Authorization: Bearer <token>` (401 otherwise).
// - An OAuth token server (POST /token) that takes the JWT-bearer grant, checks the assertion's
//   RS256 signature and claims with the test's public key, and issues short access tokens.
// Errors are Google's {"error": {"code", "message", "status"}}. Streams send one GenerateContentResponse
// per `data:` event (usage on each, cumulative; finishReason on the last). Requests are checked the way
// Gemini checks them: unknown fields (a JSON-Schema keyword in a function's parameters, a snake_case
// generationConfig field) are refused with 400 INVALID_ARGUMENT.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { fakeControls } from './controls.js';

export const GEMINI_REPLY = 'Hello from the fake Gemini upstream.';

export interface GeminiBehaviour {
  /** Answer with this HTTP status and Google's error body. */
  status?: number;
  /** The error's message (with `status`). */
  message?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** With `status`: Google's RetryInfo detail in the error body (e.g. "7s"), as Google sends on 429. */
  retryDelay?: string;
  /** The reply text. */
  text?: string;
  /** Answer with function calls instead of text (each may carry a thoughtSignature). */
  functionCalls?: { name: string; args: Record<string, unknown>; thoughtSignature?: string }[];
  /** The candidate's finishReason (default STOP, or MAX_TOKENS when maxOutputTokens cuts the text). */
  finishReason?: string;
  /** Answer with no candidates and this promptFeedback.blockReason. */
  blockReason?: string;
  /** Extra usageMetadata fields (e.g. cachedContentTokenCount, thoughtsTokenCount). */
  usage?: Record<string, number>;
  /** A thought part sent before the answer (a thinking model's summary): not part of the answer. */
  thought?: string;
  /** Instead of streamed event `index`, send Google's error object as an event and end the stream. */
  errorEventAt?: number;
  /** Awaited before streamed event `index` is sent. */
  beforeEvent?: (index: number) => Promise<void> | void;
}

export interface RecordedRequest {
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface FakeGemini {
  /** For gemini_api_base and vertex_api_base. */
  baseUrl: string;
  /** For a service account's token_uri. */
  tokenUri: string;
  /** Model requests (not token exchanges). */
  requests: RecordedRequest[];
  /** JWT assertions received by the token server. */
  assertions: string[];
  last(): RecordedRequest;
  next(...behaviours: GeminiBehaviour[]): void;
  /** Makes every access token the token server issued so far invalid (as if revoked). */
  revokeTokens(): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeGeminiOptions {
  apiKey?: string;
  /** The service account's public key: the token server verifies assertions with it. */
  publicKey?: KeyObject;
  clientEmail?: string;
  /** Access tokens accepted besides the ones the token server issues (for a static vertex_access_token). */
  accessTokens?: string[];
}

const MODEL_PATH = /^\/(?:v1beta\/models|v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models)\/([^/:]+):(\w+)$/;

export async function startFakeGemini(opts: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const requests: RecordedRequest[] = [];
  const assertions: string[] = [];
  const tokens = new Set<string>();
  const staticTokens = new Set(opts.accessTokens);
  const queue: GeminiBehaviour[] = [];
  let issued = 0;
  let tokenUri = '';

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const [path, query = ''] = (req.url ?? '/').split('?');
    if (path === '/token') return void (await token(raw, res));
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return googleError(res, 400, 'Invalid JSON payload received.');
    }
    requests.push({ path, query, headers: req.headers, body });
    const behaviour = queue.shift() ?? {};
    const match = MODEL_PATH.exec(path);
    if (req.method !== 'POST' || !match) return googleError(res, 404, `Method not found: ${path}`);
    const vertex = path.startsWith('/v1/projects/');
    if (vertex) {
      const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!tokens.has(bearer) && !staticTokens.has(bearer)) return googleError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
    } else if (opts.apiKey !== undefined && req.headers['x-goog-api-key'] !== opts.apiKey) {
      return googleError(res, 400, 'API key not valid. Please pass a valid API key.');
    }
    if (behaviour.status) return googleError(res, behaviour.status, behaviour.message ?? `Fake upstream error ${behaviour.status}`, behaviour.headers, behaviour.retryDelay);
    const [, model, method] = match;
    if (method === 'embedContent' || method === 'batchEmbedContents' || method === 'predict') {
      const wrongModel = method === 'batchEmbedContents' && body.requests.find((r: any) => r.model !== `models/${model}`);
      if (wrongModel) return googleError(res, 400, `Model ${wrongModel.model} in the batch does not match models/${model}`);
      return sendJson(res, embed(method, body));
    }
    if (method !== 'generateContent' && method !== 'streamGenerateContent') return googleError(res, 404, `Method not found: ${method}`);
    const invalid = checkGenerateContent(body);
    if (invalid) return googleError(res, 400, invalid);
    const events = generate(body, behaviour, method === 'streamGenerateContent');
    if (method === 'generateContent') return sendJson(res, events[0]);
    if (!query.includes('alt=sse')) return googleError(res, 400, 'The fake only streams with alt=sse');
    res.writeHead(200, { 'content-type': 'text/event-stream', ...behaviour.headers });
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      await behaviour.beforeEvent?.(i);
      if (res.destroyed) return;
      if (i === behaviour.errorEventAt) {
        res.write(`data: ${JSON.stringify({ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } })}\r\n\r\n`);
        return void res.end();
      }
      res.write(`data: ${JSON.stringify(events[i])}\r\n\r\n`);
    }
    res.end();
  });

  /** The OAuth 2.0 token endpoint: grant_type=jwt-bearer with an RS256 assertion signed by the service account. */
  async function token(raw: string, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(raw);
    const assertion = form.get('assertion') ?? '';
    assertions.push(assertion);
    const refuse = (description: string) => sendJson(res, { error: 'invalid_grant', error_description: description }, 400);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('Invalid grant_type');
    if (!opts.publicKey) return refuse('No service account is known');
    try {
      const { payload } = await jwtVerify(assertion, opts.publicKey, { algorithms: ['RS256'], audience: tokenUri, issuer: opts.clientEmail });
      if (payload.scope !== 'https://www.googleapis.com/auth/cloud-platform') return refuse('Invalid scope');
    } catch (err) {
      return refuse(`Invalid JWT Signature: ${(err as Error).message}`);
    }
    const access = `ya29.fake-access-token-${++issued}`;
    tokens.add(access);
    sendJson(res, { access_token: access, expires_in: 3599, token_type: 'Bearer' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  tokenUri = `${baseUrl}/token`;
  return {
    baseUrl,
    tokenUri,
    assertions,
    revokeTokens: () => tokens.clear(),
    ...fakeControls(server, requests, queue, () => (assertions.length = 0)),
  };
}

const GENERATION_CONFIG_FIELDS = new Set([
  'temperature', 'topP', 'topK', 'candidateCount', 'maxOutputTokens', 'stopSequences', 'seed',
  'presencePenalty', 'frequencyPenalty', 'responseMimeType', 'responseSchema',
]);
const SCHEMA_FIELDS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'items', 'properties', 'required', 'anyOf', 'minItems', 'maxItems',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'default', 'example', 'propertyOrdering',
]);
const PART_FIELDS = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'];

/** Gemini's own checks of a GenerateContentRequest, as far as the gateway's mapping could get them wrong. */
function checkGenerateContent(body: any): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const content of body.contents) {
    if (content.role !== 'user' && content.role !== 'model') return `Please use a valid role: user, model. Got ${content.role}`;
    if (!Array.isArray(content.parts) || content.parts.length === 0) return '* GenerateContentRequest.contents.parts: contents.parts must not be empty.';
    for (const part of content.parts) {
      if (PART_FIELDS.filter((f) => f in part).length !== 1) return `Invalid part: ${JSON.stringify(part)}`;
    }
  }
  for (const field of Object.keys(body.generationConfig ?? {})) {
    if (!GENERATION_CONFIG_FIELDS.has(field)) return `Invalid JSON payload received. Unknown name "${field}" at 'generation_config': Cannot find field.`;
  }
  for (const declaration of body.tools?.[0]?.functionDeclarations ?? []) {
    const unknown = unknownSchemaField(declaration.parameters ?? {});
    if (unknown) return `Invalid JSON payload received. Unknown name "${unknown}" at 'tools[0].function_declarations[0].parameters': Cannot find field.`;
  }
  const schema = body.generationConfig?.responseSchema;
  const unknown = schema ? unknownSchemaField(schema) : undefined;
  if (unknown) return `Invalid JSON payload received. Unknown name "${unknown}" at 'generation_config.response_schema': Cannot find field.`;
  return undefined;
}

function unknownSchemaField(schema: Record<string, any>): string | undefined {
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_FIELDS.has(key)) return key;
    const children = key === 'properties' ? Object.values(value) : key === 'items' ? [value] : key === 'anyOf' ? value : [];
    for (const child of children as Record<string, any>[]) {
      const found = unknownSchemaField(child);
      if (found) return found;
    }
  }
  return undefined;
}

function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function promptTokens(body: any): number {
  const texts = [...(body.systemInstruction?.parts ?? []), ...body.contents.flatMap((c: any) => c.parts)].map((p: any) => p.text ?? JSON.stringify(p));
  return texts.reduce((sum: number, text: string) => sum + words(text).length, 0);
}

/** The answer: one GenerateContentResponse, or the events of its stream. */
function generate(body: any, b: GeminiBehaviour, stream: boolean): unknown[] {
  const prompt = promptTokens(body);
  const usage = (output: number) => ({ promptTokenCount: prompt, candidatesTokenCount: output, totalTokenCount: prompt + output + (b.usage?.thoughtsTokenCount ?? 0), ...b.usage });
  const head = { modelVersion: 'gemini-fake-001', responseId: `fake-response-${Math.random().toString(36).slice(2)}` };
  if (b.blockReason) return [{ promptFeedback: { blockReason: b.blockReason }, usageMetadata: usage(0), ...head }];
  const mode = body.toolConfig?.functionCallingConfig?.mode;
  const forced: GeminiBehaviour['functionCalls'] =
    mode === 'ANY' ? [{ name: body.toolConfig.functionCallingConfig.allowedFunctionNames?.[0] ?? body.tools[0].functionDeclarations[0].name, args: {} }] : undefined;
  const calls = b.functionCalls ?? forced;
  const count = body.generationConfig?.candidateCount ?? 1;
  const candidate = (index: number, parts: unknown[], finishReason?: string) => ({ content: { role: 'model', parts }, index, ...(finishReason ? { finishReason } : {}) });
  const thought = b.thought ? [{ text: b.thought, thought: true }] : [];
  if (calls) {
    const parts = calls.map(({ thoughtSignature, ...call }) => ({ functionCall: call, ...(thoughtSignature ? { thoughtSignature } : {}) }));
    return [{ candidates: [candidate(0, [...thought, ...parts], b.finishReason ?? 'STOP')], usageMetadata: usage(calls.length * 5), ...head }];
  }
  let pieces = words(b.text ?? GEMINI_REPLY);
  let finish = b.finishReason ?? 'STOP';
  const max = body.generationConfig?.maxOutputTokens;
  if (typeof max === 'number' && pieces.length > max) {
    pieces = pieces.slice(0, max);
    finish = 'MAX_TOKENS';
  }
  const all = (parts: (i: number) => unknown[], finishReason?: string) => Array.from({ length: count }, (_, i) => candidate(i, parts(i), finishReason));
  if (!stream) {
    return [{ candidates: all((i) => [...thought, { text: (i > 0 ? `(${i}) ` : '') + pieces.join('') }], finish), usageMetadata: usage(pieces.length * count), ...head }];
  }
  const events = pieces.map((piece, n) => ({
    candidates: all((i) => [...(n === 0 ? thought : []), { text: n === 0 && i > 0 ? `(${i}) ${piece}` : piece }], n === pieces.length - 1 ? finish : undefined),
    usageMetadata: usage((n + 1) * count),
    ...head,
  }));
  return events;
}

/** A deterministic vector per text whose values are exact in float32. */
export function fakeGeminiEmbedding(text: string, dimensions = 4): number[] {
  let seed = 0;
  for (const ch of text) seed = (seed * 31 + ch.charCodeAt(0)) % 65_521;
  return Array.from({ length: dimensions }, (_, i) => ((seed + i * 7) % 16) / 16 - 0.5);
}

function embed(method: string, body: any): unknown {
  if (method === 'predict') {
    return {
      predictions: body.instances.map((instance: { content: string }) => ({
        embeddings: { values: fakeGeminiEmbedding(instance.content, body.parameters?.outputDimensionality), statistics: { token_count: words(instance.content).length, truncated: false } },
      })),
    };
  }
  const one = (request: any) => ({ values: fakeGeminiEmbedding(request.content.parts[0].text, request.outputDimensionality) });
  if (method === 'embedContent') return { embedding: one(body) };
  return { embeddings: body.requests.map(one) };
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function googleError(res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}, retryDelay?: string): void {
  const details = retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }] : undefined;
  sendJson(res, { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', details } }, code, headers);
}

function sendJson(res: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

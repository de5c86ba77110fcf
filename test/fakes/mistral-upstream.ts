// A fake Mistral AI API, written from Mistral's API reference: POST /v1/chat/completions,
// /v1/embeddings and /v1/moderations (raw text; see moderation.ts) with `Authorization: Bearer`. Like Mistral, it refuses fields it does not know
// (422 with pydantic's "Extra inputs are not permitted" details) — OpenAI's `seed`, `user`,
// `stream_options`, extra message fields. `tool_choice: "any"` forces a tool call; streams carry the
// usage on the last chunk (with its choices) and end with [DONE]. Errors: {"message": ...} (401, 429)
// or {"object": "error", "message": ..., "type": ...}.
import { mistralModeration } from './moderation.js';
import { startRecordingServer, words, type RecordingServer, type Reply } from './recording-server.js';

export const MISTRAL_REPLY = 'Bonjour from the fake Mistral upstream.';

export interface MistralBehaviour {
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  finishReason?: string;
}

const CHAT_FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'response_format', 'tools', 'tool_choice',
  'presence_penalty', 'frequency_penalty', 'n', 'prediction', 'parallel_tool_calls', 'safe_prompt',
]);
const MESSAGE_FIELDS = new Set(['role', 'content', 'tool_calls', 'tool_call_id', 'name', 'prefix']);
const EMBED_FIELDS = new Set(['model', 'input', 'output_dimension', 'output_dtype', 'encoding_format']);
const MODERATION_FIELDS = new Set(['model', 'input']);

export async function startFakeMistral(apiKey: string): Promise<RecordingServer<MistralBehaviour>> {
  let seq = 0;
  return startRecordingServer<MistralBehaviour>((req, b) => {
    if (b.status) return { status: b.status, json: { message: b.message ?? `Fake Mistral error ${b.status}`, request_id: 'req-fake' }, headers: b.headers };
    if (req.headers.authorization !== `Bearer ${apiKey}`) return { status: 401, json: { message: 'Unauthorized', request_id: 'req-fake' } };
    if (req.path === '/v1/embeddings') return extra(req.body, EMBED_FIELDS) ?? { json: embeddings(req.body) };
    if (req.path === '/v1/moderations') return extra(req.body, MODERATION_FIELDS) ?? { json: mistralModeration(req.body) };
    if (req.path !== '/v1/chat/completions') return { status: 404, json: { detail: 'Not Found' } };
    const refused = extra(req.body, CHAT_FIELDS, 'body') ?? req.body.messages.map((m: object, i: number) => extra(m, MESSAGE_FIELDS, 'body', 'messages', i)).find(Boolean);
    return refused ?? chat(req.body, b, ++seq);
  });
}

/** Mistral's 422 for a field its schema does not have. */
function extra(body: object, allowed: Set<string>, ...loc: (string | number)[]): Reply | undefined {
  const key = Object.keys(body).find((k) => !allowed.has(k));
  if (!key) return undefined;
  const detail = [{ type: 'extra_forbidden', loc: [...(loc.length ? loc : ['body']), key], msg: 'Extra inputs are not permitted', input: (body as Record<string, unknown>)[key] }];
  return { status: 422, json: { object: 'error', message: { detail }, type: 'invalid_request_error', param: null, code: null } };
}

function chat(body: any, b: MistralBehaviour, seq: number): Reply {
  const forced = body.tools?.length && body.tool_choice === 'any';
  const pieces = forced ? [] : words(MISTRAL_REPLY);
  const toolCalls = forced ? [{ id: 'D681PevKs', type: 'function', function: { name: body.tools[0].function.name, arguments: '{"city": "Paris"}' }, index: 0 }] : undefined;
  const finish = b.finishReason ?? (forced ? 'tool_calls' : 'stop');
  const prompt = body.messages.reduce((sum: number, m: { content?: unknown }) => sum + words(String(m.content ?? '')).length, 0);
  const usage = { prompt_tokens: prompt, completion_tokens: forced ? 9 : pieces.length, total_tokens: prompt + (forced ? 9 : pieces.length) };
  const head = { id: `cmpl-mistral${seq}`, created: 1_700_000_000, model: body.model };
  if (!body.stream) {
    const message = { role: 'assistant', content: pieces.join(''), tool_calls: toolCalls ?? null, prefix: false };
    return { json: { ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }], usage } };
  }
  const chunk = (delta: object, finishReason: string | null = null, extra: object = {}) => ({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra });
  const events: { data: unknown }[] = [{ data: chunk({ role: 'assistant', content: '' }) }];
  if (toolCalls) events.push({ data: chunk({ tool_calls: toolCalls }) });
  pieces.forEach((content, i) => {
    const last = i === pieces.length - 1;
    events.push({ data: last ? chunk({ content }, finish, { usage }) : chunk({ content }) });
  });
  if (toolCalls) events.push({ data: chunk({ content: '' }, finish, { usage }) });
  events.push({ data: '[DONE]' });
  return { events, headers: b.headers };
}

function embeddings(body: any) {
  const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
  const data = inputs.map((input, index) => ({ object: 'embedding', embedding: Array.from({ length: body.output_dimension ?? 4 }, (_, i) => (input.length + i) / 8), index }));
  const tokens = inputs.reduce((sum, input) => sum + words(input).length, 0);
  return { id: 'embd-fake', object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 } };
}

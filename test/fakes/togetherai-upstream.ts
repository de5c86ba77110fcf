// A fake Together AI API, written from Together's API reference (OpenAI-compatible):
// POST /v1/chat/completions, /v1/completions and /v1/embeddings with `Authorization: Bearer`.
// Together's own traits are kept: generations that hit the model's end token finish with "eos",
// stream chunks carry `token` fields, and the last chunk carries both the finish reason and the usage.
// Errors: {"error": {"message", "type", "param", "code"}}.
import { startRecordingServer, words, type RecordingServer, type Reply } from './recording-server.js';

export const TOGETHER_REPLY = 'Hello from the fake Together upstream.';

export interface TogetherBehaviour {
  status?: number;
  message?: string;
  headers?: Record<string, string>;
}

export async function startFakeTogether(apiKey: string): Promise<RecordingServer<TogetherBehaviour>> {
  let seq = 0;
  return startRecordingServer<TogetherBehaviour>((req, b) => {
    const error = (status: number, message: string, type: string): Reply => ({ status, json: { error: { message, type, param: null, code: null } }, headers: b.headers });
    if (b.status) return error(b.status, b.message ?? `Fake Together error ${b.status}`, 'server_error');
    if (req.headers.authorization !== `Bearer ${apiKey}`) return error(401, `Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.`, 'invalid_request_error');
    if (req.path === '/v1/embeddings') return { json: embeddings(req.body) };
    if (req.path === '/v1/chat/completions' || req.path === '/v1/completions') return generate(req.path === '/v1/chat/completions', req.body, ++seq);
    return error(404, 'Not found', 'invalid_request_error');
  });
}

function generate(chat: boolean, body: any, seq: number): Reply {
  const forced = chat && body.tools?.length && body.tool_choice === 'required';
  const pieces = forced ? [] : words(TOGETHER_REPLY);
  const toolCalls = forced ? [{ index: 0, id: `call_together${seq}`, type: 'function', function: { name: body.tools[0].function.name, arguments: '{"city":"Rome"}' } }] : undefined;
  const finish = forced ? 'tool_calls' : 'eos';
  const prompt = chat ? body.messages.map((m: { content?: unknown }) => String(m.content ?? '')).join(' ') : String(body.prompt);
  const usage = { prompt_tokens: words(prompt).length, completion_tokens: pieces.length, total_tokens: words(prompt).length + pieces.length };
  const head = { id: `together-${seq}`, created: 1_700_000_000, model: body.model };
  if (!body.stream) {
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: pieces.join(''), ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: finish, logprobs: null }
      : { index: 0, text: pieces.join(''), finish_reason: finish, logprobs: null };
    return { json: { ...head, object: chat ? 'chat.completion' : 'text.completion', prompt: [], choices: [choice], usage } };
  }
  const chunk = (piece: string, last: boolean, extra: object = {}) => ({
    ...head,
    object: chat ? 'chat.completion.chunk' : 'completion.chunk',
    choices: [{ index: 0, text: piece, token_id: 1000 + seq, finish_reason: last ? finish : null, ...(chat ? { delta: { role: 'assistant', content: piece, ...extra } } : {}) }],
    usage: last ? usage : null,
  });
  const events = toolCalls ? [{ data: chunk('', false, { tool_calls: toolCalls }) }, { data: chunk('', true) }] : pieces.map((piece, i) => ({ data: chunk(piece, i === pieces.length - 1) }));
  return { events: [...events, { data: '[DONE]' }] };
}

function embeddings(body: any) {
  const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
  return { object: 'list', model: body.model, data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: [input.length, 0.25] })) };
}

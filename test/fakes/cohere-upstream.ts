// A fake Cohere API, written from Cohere's v2 API reference: POST /v2/chat (JSON, or a stream of
// typed events: message-start, content-start/delta/end, tool-plan-delta, tool-call-start/delta/end,
// message-end with finish_reason and usage) and POST /v2/embed, with `Authorization: Bearer`.
// Like Cohere it refuses unknown fields; `tool_choice: "REQUIRED"` makes it call the first tool, and
// after a tool result it answers with that result. Errors: {"id", "message"}.
import { startRecordingServer, words, type RecordingServer, type Reply } from './recording-server.js';

export const COHERE_REPLY = 'Hello from the fake Cohere upstream.';

export interface CohereBehaviour {
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  finishReason?: string;
}

const CHAT_FIELDS = new Set([
  'model', 'messages', 'tools', 'stream', 'temperature', 'p', 'k', 'max_tokens', 'stop_sequences', 'seed', 'frequency_penalty',
  'presence_penalty', 'response_format', 'tool_choice', 'strict_tools', 'safety_mode', 'documents', 'citation_options', 'logprobs', 'thinking',
]);

export async function startFakeCohere(apiKey: string): Promise<RecordingServer<CohereBehaviour>> {
  let seq = 0;
  return startRecordingServer<CohereBehaviour>((req, b) => {
    const error = (status: number, message: string): Reply => ({ status, json: { id: `err-${seq}`, message }, headers: b.headers });
    if (b.status) return error(b.status, b.message ?? `Fake Cohere error ${b.status}`);
    if (req.headers.authorization !== `Bearer ${apiKey}`) return error(401, 'invalid api token');
    if (req.path === '/v2/embed') return embed(req.body);
    if (req.path !== '/v2/chat') return error(404, 'Not Found');
    const unknown = Object.keys(req.body).find((k) => !CHAT_FIELDS.has(k));
    if (unknown) return error(400, `invalid request: unknown field: parameter '${unknown}' is not a valid field`);
    return chat(req.body, b, ++seq);
  });
}

function chat(body: any, b: CohereBehaviour, seq: number): Reply {
  const last = body.messages[body.messages.length - 1];
  const toolCall = body.tool_choice === 'REQUIRED' && body.tools?.length ? { id: `get_weather_${seq}`, type: 'function', function: { name: body.tools[0].function.name, arguments: '{"location":"Toronto"}' } } : undefined;
  const reply = last.role === 'tool' ? `The tool said: ${last.content}` : COHERE_REPLY;
  const pieces = toolCall ? [] : words(reply);
  const finish = b.finishReason ?? (toolCall ? 'TOOL_CALL' : 'COMPLETE');
  const input = body.messages.reduce((sum: number, m: { content?: unknown }) => sum + words(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')).length, 0);
  const usage = { billed_units: { input_tokens: input, output_tokens: pieces.length }, tokens: { input_tokens: input + 10, output_tokens: pieces.length + 1 }, cached_tokens: 4 };
  const id = `cohere-${seq}`;
  if (!body.stream) {
    const message = toolCall
      ? { role: 'assistant', tool_plan: 'I will look up the weather.', tool_calls: [toolCall] }
      : { role: 'assistant', content: [{ type: 'text', text: pieces.join('') }] };
    return { json: { id, finish_reason: finish, message, usage } };
  }
  const ev = (type: string, rest: object = {}) => ({ event: type, data: { type, ...rest } });
  const events = [ev('message-start', { id, delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } })];
  if (toolCall) {
    for (const piece of words('I will look up the weather.')) events.push(ev('tool-plan-delta', { delta: { message: { tool_plan: piece } } }));
    events.push(ev('tool-call-start', { index: 0, delta: { message: { tool_calls: { ...toolCall, function: { name: toolCall.function.name, arguments: '' } } } } }));
    for (const piece of ['{"location":', '"Toronto"}']) events.push(ev('tool-call-delta', { index: 0, delta: { message: { tool_calls: { function: { arguments: piece } } } } }));
    events.push(ev('tool-call-end', { index: 0 }));
  } else {
    events.push(ev('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } }));
    for (const text of pieces) events.push(ev('content-delta', { index: 0, delta: { message: { content: { text } } } }));
    events.push(ev('content-end', { index: 0 }));
  }
  events.push(ev('message-end', { delta: { finish_reason: finish, usage } }));
  return { events, headers: b.headers };
}

function embed(body: any): Reply {
  if (!Array.isArray(body.texts) || !body.input_type || !Array.isArray(body.embedding_types)) {
    return { status: 400, json: { id: 'err', message: 'invalid request: texts, input_type and embedding_types are required' } };
  }
  const float = body.texts.map((text: string) => [text.length / 4, body.input_type === 'search_query' ? 1 : 0]);
  return { json: { id: 'embed-1', embeddings: { float }, texts: body.texts, meta: { api_version: { version: '2' }, billed_units: { input_tokens: body.texts.length * 2 } }, response_type: 'embeddings_by_type' } };
}

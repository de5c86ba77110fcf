// A fake Hugging Face Text Generation Inference server, written from TGI's OpenAPI reference:
// POST /generate {inputs, parameters} -> {generated_text, details}; POST /generate_stream -> SSE
// `data:{token: {id, text, logprob, special}, generated_text, details}` with the full text and details
// on the last event; and the Messages API, POST /v1/chat/completions (OpenAI's format, model "tgi").
// Asked for a tool ("required", or a named function), the Messages API calls it as TGI does, not quite as
// OpenAI does: `arguments` is a JSON object, not a string; a streamed delta's `tool_calls` is one object,
// not an array; and the turn ends with finish_reason "eos_token" (as every TGI turn does).
// It validates parameters as TGI does (temperature > 0, 0 < top_p < 1, no decoder_input_details on
// streams: 422 {"error", "error_type": "validation"}); with a token, requests must carry it as a Bearer.
import { fakeToolArguments } from './openai-upstream.js';
import { startRecordingServer, words, type RecordedRequest, type RecordingServer, type Reply } from './recording-server.js';

export const TGI_REPLY = ' Hello from the fake TGI server.';

export interface TgiBehaviour {
  status?: number;
  error?: string;
  errorType?: string;
  headers?: Record<string, string>;
  /** Fail with this error event after the first token (streams). */
  failMidStream?: string;
}

export async function startFakeTgi(token?: string): Promise<RecordingServer<TgiBehaviour>> {
  return startRecordingServer<TgiBehaviour>((req, b) => {
    const error = (status: number, message: string, type: string): Reply => ({ status, json: { error: message, error_type: type }, headers: b.headers });
    if (b.status) return error(b.status, b.error ?? `Fake TGI error ${b.status}`, b.errorType ?? 'generation');
    if (token && req.headers.authorization !== `Bearer ${token}`) return error(401, 'Invalid credentials in Authorization header', 'authentication');
    if (req.path === '/v1/chat/completions') return messagesApi(req);
    if (req.path !== '/generate' && req.path !== '/generate_stream') return error(404, 'Not Found', 'not_found');
    const stream = req.path === '/generate_stream';
    const p = req.body.parameters ?? {};
    if (p.temperature !== undefined && !(p.temperature > 0)) return error(422, 'Input validation error: `temperature` must be strictly positive', 'validation');
    if (p.top_p !== undefined && !(p.top_p > 0 && p.top_p < 1)) return error(422, 'Input validation error: `top_p` must be > 0.0 and < 1.0', 'validation');
    if (stream && p.decoder_input_details) return error(422, 'Input validation error: `decoder_input_details` == true is not supported when streaming tokens', 'validation');
    const prompt = words(String(req.body.inputs));
    if (prompt.length > 50) return error(422, `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= 64. Given: ${prompt.length} \`inputs\` tokens and 20 \`max_new_tokens\``, 'validation');
    const all = words(TGI_REPLY);
    const limit = p.max_new_tokens ?? 100;
    const pieces = all.slice(0, limit);
    const finish = pieces.length < all.length ? 'length' : 'eos_token';
    const details = { finish_reason: finish, generated_tokens: pieces.length + (finish === 'eos_token' ? 1 : 0), seed: p.seed ?? null };
    if (!stream) {
      const prefill = p.decoder_input_details ? prompt.map((text, id) => ({ id, text, logprob: id ? -1 : null })) : [];
      return { json: { generated_text: pieces.join(''), details: { ...details, prefill, tokens: pieces.map((text, id) => ({ id, text, logprob: -0.5, special: false })) } } };
    }
    const tokens = pieces.map((text) => ({ text, special: false }));
    if (finish === 'eos_token') tokens.push({ text: '</s>', special: true });
    const events = tokens.map((t, i) => {
      const last = i === tokens.length - 1;
      return { data: { index: i + 1, token: { id: 100 + i, logprob: -0.5, ...t }, generated_text: last ? pieces.join('') : null, details: last ? { ...details, input_length: prompt.length } : null, top_tokens: null } };
    });
    if (b.failMidStream) return { events: [events[0], { data: { error: b.failMidStream, error_type: 'generation' } }] };
    return { events, headers: b.headers };
  });
}

/** TGI's Messages API: OpenAI chat completions rendered with the model's chat template. */
function messagesApi(req: RecordedRequest): Reply {
  const body = req.body;
  const text = TGI_REPLY.trim();
  const head = { id: '', created: 1_700_000_000, model: 'tgi', system_fingerprint: '2.4.0-native' };
  const usage = { prompt_tokens: 12, completion_tokens: words(text).length, total_tokens: 12 + words(text).length };
  const tool = calledTool(body);
  if (tool) return toolCall(body, tool, head, usage);
  if (!body.stream) return { json: { ...head, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' }], usage } };
  const chunk = (delta: object, finish: string | null) => ({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
  const events: { data: unknown }[] = words(text).map((content) => ({ data: chunk({ role: 'assistant', content }, null) }));
  events.push({ data: chunk({ role: 'assistant', content: '' }, 'stop') });
  if (body.stream_options?.include_usage) events.push({ data: { ...head, object: 'chat.completion.chunk', choices: [], usage } });
  return { events: [...events, { data: '[DONE]' }] };
}

interface Tool {
  name: string;
  parameters?: Parameters<typeof fakeToolArguments>[0];
}

/** The function a request makes the model call: tool_choice "required" (the first tool) or a named one. */
function calledTool(body: any): Tool | undefined {
  const tools: Tool[] = (Array.isArray(body.tools) ? body.tools : []).map((t: any) => t.function);
  if (body.tool_choice === 'required') return tools[0];
  const name = body.tool_choice?.function?.name;
  return name ? tools.find((t) => t.name === name) : undefined;
}

function toolCall(body: any, tool: Tool, head: object, usage: object): Reply {
  const args = fakeToolArguments(tool.parameters);
  if (!body.stream) {
    const message = { role: 'assistant', content: null, tool_calls: [{ id: '0', type: 'function', function: { description: null, name: tool.name, arguments: args } }] };
    return { json: { ...head, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: 'eos_token' }], usage } };
  }
  const chunk = (toolCalls: object | undefined, finish: string | null) => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { role: 'assistant', ...(toolCalls ? { tool_calls: toolCalls } : {}) }, logprobs: null, finish_reason: finish }],
    usage: null,
  });
  const fragments = JSON.stringify(args).match(/[\s\S]{1,4}/g) ?? [];
  const events: { data: unknown }[] = [{ data: chunk({ index: 0, id: '0', type: 'function', function: { name: tool.name, arguments: '' } }, null) }];
  for (const part of fragments) events.push({ data: chunk({ index: 0, function: { arguments: part } }, null) });
  events.push({ data: chunk(undefined, 'eos_token') });
  if (body.stream_options?.include_usage) events.push({ data: { ...head, object: 'chat.completion.chunk', choices: [], usage } });
  return { events: [...events, { data: '[DONE]' }] };
}

// A fake OpenAI API on a random loopback port, written from OpenAI's API reference:
// POST /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/moderations (see moderation.ts for
// its predictable scores), as JSON or as Server-Sent Events
// (`data: {chunk}` events, `usage: null` on each chunk and a final usage chunk with no choices when
// stream_options.include_usage is set, then `data: [DONE]`), and errors as
// {"error": {"message", "type", "param", "code"}}.
// Forced tool calls, when started with `forcedToolCalls: true`: a chat request whose `tool_choice` names a
// function ({type: "function", function: {name}}) or is "required" (with tools; the first tool is called)
// is answered as OpenAI does, with an assistant message holding `tool_calls` [{id, type: "function",
// function: {name, arguments}}], `content: null` and finish_reason "tool_calls"; streamed, the first delta
// carries the call's index, id, type, function.name and empty arguments, then argument fragments follow, then
// a chunk with finish_reason "tool_calls". The arguments are predictable: fakeToolArguments(parameters)
// below (e.g. {"city": "fake city"} for a `city` string property). tool_choice absent, "auto" or "none"
// gets the usual text answer.
// It records every request it receives, and each test can script how the next requests are answered:
// an error status, late headers, a slow or gated stream, a failure mid-stream, or no answer at all.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fakeControls } from './controls.js';
import { openaiModeration } from './moderation.js';

export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** How the fake answers one request. Every field is optional; an empty behaviour is a normal answer. */
export interface Behaviour {
  /** Answer with this status and OpenAI's error body instead of a result. */
  status?: number;
  /** Fields of the error body (with `status`) or of the error event (with `failAfter.how: 'error-event'`). */
  error?: Partial<OpenAIErrorObject>;
  /** Extra response headers (e.g. retry-after). */
  headers?: Record<string, string>;
  /** Wait this long before sending the response headers. */
  headerDelayMs?: number;
  /** Never answer; the socket stays open until the caller gives up or the fake closes. */
  hang?: boolean;
  /** Pause before each streamed event after the first. */
  eventDelayMs?: number;
  /** Awaited before streamed event `index` (0 = the first) is sent, or the failure at that index: lets a test interleave with the stream. */
  beforeEvent?: (index: number) => Promise<void> | void;
  /** Fail after this many streamed events: `reset` destroys the socket, `error-event` sends an error event and ends. */
  failAfter?: { events: number; how: 'reset' | 'error-event' };
  /** Answer a stream request with plain JSON, as some OpenAI-compatible servers do. */
  ignoreStream?: boolean;
  /** The reply text of chat and completions answers. */
  text?: string;
  /** Report no usage (as some OpenAI-compatible servers do): none on answers, no usage chunk on streams. */
  noUsage?: boolean;
  /** prompt_tokens_details.cached_tokens of chat and completions answers (of prompt_tokens, capped to it). */
  cachedTokens?: number;
}

export interface FakeOpenAIOptions {
  /** Requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
  apiKey?: string;
  /**
   * Answer a forced `tool_choice` (a named function, or "required" with tools) with a tool call, as OpenAI does.
   * Off by default: tests written before the fake could call tools send a forced tool_choice only to check how the
   * request is translated, and expect the text answer.
   */
  forcedToolCalls?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** Resolves when the exchange is over: `finished` if the whole answer was sent, `closed` if the socket closed first. */
  ended: Promise<'finished' | 'closed'>;
}

export interface FakeOpenAI {
  /** http://127.0.0.1:port/v1, for openai_api_base. */
  baseUrl: string;
  requests: RecordedRequest[];
  last(): RecordedRequest;
  /** Queues behaviours, one per coming request; when the queue is empty requests get a normal answer. */
  next(...behaviours: Behaviour[]): void;
  /** Forgets recorded requests and queued behaviours. */
  reset(): void;
  close(): Promise<void>;
}

export const FAKE_REPLY = 'Hello from the fake OpenAI upstream.';

/** Starts the fake. With `apiKey`, requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const queue: Behaviour[] = [];
  let seq = 0;

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const ended = new Promise<'finished' | 'closed'>((resolve) => res.once('close', () => resolve(res.writableFinished ? 'finished' : 'closed')));
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, ended });
    const behaviour = queue.shift() ?? {};
    if (behaviour.hang) return;
    if (behaviour.headerDelayMs) await sleep(behaviour.headerDelayMs);
    if (res.destroyed) return;
    const answer = route(req.method ?? 'GET', path, req.headers, body, behaviour, opts, ++seq);
    if ('error' in answer) return sendJson(res, answer.status, { error: answer.error }, behaviour.headers);
    if ('json' in answer) return sendJson(res, 200, answer.json, behaviour.headers);
    await sendEvents(res, answer.events, behaviour);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    ...fakeControls(server, requests, queue),
  };
}

type Answer = { status: number; error: OpenAIErrorObject } | { json: unknown } | { events: unknown[] };

function route(method: string, path: string, headers: IncomingHttpHeaders, body: any, b: Behaviour, opts: FakeOpenAIOptions, seq: number): Answer {
  const { apiKey } = opts;
  if (b.status) {
    return { status: b.status, error: { message: `Fake upstream error ${b.status}`, type: 'server_error', param: null, code: null, ...b.error } };
  }
  if (apiKey !== undefined && headers.authorization !== `Bearer ${apiKey}`) {
    // OpenAI masks most of the key in this message; the fake echoes all of it, the worst case for a leak.
    const given = (headers.authorization ?? '').replace(/^Bearer /, '');
    return { status: 401, error: { message: `Incorrect API key provided: ${given}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
  }
  const invalid = (message: string, param: string | null, code: string | null = null): Answer => ({
    status: 400,
    error: { message, type: 'invalid_request_error', param, code },
  });
  if (method !== 'POST' || !['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/moderations'].includes(path)) {
    return { status: 404, error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } };
  }
  if (typeof body !== 'object' || body === null) return invalid('We could not parse the JSON body of your request.', null);
  if (path === '/v1/moderations') {
    // The one API whose model is optional (omni-moderation-latest by default).
    if (body.input === undefined) return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    return { json: openaiModeration(body, seq) };
  }
  if (typeof body.model !== 'string') return invalid("you must provide a model parameter", 'model', 'missing_required_parameter');
  if (path === '/v1/embeddings') {
    if (body.input === undefined) return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    return { json: embeddings(body) };
  }
  const chat = path === '/v1/chat/completions';
  if (chat && !Array.isArray(body.messages)) return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!chat && body.prompt === undefined) return invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (chat && opts.forcedToolCalls) {
    const forced = forcedTool(body);
    if (typeof forced === 'string') return invalid(forced, 'tool_choice');
    if (forced) return toolCall(body, forced, b, seq);
  }
  return completion(chat, body, b, seq);
}

interface FunctionTool {
  name: string;
  parameters?: { properties?: Record<string, { type?: unknown }> };
}

/** The function a chat request forces a call of, undefined when the model may answer with text, or OpenAI's 400 message. */
function forcedTool(body: any): FunctionTool | string | undefined {
  const choice = body.tool_choice;
  const tools: FunctionTool[] = (Array.isArray(body.tools) ? body.tools : []).filter((t: any) => t?.type === 'function').map((t: any) => t.function);
  if (choice === 'required') {
    if (tools.length === 0) return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
    return tools[0];
  }
  if (typeof choice === 'object' && choice !== null && choice.type === 'function') {
    const name = choice.function?.name;
    const tool = tools.find((t) => t.name === name);
    return tool ?? `Invalid value for 'tool_choice': 'tool_choice' refers to '${name}' but that function was not found in 'tools'.`;
  }
  return undefined;
}

/**
 * The arguments the fake calls a function with: each property of its JSON Schema `parameters` gets a value by
 * its type: string "fake <name>", number and integer 1, boolean true, array [], object {}, anything else null.
 */
export function fakeToolArguments(parameters: FunctionTool['parameters']): Record<string, unknown> {
  const byType: Record<string, unknown> = { number: 1, integer: 1, boolean: true, array: [], object: {} };
  return Object.fromEntries(
    Object.entries(parameters?.properties ?? {}).map(([name, schema]) => [name, schema?.type === 'string' ? `fake ${name}` : (byType[String(schema?.type)] ?? null)]),
  );
}

/** A chat completion that calls `tool`, or the events of its stream (argument fragments of up to 4 characters). */
function toolCall(body: any, tool: FunctionTool, b: Behaviour, seq: number): Answer {
  const args = JSON.stringify(fakeToolArguments(tool.parameters));
  const fragments = args.match(/[\s\S]{1,4}/g) ?? [];
  const id = `call_fake${seq}`;
  const promptTokens = countTokens([body.messages.map((m: { content?: unknown }) => String(m.content ?? '')).join(' ')]);
  const completionTokens = fragments.length;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const head = { id: `chatcmpl-fake${seq}`, created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: 'fp_fake' };
  if (!body.stream || b.ignoreStream) {
    const message = { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: tool.name, arguments: args } }], refusal: null, annotations: [] };
    return { json: { ...head, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: 'tool_calls' }], usage } };
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choice: Record<string, unknown>) => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events: unknown[] = [
    chunk({ delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name: tool.name, arguments: '' } }], refusal: null } }),
    ...fragments.map((part) => chunk({ delta: { tool_calls: [{ index: 0, function: { arguments: part } }] } })),
    chunk({ delta: {}, finish_reason: 'tool_calls' }),
  ];
  if (includeUsage) events.push({ ...chunk({}), choices: [], usage });
  return { events };
}

/** A chat completion or a (legacy) completion: one JSON object, or the events of its stream. */
function completion(chat: boolean, body: any, b: Behaviour, seq: number): Answer {
  const prompts: unknown[] = chat ? [body.messages.map((m: { content?: unknown }) => String(m.content ?? '')).join(' ')] : textsOrTokens(body.prompt);
  const gen = generate(b.text ?? FAKE_REPLY, body.max_completion_tokens ?? body.max_tokens);
  const promptTokens = countTokens(prompts);
  const completionTokens = gen.pieces.length * prompts.length;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: Math.min(b.cachedTokens ?? 0, promptTokens), audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const created = Math.floor(Date.now() / 1000);
  const head = { id: `${chat ? 'chatcmpl' : 'cmpl'}-fake${seq}`, created, model: body.model, system_fingerprint: 'fp_fake' };
  const text = gen.pieces.join('');
  if (!body.stream || b.ignoreStream) {
    const choices = chat
      ? [{ index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: gen.finish }]
      : prompts.map((_, index) => ({ index, text, logprobs: null, finish_reason: gen.finish }));
    return { json: { ...head, object: chat ? 'chat.completion' : 'text_completion', choices, ...(b.noUsage ? {} : { usage }) } };
  }
  const includeUsage = body.stream_options?.include_usage === true && !b.noUsage;
  const chunk = (choice: Record<string, unknown>) => ({
    ...head,
    object: chat ? 'chat.completion.chunk' : 'text_completion',
    choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events: unknown[] = chat
    ? [
        chunk({ delta: { role: 'assistant', content: '', refusal: null } }),
        ...gen.pieces.map((content) => chunk({ delta: { content } })),
        chunk({ delta: {}, finish_reason: gen.finish }),
      ]
    : [...gen.pieces.map((piece) => chunk({ text: piece })), chunk({ text: '', finish_reason: gen.finish })];
  if (includeUsage) events.push({ ...chunk({}), choices: [], usage });
  return { events };
}

/** OpenAI's prompt and input forms (a string, strings, token ids, lists of token ids) as a list of items. */
function textsOrTokens(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  return typeof value[0] === 'number' ? [value] : value;
}

function countTokens(items: unknown[]): number {
  return items.reduce<number>((sum, item) => sum + (typeof item === 'string' ? words(item).length : (item as unknown[]).length), 0);
}

function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function generate(text: string, maxTokens: unknown): { pieces: string[]; finish: 'stop' | 'length' } {
  const pieces = words(text);
  if (typeof maxTokens === 'number' && pieces.length > maxTokens) return { pieces: pieces.slice(0, maxTokens), finish: 'length' };
  return { pieces, finish: 'stop' };
}

/**
 * A deterministic vector per input whose values are exact in float32 (multiples of 1/16),
 * so a base64 round trip can be compared for equality.
 */
export function fakeEmbedding(input: unknown, dimensions = 8): number[] {
  const text = JSON.stringify(input);
  let seed = 0;
  for (const ch of text) seed = (seed * 31 + ch.charCodeAt(0)) % 65_521;
  return Array.from({ length: dimensions }, (_, i) => ((seed + i * 7) % 16) / 16 - 0.5);
}

function embeddings(body: any) {
  const inputs = textsOrTokens(body.input);
  const data = inputs.map((input, index) => {
    const vector = fakeEmbedding(input, body.dimensions ?? 8);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = countTokens(inputs);
  return { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': 'req_fake', ...headers });
  res.end(payload);
}

async function sendEvents(res: ServerResponse, events: unknown[], b: Behaviour): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_fake', ...b.headers });
  res.flushHeaders();
  for (let i = 0; i < events.length; i++) {
    if (i > 0 && b.eventDelayMs) await sleep(b.eventDelayMs);
    await b.beforeEvent?.(i);
    if (res.destroyed) return;
    if (b.failAfter && i === b.failAfter.events) {
      if (b.failAfter.how === 'reset') return void res.destroy();
      const error = { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null, ...b.error };
      res.write(`data: ${JSON.stringify({ error })}\n\n`);
      return void res.end();
    }
    res.write(`data: ${JSON.stringify(events[i])}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

/** A gateway endpoint (config object; JSON is YAML) of provider `openai` that points at the fake. */
export function openaiEndpoint(
  fake: FakeOpenAI,
  name: string,
  type: 'llm/v1/chat' | 'llm/v1/completions' | 'llm/v1/embeddings' | 'llm/v1/moderations',
  model: string,
  opts: { config?: Record<string, unknown>; [key: string]: unknown } = {},
): Record<string, unknown> {
  const { config, ...rest } = opts;
  return { name, endpoint_type: type, model: { provider: 'openai', name: model, config: { openai_api_base: fake.baseUrl, ...config } }, ...rest };
}

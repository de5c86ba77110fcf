// A fake Anthropic API on a random loopback port, written from Anthropic's API reference:
// POST /v1/messages as JSON or as Server-Sent Events (`event: <type>` + `data: {...}`: message_start,
// content_block_start / content_block_delta (text_delta, input_json_delta) / content_block_stop,
// ping, message_delta with stop_reason and usage, message_stop), POST /v1/messages/count_tokens, and
// errors as {"type": "error", "error": {"type", "message"}} with Anthropic's statuses (401, 429, 529...).
// It checks x-api-key and anthropic-version, records every request, and lets each test script the
// next answers: an error, tool_use blocks, cache usage, a failure mid-stream.
import { startRecordingServer, words, type RecordingServer, type Reply } from './recording-server.js';

export const FAKE_CLAUDE_REPLY = 'Hello from the fake Anthropic upstream.';

export interface AnthropicBehaviour {
  /** Answer with this status and Anthropic's error body. */
  status?: number;
  /** The error's type and message (defaults follow the status). */
  error?: { type?: string; message?: string };
  /** Extra response headers (e.g. retry-after). */
  headers?: Record<string, string>;
  /** The reply text. */
  text?: string;
  /** Answer with these tool_use blocks (after the text, when `text` is given) and stop_reason tool_use. */
  toolUses?: { name: string; input: Record<string, unknown> }[];
  /** Cache counters of the usage. */
  cacheRead?: number;
  cacheCreation?: number;
  /** In a stream: send an `error` event of this type after this many events, then end. */
  errorEventAfter?: { events: number; type: string; message: string };
}

export type FakeAnthropic = RecordingServer<AnthropicBehaviour>;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Sent on every answer, as Anthropic does. */
const RATE_LIMIT_HEADERS = {
  'anthropic-ratelimit-requests-limit': '50',
  'anthropic-ratelimit-requests-remaining': '49',
  'anthropic-ratelimit-requests-reset': '2026-11-22T00:00:01Z',
  'request-id': 'req_fake',
};

/** Starts the fake; `url` is the base for anthropic_api_base. Requests need `x-api-key: <apiKey>` and the anthropic-version header. */
export function startFakeAnthropic(opts: { apiKey: string; version?: string }): Promise<FakeAnthropic> {
  let seq = 0;
  return startRecordingServer<AnthropicBehaviour>((req, b) => {
    const headers = { ...RATE_LIMIT_HEADERS, ...b.headers };
    const fail = (status: number, message: string, type = ERROR_TYPES[status] ?? 'api_error'): Reply => ({
      status,
      headers,
      json: { type: 'error', error: { type, message }, request_id: 'req_fake' },
    });
    if (b.status) return fail(b.status, b.error?.message ?? `Fake upstream error ${b.status}`, b.error?.type);
    if (req.headers['x-api-key'] !== opts.apiKey) return fail(401, 'invalid x-api-key');
    if (req.headers['anthropic-version'] !== (opts.version ?? '2023-06-01')) return fail(400, 'anthropic-version: header is required');
    if (req.method !== 'POST' || (req.path !== '/v1/messages' && req.path !== '/v1/messages/count_tokens')) return fail(404, `Not found: ${req.method} ${req.path}`);
    const problem = invalid(req.body, req.path === '/v1/messages');
    if (problem) return fail(400, problem);
    if (req.path === '/v1/messages/count_tokens') return { headers, json: { input_tokens: inputTokens(req.body) } };
    const message = reply(req.body, b, ++seq);
    if (!req.body.stream) return { headers, json: message };
    return { headers, events: streamEvents(message, b.errorEventAfter) };
  });
}

/** The checks Anthropic makes that the adapter could get wrong. */
function invalid(body: any, needsMaxTokens: boolean): string | undefined {
  if (typeof body !== 'object' || body === null) return 'The request body is not valid JSON.';
  if (typeof body.model !== 'string') return 'model: Field required';
  if (needsMaxTokens && !Number.isInteger(body.max_tokens)) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
  for (const [i, m] of body.messages.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
  }
  if (body.messages[0].role !== 'user') return 'messages.0.role: the first message must use the "user" role';
  return undefined;
}

function inputTokens(body: any): number {
  return words(JSON.stringify([body.system ?? '', body.messages, body.tools ?? []])).length;
}

function reply(body: any, b: AnthropicBehaviour, seq: number) {
  const text = b.toolUses && b.text === undefined ? '' : (b.text ?? FAKE_CLAUDE_REPLY);
  let pieces = words(text);
  let stop = b.toolUses ? 'tool_use' : 'end_turn';
  if (pieces.length > body.max_tokens) {
    pieces = pieces.slice(0, body.max_tokens);
    stop = 'max_tokens';
  }
  const content: any[] = [];
  if (pieces.length > 0) content.push({ type: 'text', text: pieces.join('') });
  (b.toolUses ?? []).forEach((t, i) => content.push({ type: 'tool_use', id: `toolu_fake${seq}_${i}`, name: t.name, input: t.input }));
  return {
    id: `msg_fake${seq}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: {
      input_tokens: inputTokens(body),
      output_tokens: pieces.length + (b.toolUses?.length ?? 0) * 5,
      cache_creation_input_tokens: b.cacheCreation ?? 0,
      cache_read_input_tokens: b.cacheRead ?? 0,
    },
  };
}

/**
 * The documented event sequence for a message: text in word deltas, tool input in JSON pieces of a few
 * characters. With `errorAfter`, an `error` event replaces the rest of the stream.
 */
function streamEvents(message: ReturnType<typeof reply>, errorAfter?: AnthropicBehaviour['errorEventAfter']): Reply['events'] {
  const { content, usage, stop_reason, ...head } = message;
  const events: unknown[] = [
    { type: 'message_start', message: { ...head, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } },
    { type: 'ping' },
  ];
  content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of words(block.text)) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    } else {
      events.push({ type: 'content_block_start', index, content_block: { ...block, input: {} } });
      const json = JSON.stringify(block.input);
      for (let i = 0; i < json.length; i += 8) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 8) } });
    }
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  events.push({ type: 'message_stop' });
  const sent = errorAfter ? [...events.slice(0, errorAfter.events), { type: 'error', error: { type: errorAfter.type, message: errorAfter.message } }] : events;
  return sent.map((data) => ({ event: (data as { type: string }).type, data }));
}

/** A gateway endpoint (config object) of provider `anthropic` that points at the fake. */
export function anthropicEndpoint(fake: FakeAnthropic, name: string, model: string, config: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, endpoint_type: 'llm/v1/chat', model: { provider: 'anthropic', name: model, config: { anthropic_api_base: fake.url, ...config } } };
}

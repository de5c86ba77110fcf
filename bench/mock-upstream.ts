// Mock OpenAI upstream for the benchmark, run as its own process so its CPU never lands in a
// measured gateway. It must be much faster than any gateway in front of it, so it uses plain
// node:http and answers from byte buffers built once at start-up; per request it only reads the
// small JSON body (to tell stream from non-stream) and writes prepared bytes.
//
// Wire format follows OpenAI's chat completions and embeddings APIs, and Anthropic's Messages API:
//   POST /v1/chat/completions   non-stream -> chat.completion JSON, at once; for model gpt-4o-mini-slow only
//                                             after a whole answer's generation time (see SLOW_MODEL)
//                               stream     -> SSE `data: {chat.completion.chunk}\n\n` ... `data: [DONE]\n\n`,
//                                             plus a usage chunk (choices: []) when stream_options.include_usage
//   POST /v1/embeddings         -> list of embedding objects (1536 floats each)
//   POST /v1/messages           (x-api-key, anthropic-version) non-stream -> Anthropic message JSON
//                               stream -> SSE `event: <type>\ndata: {...}\n\n`: message_start, content_block_start,
//                                         content_block_delta per token, content_block_stop, message_delta, message_stop
//                                         (the same tokens and timing as the OpenAI stream)
//   GET  /health, GET /__stats  -> readiness and request counters (so the bench can check every request
//                                  really reached the upstream, i.e. nothing was cached or dropped)
//
// Usage: tsx bench/mock-upstream.ts --port 0 --ttft-ms 20 --token-delay-ms 2 --tokens 20
// Prints one JSON line {"ready":true,"port":N} on stdout once it listens.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { serveAsBenchChild } from './child-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'ttft-ms': { type: 'string', default: '20' },
    'token-delay-ms': { type: 'string', default: '2' },
    tokens: { type: 'string', default: '20' },
    'api-key': { type: 'string', default: 'bench-key' },
  },
});

const TTFT_MS = Number(values['ttft-ms']);
const TOKEN_DELAY_MS = Number(values['token-delay-ms']);
const TOKENS = Math.max(1, Math.floor(Number(values.tokens)));
const EXPECTED_AUTH = `Bearer ${values['api-key']}`;
const MAX_BODY_BYTES = 1 << 20; // bounded: a bench body is a few hundred bytes

const CREATED = 1_700_000_000;
const MODEL = 'gpt-4o-mini';
/**
 * Non-stream chat for this model is answered only after the time a stream takes to generate its
 * whole answer (TTFT + tokens x token delay), as a real model would. Every other model is answered
 * at once, so the throughput runs measure the gateways and not the mock; the cache scenario also
 * measures hits against this realistic upstream (bench/cache.ts).
 */
const SLOW_MODEL = 'gpt-4o-mini-slow';
const GENERATION_MS = TTFT_MS + TOKENS * TOKEN_DELAY_MS;
const EMBEDDING_MODEL = 'text-embedding-3-small';
const EMBEDDING_DIMS = 1536;

// ---------- precomputed bodies ----------

const WORDS = ['Gate', 'house', ' passes', ' every', ' token', ' through', ' as', ' it', ' arrives', ','];
const streamWords = Array.from({ length: TOKENS }, (_, i) => WORDS[i % WORDS.length] as string);
const completionText =
  'Benchmarks measure the gateway, not the model: this mock answers instantly with a fixed reply ' +
  'of realistic size so that every microsecond of difference comes from the process in between.';

const usage = { prompt_tokens: 24, completion_tokens: 38, total_tokens: 62 };
const ANTHROPIC_MODEL = 'claude-sonnet-4-5';
const ANTHROPIC_VERSION = '2023-06-01';
const streamUsage = { prompt_tokens: 24, completion_tokens: TOKENS, total_tokens: 24 + TOKENS };

const chatBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completionText, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      ...usage,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  }),
);

/** One SSE event carrying a chat.completion.chunk; `usage: null` is present on every chunk when usage was requested, as OpenAI does. */
function chunk(choices: unknown[], withUsageField: boolean, usageValue: unknown = null): Buffer {
  const payload: Record<string, unknown> = {
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: MODEL,
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
    choices,
  };
  if (withUsageField) payload.usage = usageValue;
  return Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
}

interface StreamPlan {
  /** Written after TTFT: the role chunk and the first content token. */
  first: Buffer;
  /** Written one per token delay. */
  rest: Buffer[];
  /** Written right after the last token: finish chunk, optional usage chunk, [DONE]. */
  tail: Buffer;
}

function streamPlan(includeUsage: boolean): StreamPlan {
  const token = (text: string) =>
    chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }], includeUsage);
  const role = chunk(
    [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
    includeUsage,
  );
  const finish = chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], includeUsage);
  const tail = [finish];
  if (includeUsage) tail.push(chunk([], true, streamUsage));
  tail.push(Buffer.from('data: [DONE]\n\n'));
  return {
    first: Buffer.concat([role, token(streamWords[0] as string)]),
    rest: streamWords.slice(1).map(token),
    tail: Buffer.concat(tail),
  };
}

const plans = { plain: streamPlan(false), withUsage: streamPlan(true) };

const anthropicUsage = (output: number) => ({ input_tokens: 24, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
const anthropicHead = { id: 'msg_bench00000000000000000000', type: 'message', role: 'assistant', model: ANTHROPIC_MODEL };

const messageBody = Buffer.from(
  JSON.stringify({ ...anthropicHead, content: [{ type: 'text', text: completionText }], stop_reason: 'end_turn', stop_sequence: null, usage: anthropicUsage(38) }),
);

/** One SSE event of Anthropic's stream: the event name, then its data (which repeats the type, as Anthropic does). */
function anthropicEvent(data: { type: string } & Record<string, unknown>): Buffer {
  return Buffer.from(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Anthropic's event sequence for the same tokens, cut at the same points as the OpenAI plan. */
function anthropicStreamPlan(): StreamPlan {
  const token = (text: string) => anthropicEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  const start = anthropicEvent({ type: 'message_start', message: { ...anthropicHead, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(1) } });
  const blockStart = anthropicEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  return {
    first: Buffer.concat([start, blockStart, token(streamWords[0] as string)]),
    rest: streamWords.slice(1).map(token),
    tail: Buffer.concat([
      anthropicEvent({ type: 'content_block_stop', index: 0 }),
      anthropicEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: TOKENS } }),
      anthropicEvent({ type: 'message_stop' }),
    ]),
  };
}

const anthropicPlan = anthropicStreamPlan();

function embeddingVector(seed: number): string {
  // Deterministic pseudo-random floats printed like OpenAI's (about 10 significant digits).
  const parts: string[] = new Array(EMBEDDING_DIMS);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < EMBEDDING_DIMS; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    parts[i] = ((x / 2147483648 - 0.5) * 0.1).toFixed(10);
  }
  return `[${parts.join(',')}]`;
}

const vectors = Array.from({ length: 8 }, (_, i) => embeddingVector(i));
const embeddingBodies = new Map<number, Buffer>(); // keyed by input count, bounded below

function embeddingBody(count: number): Buffer {
  const cached = embeddingBodies.get(count);
  if (cached) return cached;
  const data = Array.from(
    { length: count },
    (_, i) => `{"object":"embedding","index":${i},"embedding":${vectors[i % vectors.length]}}`,
  ).join(',');
  const body = Buffer.from(
    `{"object":"list","data":[${data}],"model":"${EMBEDDING_MODEL}","usage":{"prompt_tokens":${8 * count},"total_tokens":${8 * count}}}`,
  );
  if (embeddingBodies.size < 64) embeddingBodies.set(count, body);
  return body;
}

const JSON_TYPE = 'application/json';

function errorBody(status: number, message: string, type: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } }));
}

function anthropicErrorBody(type: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ type: 'error', error: { type, message } }));
}

// ---------- request handling ----------

const stats = { chat: 0, slowChat: 0, stream: 0, embeddings: 0, messages: 0, messagesStream: 0, unauthorized: 0, bad: 0, startedAt: Date.now() };

function send(res: http.ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(body.length)]);
  res.end(body);
}

function readBody(req: http.IncomingMessage, done: (body: Buffer | null) => void): void {
  const parts: Buffer[] = [];
  let size = 0;
  req.on('data', (part: Buffer) => {
    size += part.length;
    if (size <= MAX_BODY_BYTES) parts.push(part);
  });
  req.on('end', () => done(size <= MAX_BODY_BYTES ? (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)) : null));
}

function parseJson(body: Buffer | null): Record<string, unknown> | null {
  if (!body) return null;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Writes a plan's first bytes after TTFT_MS, then one token every TOKEN_DELAY_MS, then its tail. */
function streamPlanned(res: http.ServerResponse, plan: StreamPlan): void {
  res.writeHead(200, ['content-type', 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache']);
  res.flushHeaders();
  let next = 0;
  let timer: NodeJS.Timeout | null = null;
  const step = () => {
    timer = null;
    if (next === 0) res.write(plan.first);
    else res.write(plan.rest[next - 1] as Buffer);
    next++;
    if (next > plan.rest.length) {
      res.end(plan.tail);
      return;
    }
    timer = setTimeout(step, TOKEN_DELAY_MS);
  };
  timer = setTimeout(step, TTFT_MS);
  res.on('close', () => {
    if (timer) clearTimeout(timer);
  });
}

/** Anthropic's Messages API: authenticated by x-api-key, and the anthropic-version header is required. */
function handleMessages(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.headers['x-api-key'] !== values['api-key']) {
    req.resume();
    stats.unauthorized++;
    return send(res, 401, anthropicErrorBody('authentication_error', 'invalid x-api-key'));
  }
  if (req.headers['anthropic-version'] !== ANTHROPIC_VERSION) {
    req.resume();
    stats.bad++;
    return send(res, 400, anthropicErrorBody('invalid_request_error', 'anthropic-version: header is required'));
  }
  readBody(req, (raw) => {
    const body = parseJson(raw);
    if (!body || !Array.isArray(body.messages) || !Number.isInteger(body.max_tokens)) {
      stats.bad++;
      return send(res, 400, anthropicErrorBody('invalid_request_error', 'messages and max_tokens are required'));
    }
    if (body.stream === true) {
      stats.messagesStream++;
      return streamPlanned(res, anthropicPlan);
    }
    stats.messages++;
    send(res, 200, messageBody);
  });
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '';
  if (req.method === 'POST' && url === '/v1/messages') return handleMessages(req, res);
  if (req.method === 'GET') {
    if (url === '/health') return send(res, 200, Buffer.from('{"status":"ok"}'));
    if (url === '/__stats') return send(res, 200, Buffer.from(JSON.stringify(stats)));
    if (url === '/v1/models') return send(res, 200, Buffer.from(`{"object":"list","data":[{"id":"${MODEL}","object":"model","created":${CREATED},"owned_by":"bench"}]}`));
  }
  if (req.method !== 'POST' || (url !== '/v1/chat/completions' && url !== '/v1/embeddings')) {
    req.resume();
    stats.bad++;
    return send(res, 404, errorBody(404, `Unknown route ${req.method} ${url}`, 'invalid_request_error'));
  }
  if (req.headers.authorization !== EXPECTED_AUTH) {
    req.resume();
    stats.unauthorized++;
    return send(res, 401, errorBody(401, 'Incorrect API key provided.', 'invalid_request_error'));
  }
  readBody(req, (raw) => {
    const body = parseJson(raw);
    if (!body) {
      stats.bad++;
      return send(res, 400, errorBody(400, 'Body must be a JSON object.', 'invalid_request_error'));
    }
    if (url === '/v1/embeddings') {
      stats.embeddings++;
      const count = Array.isArray(body.input) ? Math.max(1, Math.min(body.input.length, 2048)) : 1;
      return send(res, 200, embeddingBody(count));
    }
    if (body.stream === true) {
      stats.stream++;
      const options = body.stream_options as { include_usage?: unknown } | undefined;
      return streamPlanned(res, options?.include_usage === true ? plans.withUsage : plans.plain);
    }
    if (body.model === SLOW_MODEL) {
      stats.slowChat++;
      const timer = setTimeout(() => send(res, 200, chatBody), GENERATION_MS);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    stats.chat++;
    send(res, 200, chatBody);
  });
}

const server = http.createServer(handle);
// Gateways keep pooled connections open between phases; don't let idle ones be reaped mid-run.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.maxRequestsPerSocket = 0;

serveAsBenchChild(server, Number(values.port), values.host);

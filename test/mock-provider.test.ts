// The built-in mock provider over raw HTTP: deterministic answers, exact usage, max_tokens, embeddings,
// injected errors and timeouts, and streaming delays (lower bounds only: never a tight timing check).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, chatBody, expectError, postJson, sseData } from './helpers/http.js';

let gw: TestGateway;

const mock = (name: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name,
  endpoint_type: 'llm/v1/chat',
  model: { provider: 'mock', name: `mock-${name}`, config },
  ...extra,
});

beforeAll(async () => {
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        mock('chat'),
        mock('fixed', { response: 'One, two and three: counted.' }),
        mock('paced', { ttft: '150ms', token_delay: '30ms', response: 'a b c d e' }),
        mock('failing', { error_rate: 1, error_status: 503, error_message: 'Mock is down' }),
        mock('throttled', { error_rate: 1, error_status: 429 }),
        mock('stuck', { timeout_rate: 1 }, { timeout: '200ms' }),
        { name: 'embed', endpoint_type: 'llm/v1/embeddings', model: { provider: 'mock', name: 'mock-embed', config: { embedding_dimensions: 16 } } },
      ],
    }),
  );
});
afterAll(() => gw?.close());

const chat = async (model: string, extra: Record<string, unknown> = {}, content = 'Hello') => {
  const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody(model, extra, content));
  expect(res.status).toBe(200);
  return res.json();
};

/** The parsed chunks of a chat stream, checked to end with [DONE]. */
async function streamChunks(model: string, extra: Record<string, unknown> = {}, content = 'Hello') {
  const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody(model, { stream: true, ...extra }, content));
  expect(res.status).toBe(200);
  const events = await allSseData(res);
  expect(events.pop()).toBe('[DONE]');
  return events.map((e) => JSON.parse(e));
}

const contentChunks = (chunks: { choices: { delta: { content?: string } }[] }[]) =>
  chunks.map((c) => c.choices[0]?.delta.content).filter((t): t is string => typeof t === 'string' && t !== '');

const embed = async (input: unknown, extra: Record<string, unknown> = {}) => {
  const res = await postJson(`${gw.url}/v1/embeddings`, { model: 'embed', input, ...extra });
  expect(res.status).toBe(200);
  return (await res.json()) as { data: { index: number; embedding: number[] }[]; usage: { prompt_tokens: number } };
};

describe('mock provider answers', () => {
  it('is deterministic: equal requests get equal answers, different ones differ', async () => {
    const [a, b, c] = [await chat('chat', {}, 'Tell me a joke'), await chat('chat', {}, 'Tell me a joke'), await chat('chat', {}, 'Tell me a story')];
    expect(a.choices[0].message.content).toBe('This is a mock response to: Tell me a joke');
    expect(b.choices[0].message.content).toBe(a.choices[0].message.content);
    expect(b.usage).toEqual(a.usage);
    expect(c.choices[0].message.content).not.toBe(a.choices[0].message.content);
    expect((await chat('fixed')).choices[0].message.content).toBe('One, two and three: counted.');
  });

  it('counts usage exactly: completion_tokens is the number of streamed tokens', async () => {
    const chunks = await streamChunks('fixed', { stream_options: { include_usage: true } });
    const tokens = contentChunks(chunks);
    expect(tokens.join('')).toBe('One, two and three: counted.');
    const { usage } = chunks[chunks.length - 1];
    expect(chunks[chunks.length - 1].choices).toEqual([]);
    expect(usage.completion_tokens).toBe(tokens.length);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    // The usage chunk also carries the request's cost (the mock is free); the rest equals the non-stream usage.
    const { cost_usd, ...counted } = usage;
    expect(cost_usd).toBe(0);
    expect((await chat('fixed')).usage).toEqual(counted);
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const res = await chat('fixed', { max_tokens: 3 });
    expect(res.choices[0]).toMatchObject({ message: { content: 'One, two' }, finish_reason: 'length' });
    expect(res.usage.completion_tokens).toBe(3);
    expect((await chat('fixed', { max_completion_tokens: 2 })).choices[0].message.content).toBe('One,');

    const chunks = await streamChunks('fixed', { max_tokens: 3 });
    expect(contentChunks(chunks)).toEqual(['One', ',', ' two']);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('length');
    expect((await chat('fixed', { max_tokens: 100 })).choices[0].finish_reason).toBe('stop');
  });

  it('creates unit-length embeddings of the configured dimension, the same for the same text', async () => {
    const res = await embed(['alpha', 'beta', 'alpha']);
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const { embedding } of res.data) {
      expect(embedding).toHaveLength(16);
      expect(Math.hypot(...embedding)).toBeCloseTo(1, 10);
    }
    expect(res.data[2].embedding).toEqual(res.data[0].embedding);
    expect(res.data[1].embedding).not.toEqual(res.data[0].embedding);
    expect((await embed('alpha')).data[0].embedding).toEqual(res.data[0].embedding);
    expect(res.usage.prompt_tokens).toBe(3);
    expect((await embed('alpha', { dimensions: 5 })).data[0].embedding).toHaveLength(5);
  });

  it('embeds a list of token ids as one input', async () => {
    const res = await embed([9906, 11, 1917]);
    expect(res.data).toHaveLength(1);
    expect(res.usage.prompt_tokens).toBe(3);
    expect((await embed([[9906, 11, 1917], [42]])).data[0].embedding).toEqual(res.data[0].embedding);
  });

  it('refuses dimensions beyond its limit instead of building a huge vector', async () => {
    const res = await postJson(`${gw.url}/v1/embeddings`, { model: 'embed', input: 'x', dimensions: 50_000_000 });
    expect(await expectError(res, 400, 'embed')).toMatchObject({ param: 'dimensions', upstream_status: 400 });
  });

  it('returns base64 little-endian float32 vectors when asked', async () => {
    const [floats, base64] = [await embed('alpha'), await embed('alpha', { encoding_format: 'base64' })];
    const bytes = Buffer.from(base64.data[0].embedding as unknown as string, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toEqual(Array.from(new Float32Array(floats.data[0].embedding)));
  });
});

describe('mock provider failure injection', () => {
  it('reports an injected 503 as 502 with upstream_status 503', async () => {
    for (const stream of [false, true]) {
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('failing', { stream }));
      const error = await expectError(res, 502, 'failing');
      expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_error', upstream_status: 503 });
      expect(error.message).toContain('Mock is down');
    }
  });

  it('passes an injected 429 on as 429', async () => {
    const error = await expectError(await postJson(`${gw.url}/v1/chat/completions`, chatBody('throttled')), 429, 'throttled');
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_rate_limited', upstream_status: 429 });
  });

  it('turns an injected hang into 504 after the endpoint timeout', async () => {
    for (const stream of [false, true]) {
      const error = await expectError(await postJson(`${gw.url}/v1/chat/completions`, chatBody('stuck', { stream })), 504, 'stuck');
      expect(error).toMatchObject({ type: 'timeout_error', code: 'upstream_timeout' });
    }
  });
});

describe('mock provider pacing', () => {
  // 'a b c d e' is 5 tokens: the stream waits ttft (150ms), then 30ms between tokens. Only lower bounds
  // (with 5ms for timer rounding) and ordering are checked, so a slow machine cannot fail them.
  it('streams the first token after ttft and the rest token_delay apart', async () => {
    const started = performance.now();
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('paced', { stream: true }));
    const arrivals: { token: string; at: number }[] = [];
    for await (const event of sseData(res)) {
      const token = event === '[DONE]' ? undefined : JSON.parse(event).choices[0]?.delta.content;
      if (token) arrivals.push({ token, at: performance.now() - started });
    }
    expect(arrivals.map((a) => a.token).join('')).toBe('a b c d e');
    expect(arrivals[0].at).toBeGreaterThanOrEqual(150 - 5);
    expect(arrivals[4].at - arrivals[0].at).toBeGreaterThanOrEqual(4 * 30 - 5);
  });

  it('makes a non-streamed answer wait for the whole generation', async () => {
    const started = performance.now();
    const res = await chat('paced');
    expect(res.choices[0].message.content).toBe('a b c d e');
    expect(performance.now() - started).toBeGreaterThanOrEqual(150 + 5 * 30 - 5);
  });
});

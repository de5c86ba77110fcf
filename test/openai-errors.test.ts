// Error answers of the OpenAI surface over raw HTTP: every one is {error: {message, type, code, param}}
// (+ upstream_status when it came from the upstream) and carries the gateway's headers.
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, chatBody, expectError, postJson } from './helpers/http.js';

const PROVIDER_KEY = 'fake-provider-key-0123456789';
const WRONG_KEY = 'stale-provider-key-9876543210';

let fake: FakeOpenAI;
let gw: TestGateway;

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: PROVIDER_KEY });
  const config = { openai_api_key: PROVIDER_KEY };
  gw = await startGateway(
    JSON.stringify({
      server: { body_limit: '2kb' },
      endpoints: [
        openaiEndpoint(fake, 'chat', 'llm/v1/chat', 'gpt-4o-mini', { config }),
        openaiEndpoint(fake, 'instruct', 'llm/v1/completions', 'gpt-3.5-turbo-instruct', { config }),
        openaiEndpoint(fake, 'embed', 'llm/v1/embeddings', 'text-embedding-3-small', { config }),
        openaiEndpoint(fake, 'slow', 'llm/v1/chat', 'gpt-4o-mini', { config, timeout: '200ms' }),
        openaiEndpoint(fake, 'stale-key', 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: WRONG_KEY } }),
        { name: 'down', endpoint_type: 'llm/v1/chat', model: { provider: 'openai', name: 'm', config: { openai_api_base: `http://127.0.0.1:${await closedPort()}/v1` } } },
        { name: 'limited', endpoint_type: 'llm/v1/chat', model: { provider: 'mock', name: 'mock-1' }, limit: { renewal_period: 'minute', calls: 2 } },
      ],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const chatUrl = () => `${gw.url}/v1/chat/completions`;

describe('request validation', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const error = await expectError(await postJson(chatUrl(), '{"model": "chat", "messages": ['), 400);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('answers an empty body and a non-object body with 400', async () => {
    expect(await expectError(await postJson(chatUrl(), ''), 400)).toMatchObject({ code: 'invalid_body' });
    expect(await expectError(await postJson(chatUrl(), '[1, 2]'), 400)).toMatchObject({ code: 'invalid_body' });
  });

  it('names the missing field in param', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/chat/completions', { model: 'chat' }, 'messages'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
      ['/v1/completions', { model: 'instruct' }, 'prompt'],
      ['/v1/embeddings', { model: 'embed' }, 'input'],
      ['/v1/chat/completions', { model: 'chat', messages: [{ role: 'user' }] }, 'messages[0].content'],
    ];
    for (const [path, body, param] of cases) {
      const error = await expectError(await postJson(gw.url + path, body), 400);
      expect(error, path + ' ' + param).toMatchObject({ type: 'invalid_request_error', code: 'missing_required_parameter', param });
      expect(error.message).toContain(`'${param}'`);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('answers fields of the wrong type or range with 400 naming the field', async () => {
    const chat = chatBody('chat');
    const cases: [string, unknown, string][] = [
      ['/v1/chat/completions', { model: 42, messages: chat.messages }, 'model'],
      ['/v1/chat/completions', { ...chat, messages: 'Hello' }, 'messages'],
      ['/v1/chat/completions', { ...chat, messages: [] }, 'messages'],
      ['/v1/chat/completions', { ...chat, messages: ['Hello'] }, 'messages[0]'],
      ['/v1/chat/completions', { ...chat, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
      ['/v1/chat/completions', { ...chat, messages: [{ role: 'user', content: 7 }] }, 'messages[0].content'],
      ['/v1/chat/completions', { ...chat, temperature: 'hot' }, 'temperature'],
      ['/v1/chat/completions', { ...chat, temperature: 2.5 }, 'temperature'],
      ['/v1/chat/completions', { ...chat, top_p: -1 }, 'top_p'],
      ['/v1/chat/completions', { ...chat, max_tokens: 1.5 }, 'max_tokens'],
      ['/v1/chat/completions', { ...chat, n: 0 }, 'n'],
      ['/v1/chat/completions', { ...chat, stream: 'yes' }, 'stream'],
      ['/v1/chat/completions', { ...chat, stop: [1] }, 'stop'],
      ['/v1/chat/completions', { ...chat, tools: {} }, 'tools'],
      ['/v1/chat/completions', { ...chat, stream_options: 'usage' }, 'stream_options'],
      ['/v1/completions', { model: 'instruct', prompt: 5 }, 'prompt'],
      ['/v1/completions', { model: 'instruct', prompt: [] }, 'prompt'],
      ['/v1/completions', { model: 'instruct', prompt: ['text', 42] }, 'prompt'],
      ['/v1/embeddings', { model: 'embed', input: { text: 'x' } }, 'input'],
      ['/v1/embeddings', { model: 'embed', input: 'x', encoding_format: 'hex' }, 'encoding_format'],
      ['/v1/embeddings', { model: 'embed', input: 'x', dimensions: 0 }, 'dimensions'],
    ];
    for (const [path, body, param] of cases) {
      const error = await expectError(await postJson(gw.url + path, body), 400);
      expect(error, `${path} ${JSON.stringify(body)}`).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('answers an unknown model with 404', async () => {
    const error = await expectError(await postJson(chatUrl(), chatBody('gpt-nope')), 404);
    expect(error).toEqual({ message: "The endpoint or route 'gpt-nope' does not exist", type: 'not_found_error', code: 'model_not_found', param: 'model' });
  });

  it("answers an endpoint of another type with 400 and MLflow's text", async () => {
    const wrong = async (path: string, body: unknown) => expectError(await postJson(gw.url + path, body), 400);
    expect(await wrong('/v1/chat/completions', chatBody('embed'))).toMatchObject({ message: "Endpoint 'embed' is not a chat endpoint.", code: 'wrong_endpoint_type', param: 'model' });
    expect((await wrong('/v1/completions', { model: 'chat', prompt: 'x' })).message).toBe("Endpoint 'chat' is not a completions endpoint.");
    expect((await wrong('/v1/embeddings', { model: 'chat', input: 'x' })).message).toBe("Endpoint 'chat' is not an embeddings endpoint.");
  });

  it('answers a body over server.body_limit with 413', async () => {
    const body = chatBody('chat', {}, 'x'.repeat(4096));
    const error = await expectError(await postJson(chatUrl(), body), 413);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large', param: null });
    expect(error.message).toContain('2048 bytes');
    expect(fake.requests).toHaveLength(0);
  });

  it('answers an unknown path with 404', async () => {
    const error = await expectError(await fetch(`${gw.url}/v1/nothing-here`), 404);
    expect(error).toMatchObject({ type: 'not_found_error', code: 'unknown_path' });
  });
});

describe('upstream failures', () => {
  it('reports an upstream 500 as 502 with the upstream status and message', async () => {
    fake.next({ status: 500, error: { message: 'The server had an error while processing your request.' } });
    const error = await expectError(await postJson(chatUrl(), chatBody('chat')), 502, 'chat');
    expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_error', upstream_status: 500 });
    expect(error.message).toContain('The server had an error while processing your request.');
  });

  it('passes an upstream 429 on with its Retry-After', async () => {
    fake.next({ status: 429, headers: { 'retry-after': '7' }, error: { message: 'Rate limit reached for gpt-4o-mini', type: 'requests', code: 'rate_limit_exceeded' } });
    const res = await postJson(chatUrl(), chatBody('chat'));
    expect(res.headers.get('retry-after')).toBe('7');
    const error = await expectError(res, 429, 'chat');
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_rate_limited', upstream_status: 429 });
    expect(error.message).toContain('Rate limit reached for gpt-4o-mini');
  });

  it("passes an upstream 400 on with the upstream's param", async () => {
    fake.next({ status: 400, error: { message: "Unsupported parameter: 'reasoning_effort'", type: 'invalid_request_error', param: 'reasoning_effort', code: 'unsupported_parameter' } });
    const error = await expectError(await postJson(chatUrl(), chatBody('chat', { reasoning_effort: 'high' })), 400, 'chat');
    expect(error).toMatchObject({ type: 'invalid_request_error', param: 'reasoning_effort', upstream_status: 400 });
    expect(error.message).toContain("Unsupported parameter: 'reasoning_effort'");
  });

  it('reports an upstream 401 as 502 without the provider key anywhere', async () => {
    const res = await postJson(chatUrl(), chatBody('stale-key'));
    const requestId = res.headers.get('x-gatehouse-request-id');
    const text = await res.clone().text();
    const error = await expectError(res, 502, 'stale-key');
    expect(error).toMatchObject({ type: 'upstream_error', upstream_status: 401 });
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    // The fake did receive the key (and echoed it back); the gateway must not pass it on.
    expect(fake.last().headers.authorization).toBe(`Bearer ${WRONG_KEY}`);
    expect(text).not.toContain(WRONG_KEY);
    await accessLog(gw, requestId);
    expect(JSON.stringify(gw.logs)).not.toContain(WRONG_KEY);
    expect(JSON.stringify(gw.logs)).not.toContain(PROVIDER_KEY);
  });

  it('answers 504 when the upstream sends no headers within the endpoint timeout', async () => {
    fake.next({ headerDelayMs: 2_000 });
    const error = await expectError(await postJson(chatUrl(), chatBody('slow')), 504, 'slow');
    expect(error).toMatchObject({ type: 'timeout_error', code: 'upstream_timeout', param: null });
    fake.next({ hang: true });
    expect(await expectError(await postJson(chatUrl(), chatBody('slow', { stream: true })), 504, 'slow')).toMatchObject({ code: 'upstream_timeout' });
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const error = await expectError(await postJson(chatUrl(), chatBody('down')), 502, 'down');
    expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_unreachable' });
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('endpoint limit', () => {
  it('answers 429 with Retry-After once the calls of the window are used', async () => {
    for (let i = 0; i < 2; i++) expect((await postJson(chatUrl(), chatBody('limited'))).status).toBe(200);
    const res = await postJson(chatUrl(), chatBody('limited'));
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const error = await expectError(res, 429, 'limited');
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
  });
});

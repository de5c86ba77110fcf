// The MLflow REST surface over real HTTP: listings with MLflow's paging, getters and their 404 texts,
// the limits API (501), invocations of every endpoint type and of traffic routes, MLflow's stream
// format, the error body with both OpenAI's `error` and MLflow's `detail`, and the 429 of a limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePageToken } from '../src/surfaces/mlflow/paging.js';
import { MOCK_CONFIG, startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, postJson } from './helpers/http.js';

// MLflow's own config form: the mock endpoints, more with a limit (plural period, as MLflow accepts)
// and a failing upstream, and a traffic route.
const CONFIG = `${MOCK_CONFIG}
  - name: chat-next
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat-next }
  - name: limited
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    limit: { renewal_period: minutes, calls: 2 }
  - name: broken
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat, config: { error_rate: 1, error_status: 400, error_message: bad things } }
  - name: llama3:8b
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: llama3 }
routes:
  - name: assistant
    task_type: llm/v1/chat
    routing_strategy: TRAFFIC_SPLIT
    destinations:
      - { name: chat, traffic_percentage: 90 }
      - { name: chat-next, traffic_percentage: 10 }
`;
const ENDPOINT_NAMES = ['chat', 'completions', 'embeddings', 'chat-next', 'limited', 'broken', 'llama3:8b'];
const HELLO = { messages: [{ role: 'user', content: 'Hello' }] };

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway(CONFIG);
});
afterAll(() => gw.close());

const get = (path: string) => fetch(`${gw.url}${path}`);
const post = (path: string, body: unknown) => postJson(`${gw.url}${path}`, body);

/** Checks the error body of MLflow paths: OpenAI's error object, plus `detail` with the same message. */
async function expectMlflowError(res: Response, status: number, message: string | RegExp) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(body.detail).toEqual(body.error.message);
  expect(body.error.message).toMatch(message);
  expect(Object.keys(body.error)).toEqual(expect.arrayContaining(['message', 'type', 'code', 'param']));
  return body;
}

describe('page tokens', () => {
  it('are what MLflow writes: base64 of json.dumps({"index": N})', () => {
    expect(encodePageToken(11)).toBe('eyJpbmRleCI6IDExfQ==');
    expect(encodePageToken(3000)).toBe('eyJpbmRleCI6IDMwMDB9');
  });
});

describe('GET /api/2.0/endpoints/', () => {
  it('lists every endpoint in config order, without traffic routes, in one page by default', async () => {
    const res = await get('/api/2.0/endpoints/');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.endpoints.map((e: { name: string }) => e.name)).toEqual(ENDPOINT_NAMES);
    expect(body.next_page_token).toBeNull();
    expect(body.endpoints[0]).toEqual({
      name: 'chat',
      endpoint_type: 'llm/v1/chat',
      model: { name: 'mock-chat', provider: 'mock' },
      endpoint_url: '/gateway/chat/invocations',
      limit: null,
    });
    expect(body.endpoints[ENDPOINT_NAMES.indexOf('limited')].limit).toEqual({ calls: 2, key: 'client_ip', renewal_period: 'minute' });
  });

  it('also answers without the trailing slash', async () => {
    const body = await (await get('/api/2.0/endpoints')).json();
    expect(body.endpoints).toHaveLength(ENDPOINT_NAMES.length);
  });

  it('pages with max_results; the last page has a null next_page_token', async () => {
    const first = await (await get('/api/2.0/endpoints/?max_results=3')).json();
    expect(first.endpoints.map((e: { name: string }) => e.name)).toEqual(ENDPOINT_NAMES.slice(0, 3));
    expect(first.next_page_token).toBe(encodePageToken(3));
    const second = await (await get(`/api/2.0/endpoints/?max_results=3&page_token=${encodeURIComponent(first.next_page_token)}`)).json();
    expect(second.endpoints.map((e: { name: string }) => e.name)).toEqual(ENDPOINT_NAMES.slice(3, 6));
    const last = await (await get(`/api/2.0/endpoints/?max_results=3&page_token=${encodeURIComponent(second.next_page_token)}`)).json();
    expect(last.endpoints.map((e: { name: string }) => e.name)).toEqual(['llama3:8b']);
    expect(last).toHaveProperty('next_page_token', null);
  });

  it("collects everything with the Python client's loop (page_token sent only when not None)", async () => {
    const names: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const query: string = token === null ? '' : `&page_token=${encodeURIComponent(token)}`;
      const body = await (await get(`/api/2.0/endpoints/?max_results=2${query}`)).json();
      names.push(...body.endpoints.map((e: { name: string }) => e.name));
      token = body.next_page_token ?? null;
      pages++;
    } while (token !== null);
    expect(names).toEqual(ENDPOINT_NAMES);
    expect(pages).toBe(4);
  });

  it('gives an empty last page for a token past the end', async () => {
    const body = await (await get(`/api/2.0/endpoints/?page_token=${encodePageToken(100)}`)).json();
    expect(body).toEqual({ endpoints: [], next_page_token: null });
  });

  it('answers a bad page token with 400 and MLflow’s message (MLflow itself answers 500)', async () => {
    const token = (json: string) => encodeURIComponent(Buffer.from(json).toString('base64'));
    const negative = await expectMlflowError(await get(`/api/2.0/endpoints/?page_token=${token('{"index": -3}')}`), 400, 'The index cannot be negative.');
    expect(negative.error).toMatchObject({ param: 'page_token', code: 'invalid_page_token', type: 'invalid_request_error' });
    await expectMlflowError(
      await get(`/api/2.0/endpoints/?page_token=${token('{"index": "two"}')}`),
      400,
      /^Invalid SearchRoutes token: .*The index is not defined as a value that can be represented as a positive integer\.$/,
    );
    await expectMlflowError(await get('/api/2.0/endpoints/?page_token=not-a-token'), 400, /^Invalid SearchRoutes token: not-a-token\./);
  });

  it('refuses max_results outside 1..3000', async () => {
    for (const value of ['0', '3001', 'ten', '1.5']) {
      const body = await expectMlflowError(await get(`/api/2.0/endpoints/?max_results=${value}`), 400, "'max_results' must be an integer from 1 to 3000");
      expect(body.error.param).toBe('max_results');
    }
  });
});

describe('GET /api/2.0/endpoints/{name}', () => {
  it('answers one endpoint', async () => {
    const res = await get('/api/2.0/endpoints/completions');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: 'completions',
      endpoint_type: 'llm/v1/completions',
      model: { name: 'mock-complete', provider: 'mock' },
      endpoint_url: '/gateway/completions/invocations',
      limit: null,
    });
    expect((await (await get('/api/2.0/endpoints/llama3:8b')).json()).name).toBe('llama3:8b');
  });

  it("answers 404 with MLflow's text for an unknown name and for a traffic route", async () => {
    for (const name of ['nope', 'assistant']) {
      const body = await expectMlflowError(
        await get(`/api/2.0/endpoints/${name}`),
        404,
        `The endpoint '${name}' is not present or active on the server. Please verify the endpoint name.`,
      );
      expect(body.error.type).toBe('not_found_error');
    }
  });
});

describe('legacy /api/2.0/gateway/routes/', () => {
  it('lists endpoints with the route field names', async () => {
    const body = await (await get('/api/2.0/gateway/routes/?max_results=1')).json();
    expect(body.routes).toEqual([
      { name: 'chat', route_type: 'llm/v1/chat', route_url: '/gateway/chat/invocations', model: { name: 'mock-chat', provider: 'mock' }, limit: null },
    ]);
    expect(body.next_page_token).toBe(encodePageToken(1));
    const all = await (await get('/api/2.0/gateway/routes/')).json();
    expect(all.routes.map((r: { name: string }) => r.name)).toEqual(ENDPOINT_NAMES);
  });

  it("gets one route, or 404 with MLflow's route text", async () => {
    expect((await (await get('/api/2.0/gateway/routes/embeddings')).json()).route_type).toBe('llm/v1/embeddings');
    await expectMlflowError(
      await get('/api/2.0/gateway/routes/assistant'),
      404,
      "The route 'assistant' is not present or active on the server. Please verify the route name.",
    );
  });
});

describe("MLflow 3's getters", () => {
  it('read an endpoint and a traffic route', async () => {
    expect((await (await get('/api/3.0/gateway/endpoint/chat')).json()).endpoint_url).toBe('/gateway/chat/invocations');
    expect(await (await get('/api/3.0/gateway/route/assistant')).json()).toEqual({
      name: 'assistant',
      task_type: 'llm/v1/chat',
      destinations: [
        { name: 'chat', traffic_percentage: 90 },
        { name: 'chat-next', traffic_percentage: 10 },
      ],
      routing_strategy: 'TRAFFIC_SPLIT',
    });
    await expectMlflowError(await get('/api/3.0/gateway/route/chat'), 404, "The route 'chat' is not present or active on the server. Please verify the route name.");
  });
});

describe('the limits API', () => {
  it("answers 501 with MLflow's texts", async () => {
    for (const base of ['/api/2.0/endpoints/limits/', '/api/2.0/gateway/limits/']) {
      await expectMlflowError(await get(`${base}chat`), 501, 'The get_limits API is not available yet.');
      await expectMlflowError(await post(base, { route: 'chat', limits: [{ calls: 1, renewal_period: 'minute' }] }), 501, 'The set_limits API is not available yet.');
    }
  });
});

describe('POST /endpoints/{name}/invocations and /gateway/{name}/invocations', () => {
  it('serve a chat endpoint on both paths', async () => {
    for (const base of ['/endpoints', '/gateway']) {
      const res = await post(`${base}/chat/invocations`, HELLO);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gatehouse-endpoint')).toBe('chat');
      const body = await res.json();
      expect(body).toMatchObject({ object: 'chat.completion', model: 'mock-chat' });
      expect(body.choices[0].message).toMatchObject({ role: 'assistant', content: 'This is a mock response to: Hello' });
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    }
  });

  it('serve completions with a prompt and embeddings with an input', async () => {
    const completion = await (await post('/endpoints/completions/invocations', { prompt: 'Hi', max_tokens: 50 })).json();
    expect(completion).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: 'This is a mock response to: Hi' }] });
    const embeddings = await (await post('/gateway/embeddings/invocations', { input: ['one', 'two'] })).json();
    expect(embeddings.object).toBe('list');
    expect(embeddings.data.map((d: { index: number; embedding: number[] }) => [d.index, d.embedding.length])).toEqual([
      [0, 8],
      [1, 8],
    ]);
  });

  it('serve a traffic route by name', async () => {
    const res = await post('/endpoints/assistant/invocations', HELLO);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-route')).toBe('assistant');
    expect(['chat', 'chat-next']).toContain(res.headers.get('x-gatehouse-endpoint'));
    expect((await res.json()).choices[0].message.content).toBe('This is a mock response to: Hello');
  });

  it('stream chat in MLflow’s format: data events only, no [DONE]', async () => {
    const res = await post('/gateway/chat/invocations', { ...HELLO, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = await allSseData(res);
    expect(data).not.toContain('[DONE]');
    const chunks = data.map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('This is a mock response to: Hello');
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });

  it('stream completions as text_completion_chunk objects, no [DONE]', async () => {
    const data = await allSseData(await post('/endpoints/completions/invocations', { prompt: 'Hi', stream: true }));
    expect(data).not.toContain('[DONE]');
    const chunks = data.map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'text_completion_chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe('This is a mock response to: Hi');
  });

  it("refuse a `model` field with MLflow's text (400, not MLflow's 422)", async () => {
    const body = await expectMlflowError(
      await post('/endpoints/chat/invocations', { ...HELLO, model: 'gpt-4o' }),
      400,
      "The parameter 'model' is not permitted to be passed. The route being queried already defines a model instance.",
    );
    expect(body.error).toMatchObject({ param: 'model', code: 'model_not_permitted' });
    expect((await post('/endpoints/chat/invocations', { ...HELLO, model: null })).status).toBe(200);
  });

  it('check the payload as the OpenAI surface does, by the target’s type', async () => {
    const missing = await expectMlflowError(await post('/endpoints/chat/invocations', { text: 'this is invalid' }), 400, "Missing required parameter: 'messages'");
    expect(missing.error.param).toBe('messages');
    await expectMlflowError(await post('/endpoints/completions/invocations', HELLO), 400, "Missing required parameter: 'prompt'");
    await expectMlflowError(await post('/endpoints/embeddings/invocations', { text: 'x' }), 400, "Missing required parameter: 'input'");
    await expectMlflowError(await post('/endpoints/chat/invocations', { ...HELLO, temperature: 3 }), 400, "'temperature' must be a number from 0 to 2");
    await expectMlflowError(await post('/endpoints/chat/invocations', '[1, 2]'), 400, 'The request body must be a JSON object');
  });

  it('answer a body that is not JSON with the same two-part error', async () => {
    const body = await expectMlflowError(await post('/gateway/chat/invocations', '{"messages": '), 400, /^The request body is not valid JSON/);
    expect(body.error.code).toBe('invalid_json');
  });

  it('answer an unknown name with 404; another method on a known name with 405', async () => {
    await expectMlflowError(await post('/endpoints/nope/invocations', HELLO), 404, "The endpoint 'nope' is not present or active on the server. Please verify the endpoint name.");
    const wrongMethod = await get('/gateway/chat/invocations');
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    await expectMlflowError(wrongMethod, 405, 'GET is not allowed on /gateway/chat/invocations; send a POST with a JSON body');
    expect((await get('/gateway/nope/invocations')).status).toBe(404);
  });

  it('pass an upstream error on with both error and detail', async () => {
    const body = await expectMlflowError(await post('/endpoints/broken/invocations', HELLO), 400, 'Upstream mock returned 400: bad things');
    expect(body.error.upstream_status).toBe(400);
    await expectMlflowError(await post('/endpoints/broken/invocations', { ...HELLO, stream: true }), 400, 'Upstream mock returned 400: bad things');
  });
});

describe('the per-endpoint limit', () => {
  it("answers 429 with MLflow's text and Retry-After, counting both invocation paths together", async () => {
    expect((await post('/endpoints/limited/invocations', HELLO)).status).toBe(200);
    expect((await post('/gateway/limited/invocations', HELLO)).status).toBe(200);
    for (const path of ['/endpoints/limited/invocations', '/gateway/limited/invocations']) {
      const res = await post(path, HELLO);
      const body = await expectMlflowError(res, 429, 'Rate limit exceeded: 2 per 1 minute');
      expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Other endpoints keep their own allowance.
    expect((await post('/endpoints/chat/invocations', HELLO)).status).toBe(200);
  });
});

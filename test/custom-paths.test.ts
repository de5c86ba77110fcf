// Public paths declared in config (`path:` or MLflow's `endpoint:`) over real HTTP: each serves its
// endpoint or route with the MLflow invocation payload, refuses other methods with 405, and follows
// hot reloads. Also: MLflow's legacy `routes:` config form (route_type, endpoint, openai_config).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, expectError, postJson } from './helpers/http.js';

const HELLO = { messages: [{ role: 'user', content: 'Hello' }] };

const config = (chatPath: string) => `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    path: ${chatPath}
  - name: completions
    endpoint_type: llm/v1/completions
    model: { provider: mock, name: mock-complete }
    endpoint: /llm/complete
  - name: embeddings
    endpoint_type: llm/v1/embeddings
    model: { provider: mock, name: mock-embed, config: { embedding_dimensions: 4 } }
    path: /api/v1/embed
routes:
  - name: assistant
    task_type: llm/v1/chat
    destinations: [{ name: chat, traffic_percentage: 100 }]
    path: /api/v1/assistant
`;

describe('config-declared paths', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(config('/api/v1/chat'));
  });
  afterAll(() => gw.close());
  const post = (path: string, body: unknown) => postJson(`${gw.url}${path}`, body);

  it('serve each endpoint with its MLflow invocation payload', async () => {
    const chat = await post('/api/v1/chat', HELLO);
    expect(chat.status).toBe(200);
    expect(chat.headers.get('x-gatehouse-endpoint')).toBe('chat');
    expect((await chat.json()).choices[0].message.content).toBe('This is a mock response to: Hello');

    const completion = await (await post('/llm/complete', { prompt: 'Hi' })).json();
    expect(completion).toMatchObject({ object: 'text_completion', choices: [{ text: 'This is a mock response to: Hi' }] });

    const embeddings = await (await post('/api/v1/embed', { input: 'text' })).json();
    expect(embeddings.data[0].embedding).toHaveLength(4);
  });

  it('serve a traffic route', async () => {
    const res = await post('/api/v1/assistant?trace=1', HELLO);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-route')).toBe('assistant');
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('chat');
  });

  it('stream in MLflow’s format, without [DONE]', async () => {
    const data = await allSseData(await post('/api/v1/chat', { ...HELLO, stream: true }));
    expect(data).not.toContain('[DONE]');
    expect(data.map((d) => JSON.parse(d).choices[0].delta.content ?? '').join('')).toBe('This is a mock response to: Hello');
  });

  it('answer errors in the OpenAI shape', async () => {
    const model = await expectError(await post('/api/v1/chat', { ...HELLO, model: 'gpt-4o' }), 400);
    expect(model).toMatchObject({ param: 'model', code: 'model_not_permitted' });
    expect(model.message).toMatch(/^The parameter 'model' is not permitted to be passed/);
    expect((await expectError(await post('/llm/complete', HELLO), 400)).param).toBe('prompt');
    expect((await expectError(await post('/api/v1/chat', '{oops'), 400)).code).toBe('invalid_json');
  });

  it('refuse other methods with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${gw.url}/api/v1/chat`, { method });
      expect(res.headers.get('allow')).toBe('POST');
      const error = await expectError(res, 405);
      expect(error).toEqual({
        message: `${method} is not allowed on /api/v1/chat; send a POST with a JSON body`,
        type: 'invalid_request_error',
        code: 'method_not_allowed',
        param: null,
      });
    }
  });

  it('leave other paths a plain 404', async () => {
    const error = await expectError(await post('/api/v1/nope', HELLO), 404);
    expect(error).toMatchObject({ message: 'Unknown path: POST /api/v1/nope', code: 'unknown_path' });
    expect((await post('/api/v1/chat/', HELLO)).status).toBe(404);
  });

  it('follow a reload that moves a path', async () => {
    gw.writeConfig(config('/api/v2/chat'));
    expect(gw.gateway.reloader.reload('test')).toEqual({ ok: true, issues: [] });
    expect((await post('/api/v1/chat', HELLO)).status).toBe(404);
    const moved = await post('/api/v2/chat', HELLO);
    expect(moved.status).toBe(200);
    expect(moved.headers.get('x-gatehouse-endpoint')).toBe('chat');
    // Paths the reload left alone keep working.
    expect((await post('/llm/complete', { prompt: 'Hi' })).status).toBe(200);
  });
});

describe("MLflow's legacy config form", () => {
  const KEY = 'sk-legacy-test-key';
  let fake: FakeOpenAI;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    // MLflow <= 2.8 and its articles: `routes:` with route_type, a public `endpoint:` and `<provider>_config`.
    gw = await startGateway(
      `
routes:
  - name: completions
    route_type: llm/v1/completions
    endpoint: /public/complete
    model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: $LEGACY_OPENAI_KEY
        openai_api_base: ${fake.baseUrl}
`,
      { env: { ...process.env, LEGACY_OPENAI_KEY: KEY } },
    );
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('loads, lists the route and answers on its public path and MLflow paths', async () => {
    const listed = await (await fetch(`${gw.url}/api/2.0/gateway/routes/`)).json();
    expect(listed.routes).toEqual([
      {
        name: 'completions',
        route_type: 'llm/v1/completions',
        route_url: '/gateway/completions/invocations',
        model: { name: 'gpt-4o-mini', provider: 'openai' },
        limit: null,
      },
    ]);
    for (const path of ['/public/complete', '/gateway/completions/invocations']) {
      const res = await postJson(`${gw.url}${path}`, { prompt: 'Say hello', max_tokens: 20 });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.object).toBe('text_completion');
      expect(body.choices[0].text.length).toBeGreaterThan(0);
      // The `$VAR` secret reached the upstream; the model came from the config, not the client.
      expect(fake.last().headers.authorization).toBe(`Bearer ${KEY}`);
      expect(fake.last().body.model).toBe('gpt-4o-mini');
    }
  });
});

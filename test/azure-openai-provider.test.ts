// Azure OpenAI through the gateway with the official openai SDK: deployment URLs with api-version,
// api-key and Entra ID authentication (static token, client credentials with one shared, refreshed
// token), chat, streams, tools, completions, embeddings, content filtering and error mapping; and
// MLflow's way of configuring Azure (provider openai with openai_api_type azure) on the same client.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AZURE_REPLY, startFakeAzure, type FakeAzure } from './fakes/azure-openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';
import { expectRateLimited, expectRejectedKey } from './helpers/upstream-errors.js';
import { load } from './helpers/config.js';

const API_KEY = 'azure-resource-key-0123456789abcdef';
const STATIC_TOKEN = 'static-entra-token-abcdef0123';
const CLIENT = { tenantId: 'tenant-1234', clientId: 'client-5678', clientSecret: 'client-secret-very-private-42' };

let fake: FakeAzure;
let gw: TestGateway;
let client: OpenAI;

const azure = (name: string, type: string, deployment: string, config: Record<string, unknown> = {}) => ({
  name,
  endpoint_type: type,
  model: { provider: 'azure-openai', name: 'gpt-4o', config: { openai_api_base: `${fake.url}/`, openai_deployment_name: deployment, ...config } },
});

beforeAll(async () => {
  fake = await startFakeAzure({ apiKey: API_KEY, client: CLIENT, tokens: [STATIC_TOKEN] });
  const entra = { azure_tenant_id: CLIENT.tenantId, azure_client_id: CLIENT.clientId, azure_client_secret: CLIENT.clientSecret, azure_authority_host: fake.url };
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        azure('chat', 'llm/v1/chat', 'my-gpt4o', { openai_api_key: API_KEY, openai_api_version: '2025-01-01-preview' }),
        azure('instruct', 'llm/v1/completions', 'my-instruct', { openai_api_key: API_KEY }),
        azure('embed', 'llm/v1/embeddings', 'my-embed', { openai_api_key: API_KEY }),
        azure('chat-static-token', 'llm/v1/chat', 'my-gpt4o', { openai_api_type: 'azuread', openai_api_key: STATIC_TOKEN }),
        azure('chat-entra', 'llm/v1/chat', 'my-gpt4o', entra),
        azure('chat-entra-short', 'llm/v1/chat', 'my-gpt4o', entra),
        azure('chat-bad-secret', 'llm/v1/chat', 'my-gpt4o', { ...entra, azure_client_secret: 'wrong-secret-value-123' }),
        azure('chat-bad-key', 'llm/v1/chat', 'my-gpt4o', { openai_api_key: 'wrong-azure-key-0123456789' }),
        {
          name: 'mlflow-style',
          endpoint_type: 'llm/v1/chat',
          model: {
            provider: 'openai',
            name: 'gpt-4o',
            config: { openai_api_type: 'azure', openai_api_key: API_KEY, openai_api_base: fake.url, openai_deployment_name: 'mlflow-dep', openai_api_version: '2024-02-01' },
          },
        },
      ],
    }),
  );
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'gatehouse-client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const messages = [{ role: 'user' as const, content: 'Say hello' }];
const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

describe('azure-openai provider', () => {
  it('sends chat to the deployment URL with api-version and api-key, without a model in the body', async () => {
    const res = await client.chat.completions.create({ model: 'chat', messages, temperature: 0.3 });
    expect(res.choices[0].message.content).toBe(AZURE_REPLY);
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 6, prompt_tokens_details: { cached_tokens: 2 } });
    const sent = fake.last();
    expect(sent.path).toBe('/openai/deployments/my-gpt4o/chat/completions');
    expect(sent.query.get('api-version')).toBe('2025-01-01-preview');
    expect(sent.headers['api-key']).toBe(API_KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({ messages, temperature: 0.3, stream: false });
  });

  it('streams chat with its usage', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(AZURE_REPLY);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: 6 });
    expect(fake.last().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(fake.last().query.get('api-version')).toBe('2025-01-01-preview');
  });

  it('calls tools, as an answer and as a stream', async () => {
    const res = await client.chat.completions.create({ model: 'chat', messages, tools: [weatherTool], tool_choice: 'required' });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } });
    expect(fake.last().body.tools).toEqual([weatherTool]);

    const stream = await client.chat.completions.create({ model: 'chat', messages, tools: [weatherTool], tool_choice: 'required', stream: true });
    const args: string[] = [];
    for await (const chunk of stream) for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) args.push(tc.function?.arguments ?? '');
    expect(args.join('')).toBe('{"city":"Oslo"}');
  });

  it('serves completions and embeddings deployments', async () => {
    const completion = await client.completions.create({ model: 'instruct', prompt: 'Once upon', max_tokens: 20 });
    expect(completion.choices[0].text).toBe(AZURE_REPLY);
    expect(fake.last().path).toBe('/openai/deployments/my-instruct/completions');
    expect(fake.last().query.get('api-version')).toBe('2024-10-21');

    const embedding = await client.embeddings.create({ model: 'embed', input: ['one', 'two'] });
    expect(embedding.data.map((d) => d.embedding[0])).toEqual([0, 1]);
    expect(embedding.usage.prompt_tokens).toBe(2);
    expect(fake.last().path).toBe('/openai/deployments/my-embed/embeddings');
    expect(fake.last().body.input).toEqual(['one', 'two']);
    expect(fake.last().body.model).toBeUndefined();
  });

  it('reports a prompt refused by the content filter as a 400 with code content_filter, and passes a filtered finish on', async () => {
    fake.next({
      status: 400,
      error: { code: 'content_filter', param: 'prompt', message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy." },
    });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: 'content_filter', type: 'invalid_request_error', upstream_status: 400 });

    fake.next({ finishReason: 'content_filter' });
    const filtered = await client.chat.completions.create({ model: 'chat', messages });
    expect(filtered.choices[0].finish_reason).toBe('content_filter');
  });

  it('passes 429 with Retry-After on, and reports a rejected key as a 502 without the key', async () => {
    fake.next({ status: 429, error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit.' }, headers: { 'retry-after': '7' } });
    expectRateLimited(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')), '7');

    await expectRejectedKey(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat-bad-key')), 'wrong-azure-key');
  });

  it('sends a static Entra ID token as a bearer token', async () => {
    const res = await client.chat.completions.create({ model: 'chat-static-token', messages });
    expect(res.choices[0].message.content).toBe(AZURE_REPLY);
    expect(fake.last().headers.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
    expect(fake.last().headers['api-key']).toBeUndefined();
  });

  it('fetches one client-credentials token for concurrent requests and reuses it', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.chat.completions.create({ model: 'chat-entra', messages })));
    expect(answers.every((a) => a.choices[0].message.content === AZURE_REPLY)).toBe(true);
    await client.chat.completions.create({ model: 'chat-entra', messages });
    const tokens = fake.tokenRequests();
    expect(tokens).toHaveLength(1);
    expect(tokens[0].path).toBe(`/${CLIENT.tenantId}/oauth2/v2.0/token`);
    expect(tokens[0].body).toEqual({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: 'https://cognitiveservices.azure.com/.default' });
    const bearers = new Set(fake.modelRequests().map((r) => r.headers.authorization));
    expect([...bearers]).toEqual([expect.stringMatching(/^Bearer entra-token-\d+$/)]);
  });

  it('refreshes a token before it expires', async () => {
    // A 1-second token is refreshed at half its life.
    fake.next({ expiresIn: 1 });
    await client.chat.completions.create({ model: 'chat-entra-short', messages });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await client.chat.completions.create({ model: 'chat-entra-short', messages });
    expect(fake.tokenRequests()).toHaveLength(2);
    const [first, second] = fake.modelRequests().map((r) => r.headers.authorization);
    expect(first).not.toBe(second);
  });

  it('reports a refused client secret as a 502 without the secret', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat-bad-secret'));
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('upstream_auth_failed');
    expect(text).not.toContain('wrong-secret-value');
    expect(fake.modelRequests()).toHaveLength(0);
  });

  it('serves MLflow configs that put Azure on provider openai with openai_api_type azure', async () => {
    const res = await client.chat.completions.create({ model: 'mlflow-style', messages });
    expect(res.choices[0].message.content).toBe(AZURE_REPLY);
    expect(fake.last().path).toBe('/openai/deployments/mlflow-dep/chat/completions');
    expect(fake.last().query.get('api-version')).toBe('2024-02-01');
    expect(fake.last().headers['api-key']).toBe(API_KEY);

    // API versions before 2024-09-01 refuse stream_options.
    const stream = await client.chat.completions.create({ model: 'mlflow-style', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(AZURE_REPLY);
    expect(fake.last().body.stream_options).toBeUndefined();
  });

  it('refuses configs without a way to authenticate', () => {
    const endpoint = (provider: string, config: string) => `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: ${provider}, name: gpt-4o, config: ${config} }
`;
    const noKey = load(endpoint('azure-openai', '{ openai_api_base: "https://r.openai.azure.com" }'));
    expect(noKey.issues.map((i) => i.message).join('\n')).toMatch(/openai_api_key is required for openai_api_type azure/);
    const partial = load(endpoint('azure-openai', '{ openai_api_base: "https://r.openai.azure.com", azure_tenant_id: t, azure_client_id: c }'));
    expect(partial.issues.map((i) => i.message).join('\n')).toMatch(/azure_client_secret is required/);
    const mlflow = load(endpoint('openai', '{ openai_api_type: azuread, openai_api_key: tok }'));
    expect(mlflow.issues.map((i) => i.message).join('\n')).toMatch(/openai_api_base is required for Azure OpenAI/);
  });
});

// The official `openai` client, unmodified, against the gateway: with the openai provider in front of
// a fake OpenAI upstream, and with the built-in mock provider.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_REPLY, fakeEmbedding, openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { expectGatewayHeaders } from './helpers/http.js';

const PROVIDER_KEY = 'fake-provider-key-0123456789';
const CLIENT_KEY = 'client-key-of-the-application';

let fake: FakeOpenAI;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: PROVIDER_KEY });
  const config = { openai_api_key: PROVIDER_KEY, openai_organization: 'org-gatehouse', openai_project: 'proj-gatehouse' };
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        openaiEndpoint(fake, 'chat', 'llm/v1/chat', 'gpt-4o-mini', { config }),
        openaiEndpoint(fake, 'instruct', 'llm/v1/completions', 'gpt-3.5-turbo-instruct', { config }),
        openaiEndpoint(fake, 'embed', 'llm/v1/embeddings', 'text-embedding-3-small', { config }),
        { name: 'mock-chat', endpoint_type: 'llm/v1/chat', model: { provider: 'mock', name: 'mock-1' } },
        { name: 'mock-complete', endpoint_type: 'llm/v1/completions', model: { provider: 'mock', name: 'mock-1' } },
        { name: 'mock-embed', endpoint_type: 'llm/v1/embeddings', model: { provider: 'mock', name: 'mock-e', config: { embedding_dimensions: 32 } } },
      ],
      routes: [{ name: 'assistant', task_type: 'llm/v1/chat', destinations: [{ name: 'chat', traffic_percentage: 100 }] }],
    }),
  );
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('openai SDK → gateway → openai provider', () => {
  it('completes a chat, sending the provider model, credentials and the client parameters upstream', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages, temperature: 0.25, user: 'u-42' }).withResponse();
    expect(data.choices[0].message.content).toBe(FAKE_REPLY);
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ completion_tokens: 6, prompt_tokens_details: { cached_tokens: 0 } });
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expectGatewayHeaders(response, 'chat');

    expect(fake.requests).toHaveLength(1);
    const sent = fake.last();
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({ model: 'gpt-4o-mini', messages, temperature: 0.25, user: 'u-42', stream: false });
    expect(sent.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(sent.headers['openai-organization']).toBe('org-gatehouse');
    expect(sent.headers['openai-project']).toBe('proj-gatehouse');
    // The client's own key and headers stay at the gateway.
    expect(JSON.stringify(sent.headers)).not.toContain(CLIENT_KEY);
    expect(Object.keys(sent.headers).filter((h) => h.startsWith('x-stainless'))).toEqual([]);
  });

  it('serves a route by name through its destination endpoint', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'assistant', messages }).withResponse();
    expect(data.choices[0].message.content).toBe(FAKE_REPLY);
    expect(response.headers.get('x-gatehouse-route')).toBe('assistant');
    expect(response.headers.get('x-gatehouse-endpoint')).toBe('chat');
    expect(fake.last().body.model).toBe('gpt-4o-mini');
  });

  it('streams a chat: the deltas add up to the reply and the last chunk carries the usage', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(FAKE_REPLY);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 6 });
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
    expect(fake.last().body).toMatchObject({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
    expect(fake.last().headers.accept).toBe('text/event-stream');
  });

  it('raises an error event sent mid-stream as an APIError', async () => {
    fake.next({ failAfter: { events: 2, how: 'error-event' } });
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true });
    const received: string[] = [];
    await expect(async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    }).rejects.toThrow(OpenAI.APIError);
    expect(received).toHaveLength(2);
  });

  it('creates embeddings in the SDK default (base64): the floats survive the round trip', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: ['first text', 'second text'] });
    expect(fake.last().body).toMatchObject({ model: 'text-embedding-3-small', encoding_format: 'base64' });
    expect(res.data.map((d) => d.embedding)).toEqual([fakeEmbedding('first text'), fakeEmbedding('second text')]);
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('creates embeddings as plain floats when asked, with dimensions passed on', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: 'one', encoding_format: 'float', dimensions: 4 });
    expect(fake.last().body).toMatchObject({ encoding_format: 'float', dimensions: 4 });
    expect(res.data[0].embedding).toEqual(fakeEmbedding('one', 4));
  });

  it('creates completions, one choice per prompt', async () => {
    const res = await client.completions.create({ model: 'instruct', prompt: ['One', 'Two'], max_tokens: 3 });
    expect(fake.last().path).toBe('/v1/completions');
    expect(fake.last().body).toMatchObject({ model: 'gpt-3.5-turbo-instruct', prompt: ['One', 'Two'], max_tokens: 3, stream: false });
    expect(res.object).toBe('text_completion');
    expect(res.choices.map((c) => [c.index, c.text, c.finish_reason])).toEqual([
      [0, 'Hello from the', 'length'],
      [1, 'Hello from the', 'length'],
    ]);
  });

  it('passes token-id prompts and inputs on unchanged', async () => {
    const completion = await client.completions.create({ model: 'instruct', prompt: [[9906, 11], [15339]] });
    expect(fake.last().body.prompt).toEqual([[9906, 11], [15339]]);
    expect(completion.choices).toHaveLength(2);
    expect(completion.usage?.prompt_tokens).toBe(3);
    const embedded = await client.embeddings.create({ model: 'embed', input: [9906, 11, 1917] });
    expect(fake.last().body.input).toEqual([9906, 11, 1917]);
    expect(embedded.data[0].embedding).toEqual(fakeEmbedding([9906, 11, 1917]));
  });

  it('streams completions', async () => {
    const stream = await client.completions.create({ model: 'instruct', prompt: 'Go', stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe(FAKE_REPLY);
    expect(chunks[chunks.length - 1].usage?.completion_tokens).toBe(6);
    expect(fake.last().body).toMatchObject({ model: 'gpt-3.5-turbo-instruct', stream: true });
  });

  it('lists the endpoints and routes as models, and retrieves one', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => m.id).sort()).toEqual(['assistant', 'chat', 'embed', 'instruct', 'mock-chat', 'mock-complete', 'mock-embed']);
    expect(models.every((m) => m.object === 'model' && Number.isInteger(m.created))).toBe(true);
    const { data: chat, response } = await client.models.retrieve('chat').withResponse();
    expectGatewayHeaders(response);
    expect(chat).toMatchObject({ id: 'chat', object: 'model', owned_by: 'openai', endpoint_type: 'llm/v1/chat', kind: 'endpoint' });
    expect(await client.models.retrieve('assistant')).toMatchObject({ owned_by: 'gatehouse', kind: 'route' });
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(fake.requests).toHaveLength(0);
  });

  it('raises gateway errors as the SDK error classes, with OpenAI fields', async () => {
    const err = await client.chat.completions.create({ model: 'nope', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model', type: 'not_found_error' });
  });
});

describe('openai SDK → gateway → mock provider', () => {
  it('completes a chat deterministically', async () => {
    const a = await client.chat.completions.create({ model: 'mock-chat', messages: [{ role: 'user', content: 'Hi there' }] });
    const b = await client.chat.completions.create({ model: 'mock-chat', messages: [{ role: 'user', content: 'Hi there' }] });
    expect(a.choices[0].message.content).toBe('This is a mock response to: Hi there');
    expect(b.choices[0].message.content).toBe(a.choices[0].message.content);
    expect(a.model).toBe('mock-1');
  });

  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('answers a forced tool choice with a tool call', async () => {
    const res = await client.chat.completions.create({
      model: 'mock-chat',
      messages,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    const call = res.choices[0].message.tool_calls?.[0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{}' } });
    expect(call?.id).toMatch(/^call_/);
  });

  it('streams a tool call that the SDK stream helper assembles', async () => {
    const stream = client.chat.completions.stream({ model: 'mock-chat', messages, tools, tool_choice: 'required' });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{}' } });
  });

  it('streams a chat whose text matches the non-streamed answer', async () => {
    const stream = client.chat.completions.stream({ model: 'mock-chat', messages, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].message.content).toBe('This is a mock response to: Say hello');
    expect(final.usage?.completion_tokens).toBe(9);
  });

  it('serves completions through chat, streamed and not', async () => {
    const res = await client.completions.create({ model: 'mock-complete', prompt: 'Ping' });
    expect(res.choices[0].text).toBe('This is a mock response to: Ping');
    expect(res.id).toMatch(/^cmpl-/);
    const stream = await client.completions.create({ model: 'mock-complete', prompt: 'Ping', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(res.choices[0].text);
  });

  it('refuses token-id prompts, which completions served through chat cannot take', async () => {
    const err = await client.completions.create({ model: 'mock-complete', prompt: [9906, 11] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'prompt', code: 'invalid_value' });
  });

  it('creates unit-length embeddings through the SDK base64 default', async () => {
    const res = await client.embeddings.create({ model: 'mock-embed', input: 'vector me' });
    const v = res.data[0].embedding;
    expect(v).toHaveLength(32);
    expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
  });
});

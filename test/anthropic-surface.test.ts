// The official `@anthropic-ai/sdk` client, unmodified, against the gateway's /v1/messages surface:
// served by the mock provider, by an `openai` endpoint on the fake OpenAI upstream (Anthropic
// client -> OpenAI upstream) and by an `anthropic` endpoint on the fake Anthropic upstream.
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicEndpoint, FAKE_CLAUDE_REPLY, startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic-upstream.js';
import { FAKE_REPLY, openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { expectGatewayHeaders, postJson } from './helpers/http.js';

const ANTHROPIC_KEY = 'sk-ant-fake-provider-key-0123456789';

let openaiFake: FakeOpenAI;
let anthropicFake: FakeAnthropic;
let gw: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  openaiFake = await startFakeOpenAI();
  anthropicFake = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        { name: 'mock-chat', endpoint_type: 'llm/v1/chat', model: { provider: 'mock', name: 'mock-1' } },
        openaiEndpoint(openaiFake, 'gpt', 'llm/v1/chat', 'gpt-4o-mini'),
        anthropicEndpoint(anthropicFake, 'claude', 'claude-sonnet-4-5', { anthropic_api_key: ANTHROPIC_KEY }),
        { name: 'embed', endpoint_type: 'llm/v1/embeddings', model: { provider: 'mock', name: 'mock-e' } },
      ],
      routes: [{ name: 'assistant', task_type: 'llm/v1/chat', destinations: [{ name: 'mock-chat', traffic_percentage: 100 }] }],
    }),
  );
  client = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await openaiFake?.close();
  await anthropicFake?.close();
});
beforeEach(() => {
  openaiFake.reset();
  anthropicFake.reset();
});

const weatherTool = { name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

/** An SSE body as its events: the `event:` name and the parsed `data:` of each. */
async function sseEvents(res: Response): Promise<{ event: string | undefined; data: any }[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6));
      return { event, data };
    });
}

describe('anthropic SDK → gateway → mock provider', () => {
  it('creates a message: Anthropic shape, system prompt, usage, gateway headers', async () => {
    const { data, response } = await client.messages
      .create({ model: 'mock-chat', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: 'mock-1', stop_reason: 'end_turn', stop_sequence: null });
    expect(data.id).toMatch(/^msg_/);
    expect(data.content).toEqual([{ type: 'text', text: 'This is a mock response to: Hello there' }]);
    expect(data.usage.output_tokens).toBe(9); // the mock's tokens: words with their leading space, and ":"
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expectGatewayHeaders(response, 'mock-chat');
  });

  it('serves a route, honours max_tokens (stop_reason max_tokens) and takes the anthropic-version header', async () => {
    const { data, response } = await client.messages
      .create({ model: 'assistant', max_tokens: 2, messages: [{ role: 'user', content: 'Hello there' }] }, { headers: { 'anthropic-version': '2023-06-01' } })
      .withResponse();
    expect(response.headers.get('x-gatehouse-route')).toBe('assistant');
    expect(data.stop_reason).toBe('max_tokens');
    expect(data.content).toEqual([{ type: 'text', text: 'This is' }]);
  });

  it('streams the exact Anthropic event sequence, each event named by its type', async () => {
    const res = await postJson(`${gw.url}/v1/messages`, { model: 'mock-chat', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await sseEvents(res);
    for (const e of events) expect(e.event).toBe(e.data.type);
    const names = events.map((e) => e.event);
    const tokens = 'This is a mock response to: Hi'.match(/\s*[A-Za-z0-9]+|\s*[^\sA-Za-z0-9]/g)!;
    expect(names).toEqual(['message_start', 'content_block_start', ...tokens.map(() => 'content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    expect(events[0].data.message).toMatchObject({ type: 'message', role: 'assistant', content: [], stop_reason: null });
    expect(events[1].data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events[2].data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'This' } });
    const delta = events[events.length - 2].data;
    expect(delta.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    expect(delta.usage).toMatchObject({ output_tokens: tokens.length });
    expect(delta.usage.input_tokens).toBeGreaterThan(0);
  });

  it('streams through the SDK helper to the final message', async () => {
    const stream = client.messages.stream({ model: 'mock-chat', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const message = await stream.finalMessage();
    expect(texts.join('')).toBe('This is a mock response to: Hi');
    expect(texts.length).toBeGreaterThan(1);
    expect(message.content).toEqual([{ type: 'text', text: 'This is a mock response to: Hi' }]);
    expect(message.usage.output_tokens).toBe(texts.length);
  });

  it('answers a forced tool choice with a tool_use block, non-stream and stream', async () => {
    const params = { model: 'mock-chat', max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'tool' as const, name: 'get_weather' }, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
    const message = await client.messages.create(params);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([{ type: 'tool_use', id: expect.any(String), name: 'get_weather', input: {} }]);

    const streamed = await client.messages.stream(params).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content).toEqual([{ type: 'tool_use', id: expect.any(String), name: 'get_weather', input: {} }]);
  });
});

describe('anthropic SDK → gateway → openai provider (fake OpenAI upstream)', () => {
  it('translates system, images, tools, tool_use and tool_result turns into the OpenAI request', async () => {
    // `temperature` left this SDK's types when Anthropic's newest models stopped taking it; older clients send it.
    const sampling = { temperature: 0.3 } as object;
    const message = await client.messages.create({
      model: 'gpt',
      max_tokens: 64,
      system: [{ type: 'text', text: 'You are terse.' }],
      ...sampling,
      stop_sequences: ['STOP'],
      metadata: { user_id: 'u-7' },
      tools: [weatherTool],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture, and the weather?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' }, { type: 'text', text: 'And now?' }] },
      ],
    });
    expect(openaiFake.last().path).toBe('/v1/chat/completions');
    expect(openaiFake.last().body).toEqual({
      model: 'gpt-4o-mini',
      stream: false,
      max_tokens: 64,
      temperature: 0.3,
      stop: ['STOP'],
      user: 'u-7',
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: weatherTool.input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture, and the weather?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
        { role: 'user', content: 'And now?' },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: FAKE_REPLY }]);
    expect(message.id).toMatch(/^msg_chatcmpl-fake/);
    expect(message.usage.output_tokens).toBe(6);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it('streams from an OpenAI upstream into Anthropic events, with the usage in message_delta', async () => {
    const stream = client.messages.stream({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const message = await stream.finalMessage();
    expect(texts).toHaveLength(6);
    expect(texts.join('')).toBe(FAKE_REPLY);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBe(6);
    expect(message.usage.input_tokens).toBe(1); // the fake counts the words of the prompt
    expect(openaiFake.last().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('reports an upstream 429 as rate_limit_error with its retry-after', async () => {
    openaiFake.next({ status: 429, headers: { 'retry-after': '9' } });
    const err = await client.messages.create({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.type).toBe('rate_limit_error');
    expect(e.headers?.get('retry-after')).toBe('9');
  });

  it('ends a stream that fails mid-way with an error event, which the SDK raises', async () => {
    openaiFake.next({ failAfter: { events: 3, how: 'error-event' } });
    const stream = client.messages.stream({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('api_error');
    expect(texts).toHaveLength(2);
  });
});

describe('anthropic SDK → gateway → anthropic provider', () => {
  it('round-trips a streamed tool call and the cache usage', async () => {
    anthropicFake.next({ toolUses: [{ name: 'get_weather', input: { city: 'Paris', days: 3 } }], cacheRead: 50, cacheCreation: 5 });
    const message = await client.messages.stream({ model: 'claude', max_tokens: 64, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather?' }] }).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_fake/), name: 'get_weather', input: { city: 'Paris', days: 3 } }]);
    expect(message.usage).toMatchObject({ cache_read_input_tokens: 50, cache_creation_input_tokens: 5 });
    expect(anthropicFake.last().body.tools).toEqual([weatherTool]);
  });

  it("reports the upstream's overloaded error as overloaded_error", async () => {
    anthropicFake.next({ status: 529, error: { message: 'Overloaded' } });
    const err = await client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(502);
    expect(e.type).toBe('overloaded_error');
    expect(e.error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: expect.stringContaining('Overloaded') } });
  });
});

describe('count_tokens', () => {
  it("forwards to Anthropic's count_tokens API for an anthropic endpoint (an exact count)", async () => {
    const body = { model: 'claude', system: 'Be brief.', messages: [{ role: 'user' as const, content: 'Count these words please' }] };
    const { data, response } = await client.messages.countTokens(body).withResponse();
    const sent = anthropicFake.last();
    expect(sent.path).toBe('/v1/messages/count_tokens');
    expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(sent.body).toEqual({ model: 'claude-sonnet-4-5', system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Count these words please' }] }] });
    expect(data.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gatehouse-token-count')).toBe('exact');
  });

  it('estimates for other providers, and says so', async () => {
    const short = await client.messages.countTokens({ model: 'mock-chat', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    const long = await client.messages.countTokens({ model: 'mock-chat', messages: [{ role: 'user', content: 'Hi '.repeat(400) }] });
    expect(short.response.headers.get('x-gatehouse-token-count')).toBe('estimate');
    expect(short.data.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.data.input_tokens + 200);
  });
});

describe('errors on the Anthropic surface', () => {
  it('answers in Anthropic’s error shape with the matching type', async () => {
    const cases: [unknown, number, string][] = [
      [{ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }, 404, 'not_found_error'],
      [{ model: 'mock-chat', messages: [{ role: 'user', content: 'Hi' }] }, 400, 'invalid_request_error'],
      [{ model: 'embed', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }, 400, 'invalid_request_error'],
      [{ model: 'mock-chat', max_tokens: 10, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Hi' }] }, 400, 'invalid_request_error'],
      [{ model: 'mock-chat', max_tokens: 10, messages: [{ role: 'system', content: 'Hi' }] }, 400, 'invalid_request_error'],
      ['{not json', 400, 'invalid_request_error'],
    ];
    for (const [body, status, type] of cases) {
      const res = await postJson(`${gw.url}/v1/messages`, body);
      expect(res.status).toBe(status);
      const error = await res.json();
      expect(error).toEqual({ type: 'error', error: { type, message: expect.any(String) } });
    }
  });

  it('raises the SDK’s typed errors', async () => {
    const missing = await client.messages.create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).message).toContain("'nope' does not exist");
  });

  it('reports a context-length refusal from the upstream as invalid_request_error 400', async () => {
    anthropicFake.next({ status: 400, error: { message: 'prompt is too long: 208310 tokens > 200000 maximum' } });
    const err = await client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).type).toBe('invalid_request_error');
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toContain('prompt is too long');
  });
});

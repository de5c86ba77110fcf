// The official `openai` client against an `anthropic` endpoint: the gateway maps the OpenAI-shaped
// request to Anthropic's Messages API (checked on the fake upstream), and Anthropic's answers,
// streams and errors back to OpenAI's shapes.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicEndpoint, FAKE_CLAUDE_REPLY, startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, chatBody, expectError, postJson } from './helpers/http.js';

const PROVIDER_KEY = 'sk-ant-fake-provider-key-0123456789';

let fake: FakeAnthropic;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: PROVIDER_KEY });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        anthropicEndpoint(fake, 'claude', 'claude-sonnet-4-5', { anthropic_api_key: PROVIDER_KEY, max_tokens: 1000 }),
        { ...anthropicEndpoint(fake, 'claude-lenient', 'claude-sonnet-4-5', { anthropic_api_key: PROVIDER_KEY }), drop_unsupported_params: true },
        anthropicEndpoint(fake, 'claude-wrong-key', 'claude-sonnet-4-5', { anthropic_api_key: 'sk-ant-wrong-key-0123456789' }),
      ],
    }),
  );
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('openai SDK → gateway → anthropic provider', () => {
  it('sends the Messages API request: path, x-api-key, anthropic-version, system, parameters', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'claude',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: 'Answer in English.' },
          { role: 'user', content: 'Say hello' },
        ],
        temperature: 0.5,
        top_p: 0.9,
        max_tokens: 50,
        stop: ['END'],
        user: 'u-42',
      })
      .withResponse();
    const sent = fake.last();
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe(PROVIDER_KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5',
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
      max_tokens: 50,
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: 'u-42' },
    });
    expect(data.id).toMatch(/^msg_fake/);
    expect(data.model).toBe('claude-sonnet-4-5');
    expect(data.choices[0].message).toMatchObject({ role: 'assistant', content: FAKE_CLAUDE_REPLY });
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ completion_tokens: 6, prompt_tokens_details: { cached_tokens: 0 } });
    expect(response.headers.get('x-gatehouse-upstream-anthropic-ratelimit-requests-remaining')).toBe('49');
  });

  it('sends the configured max_tokens when the request gives none, and max_completion_tokens when given', async () => {
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] });
    expect(fake.last().body.max_tokens).toBe(1000);
    const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 2 });
    expect(fake.last().body.max_tokens).toBe(2);
    expect(res.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Hello from' } });
  });

  it('counts cache reads and writes into prompt_tokens, with cached_tokens for the reads', async () => {
    fake.next({ cacheRead: 100, cacheCreation: 20 });
    const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] });
    // prompt_tokens = input_tokens + cache reads + cache writes
    expect(res.usage!.prompt_tokens - 120).toBeGreaterThan(0);
    expect(res.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 100 }, cache_creation_input_tokens: 20 });
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
  });

  it('maps tools and tool_choice, and answers tool_use blocks as tool_calls', async () => {
    fake.next({ toolUses: [{ name: 'get_weather', input: { city: 'Paris' } }, { name: 'get_weather', input: { city: 'Rome' } }] });
    const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], tool_choice: 'required' });
    expect(fake.last().body.tools).toEqual([{ name: 'get_weather', description: 'Weather of a city', input_schema: weatherTool.function.parameters }]);
    expect(fake.last().body.tool_choice).toEqual({ type: 'any' });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.content).toBeNull();
    expect(res.choices[0].message.tool_calls).toEqual([
      { id: expect.stringMatching(/^toolu_fake\d+_0$/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: expect.stringMatching(/^toolu_fake\d+_1$/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ]);

    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });
    expect(fake.last().body.tool_choice).toEqual({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], tool_choice: 'none' });
    expect(fake.last().body.tool_choice).toEqual({ type: 'none' });
  });

  it('sends assistant tool_calls as tool_use blocks and merges consecutive tool results into one user turn', async () => {
    await client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
        { role: 'tool', tool_call_id: 'toolu_2', content: 'Rainy' },
        { role: 'user', content: 'Summarise.' },
      ],
    });
    expect(fake.last().body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Sunny' }] },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'Rainy' }] },
          { type: 'text', text: 'Summarise.' },
        ],
      },
    ]);
  });

  it('sends images from URLs and from base64 data URLs as image blocks', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
          ],
        },
      ],
    });
    expect(fake.last().body.messages[0].content).toEqual([
      { type: 'text', text: 'Compare these' },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
    ]);
  });

  it('maps response_format json_schema to Anthropic structured outputs', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Answer as JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    expect(fake.last().body.output_config).toEqual({ format: { type: 'json_schema', schema } });
  });

  it('refuses parameters Anthropic cannot take, naming them, and drops them where the endpoint allows', async () => {
    for (const extra of [{ seed: 7 }, { n: 2 }, { frequency_penalty: 0.5 }, { logprobs: true }, { response_format: { type: 'json_object' } }]) {
      const error = await expectError(await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude', extra)), 400, 'claude');
      expect(error).toMatchObject({ code: 'unsupported_parameter', param: Object.keys(extra)[0] });
    }
    expect(fake.requests).toHaveLength(0);

    // The neutral values clients such as LangChain always send ask for nothing, so they pass.
    const neutral = await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude', { n: 1, presence_penalty: 0, frequency_penalty: 0, logprobs: false, seed: null }));
    expect(neutral.status).toBe(200);
    expect(Object.keys(fake.last().body).sort()).toEqual(['max_tokens', 'messages', 'model']);

    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude-lenient', { seed: 7, presence_penalty: 1, temperature: 0.2 }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-dropped-params')).toBe('seed,presence_penalty');
    expect(fake.last().body).not.toHaveProperty('seed');
    expect(fake.last().body.temperature).toBe(0.2);
  });

  it('streams text chunk by chunk, with the finish reason and a usage chunk that has the cache reads', async () => {
    fake.next({ cacheRead: 7 });
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(fake.last().body.stream).toBe(true);
    expect(fake.last().headers.accept).toBe('text/event-stream');
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const deltas = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((t) => t !== '');
    expect(deltas).toHaveLength(6); // one chunk per upstream text_delta
    expect(deltas.join('')).toBe(FAKE_CLAUDE_REPLY);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 6, prompt_tokens_details: { cached_tokens: 7 } });
    expect(chunks.every((c) => c.id.startsWith('msg_fake'))).toBe(true);
  });

  it('streams tool calls as OpenAI tool_call deltas: id and name first, then the argument pieces', async () => {
    fake.next({ text: 'Checking.', toolUses: [{ name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }, { name: 'get_weather', input: { city: 'Rome' } }] });
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], stream: true });
    const calls: { id?: string; name?: string; args: string; deltas: number }[] = [];
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? '';
      for (const tc of choice.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: '', deltas: 0 };
        if (tc.id) calls[tc.index].id = tc.id;
        if (tc.function?.name) calls[tc.index].name = tc.function.name;
        calls[tc.index].args += tc.function?.arguments ?? '';
        calls[tc.index].deltas++;
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(text).toBe('Checking.');
    expect(finish).toBe('tool_calls');
    expect(calls.map(({ id, name, args }) => ({ id, name, args: JSON.parse(args) }))).toEqual([
      { id: expect.stringMatching(/^toolu_fake\d+_0$/), name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } },
      { id: expect.stringMatching(/^toolu_fake\d+_1$/), name: 'get_weather', args: { city: 'Rome' } },
    ]);
    // The arguments arrive in pieces, as the upstream sent them.
    expect(calls[0].deltas).toBeGreaterThan(3);
  });

  it('raises an error event sent mid-stream as an APIError', async () => {
    fake.next({ errorEventAfter: { events: 4, type: 'overloaded_error', message: 'Overloaded' } });
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const received: string[] = [];
    await expect(async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    }).rejects.toThrow(/overloaded_error: Overloaded/);
    expect(received.length).toBeGreaterThan(0);
  });
});

describe('anthropic upstream errors', () => {
  it("reports the upstream's 401 (the gateway's key is wrong) as a 502, without the key", async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude-wrong-key'));
    const error = await expectError(res, 502, 'claude-wrong-key');
    expect(error).toMatchObject({ type: 'upstream_error', upstream_status: 401 });
    expect(error.message).toContain('invalid x-api-key');
    expect(error.message).not.toContain('sk-ant-wrong');
  });

  it('passes a 429 on with its retry-after, and the SDK sees a RateLimitError', async () => {
    fake.next({ status: 429, error: { message: 'Number of request tokens has exceeded your per-minute rate limit' }, headers: { 'retry-after': '17' } });
    const err = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('17');
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('upstream_rate_limited');
  });

  it('reports overloaded (529) as a 502 naming the upstream status', async () => {
    fake.next({ status: 529, error: { message: 'Overloaded' } });
    const error = await expectError(await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude')), 502, 'claude');
    expect(error).toMatchObject({ type: 'upstream_error', upstream_status: 529 });
    expect(error.message).toContain('Overloaded');
  });

  it('reports "prompt is too long" as a 400 with code context_length_exceeded', async () => {
    fake.next({ status: 400, error: { message: 'prompt is too long: 208310 tokens > 200000 maximum' } });
    const err = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('prompt is too long');
  });

  it('reports an error before a stream started as a normal JSON error', async () => {
    fake.next({ status: 529, error: { message: 'Overloaded' } });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude', { stream: true }));
    const error = await expectError(res, 502, 'claude');
    expect(error.upstream_status).toBe(529);
    const line = await accessLog(gw, res.headers.get('x-gatehouse-request-id'));
    expect(line).toMatchObject({ status: 502, provider: 'anthropic', model: 'claude-sonnet-4-5' });
  });
});

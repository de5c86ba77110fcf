// Cohere through the gateway with the official openai SDK: OpenAI chat requests become Cohere v2
// requests (roles, tools, tool results, parameters, JSON output), answers and typed stream events
// become OpenAI answers and chunks, embeddings go to /v2/embed, and errors are mapped.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COHERE_REPLY, startFakeCohere, type CohereBehaviour } from './fakes/cohere-upstream.js';
import type { RecordingServer } from './fakes/recording-server.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';
import { expectContextLengthExceeded, expectRateLimited, expectRejectedKey } from './helpers/upstream-errors.js';

const API_KEY = 'cohere-key-0123456789abcdef';

let fake: RecordingServer<CohereBehaviour>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeCohere(API_KEY);
  const model = (name: string, config: Record<string, unknown> = {}) => ({ provider: 'cohere', name, config: { cohere_api_key: API_KEY, cohere_api_base: fake.url, ...config } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        { name: 'chat', endpoint_type: 'llm/v1/chat', model: model('command-a-03-2025') },
        { name: 'chat-bad-key', endpoint_type: 'llm/v1/chat', model: model('command-a-03-2025', { cohere_api_key: 'wrong-cohere-key-123456' }) },
        { name: 'embed', endpoint_type: 'llm/v1/embeddings', model: model('embed-v4.0') },
        { name: 'embed-queries', endpoint_type: 'llm/v1/embeddings', model: model('embed-v4.0', { input_type: 'search_query' }) },
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

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a place', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
};

describe('cohere provider', () => {
  it('sends a v2 chat request with Cohere\'s parameter names and reads the answer', async () => {
    const res = await client.chat.completions.create({
      model: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello' }] },
      ],
      temperature: 0.3,
      top_p: 0.8,
      max_tokens: 100,
      stop: 'END',
      seed: 11,
      frequency_penalty: 0.1,
      response_format: { type: 'json_schema', json_schema: { name: 'greeting', schema: { type: 'object' } } },
    });
    expect(res.choices[0]).toMatchObject({ message: { role: 'assistant', content: COHERE_REPLY }, finish_reason: 'stop' });
    // The tokens the model processed, not the billed units.
    expect(res.usage).toMatchObject({ prompt_tokens: 14, completion_tokens: 7, total_tokens: 21, prompt_tokens_details: { cached_tokens: 4 } });
    const sent = fake.last();
    expect(sent.path).toBe('/v2/chat');
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.body).toEqual({
      model: 'command-a-03-2025',
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello' }] },
      ],
      temperature: 0.3,
      p: 0.8,
      max_tokens: 100,
      stop_sequences: ['END'],
      seed: 11,
      frequency_penalty: 0.1,
      response_format: { type: 'json_object', json_schema: { type: 'object' } },
    });
  });

  it('maps finish reasons', async () => {
    fake.next({ finishReason: 'MAX_TOKENS' });
    const res = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.choices[0].finish_reason).toBe('length');
  });

  it('calls tools and takes the tool results back', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Toronto?' }];
    const res = await client.chat.completions.create({ model: 'chat', messages, tools: [weatherTool], tool_choice: 'required' });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    const call = res.choices[0].message.tool_calls![0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } });
    expect(res.choices[0].message.content).toBeNull();
    expect(fake.last().body).toMatchObject({ tools: [weatherTool], tool_choice: 'REQUIRED' });

    const followUp = await client.chat.completions.create({
      model: 'chat',
      tools: [weatherTool],
      messages: [...messages, res.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '21C and sunny' }],
    });
    expect(followUp.choices[0].message.content).toBe('The tool said: 21C and sunny');
    expect(fake.last().body.messages.slice(1)).toEqual([
      { role: 'assistant', tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } }] },
      { role: 'tool', tool_call_id: call.id, content: '21C and sunny' },
    ]);
  });

  it('streams text events as chunks, with the finish reason and usage at the end', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(COHERE_REPLY);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 7 } });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([expect.stringMatching(/^cohere-/)]));
    expect(fake.last().body.stream).toBe(true);
  });

  it('streams tool calls as OpenAI tool-call deltas', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], tool_choice: 'required', stream: true });
    const deltas = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^get_weather_/), type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas.slice(1)).toEqual([
      { index: 0, function: { arguments: '{"location":' } },
      { index: 0, function: { arguments: '"Toronto"}' } },
    ]);
    expect(finish).toBe('tool_calls');
  });

  it('refuses what Cohere cannot do: several choices, a named tool choice', async () => {
    const several = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { n: 2 }));
    expect(several.status).toBe(400);
    expect(((await several.json()) as { error: { param: string } }).error.param).toBe('n');
    const named = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } }));
    expect(named.status).toBe(400);
    expect(fake.requests).toHaveLength(0);
  });

  it('embeds through /v2/embed with the configured or requested input_type', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: ['abcd', 'abcdefgh'], encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(res.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(fake.last().path).toBe('/v2/embed');
    expect(fake.last().body).toEqual({ model: 'embed-v4.0', texts: ['abcd', 'abcdefgh'], input_type: 'search_document', embedding_types: ['float'] });

    await client.embeddings.create({ model: 'embed-queries', input: 'abcd' });
    expect(fake.last().body.input_type).toBe('search_query');
    await postJson(`${gw.url}/v1/embeddings`, { model: 'embed', input: 'abcd', input_type: 'classification' });
    expect(fake.last().body.input_type).toBe('classification');
  });

  it('maps errors: 429 with Retry-After, too many tokens, a rejected key as 502 without the key', async () => {
    fake.next({ status: 429, message: 'You are using a Trial key, which is limited to 10 API calls / minute.', headers: { 'retry-after': '60' } });
    expectRateLimited(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')), '60');

    fake.next({ status: 400, message: 'too many tokens: size limit exceeded by 1200 tokens. Try using shorter or fewer inputs.' });
    await expectContextLengthExceeded(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')));

    const rejected = await expectRejectedKey(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat-bad-key')), 'wrong-cohere-key');
    expect(rejected.message).toContain('invalid api token');
  });
});

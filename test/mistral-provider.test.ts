// Mistral through the gateway with the official openai SDK: OpenAI's parameter names become
// Mistral's (seed -> random_seed, "required" -> "any", developer -> system), parameters Mistral has no
// field for are refused or dropped, streams end with a usage chunk of their own, embeddings, errors.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MISTRAL_REPLY, startFakeMistral, type MistralBehaviour } from './fakes/mistral-upstream.js';
import type { RecordingServer } from './fakes/recording-server.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';
import { expectContextLengthExceeded, expectRateLimited, expectRejectedKey } from './helpers/upstream-errors.js';

const API_KEY = 'mistral-key-0123456789abcdef';

let fake: RecordingServer<MistralBehaviour>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeMistral(API_KEY);
  const model = (name: string, key = API_KEY) => ({ provider: 'mistral', name, config: { mistral_api_key: key, mistral_api_base: `${fake.url}/v1` } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        { name: 'chat', endpoint_type: 'llm/v1/chat', model: model('mistral-large-latest') },
        { name: 'chat-lenient', endpoint_type: 'llm/v1/chat', model: model('mistral-small-latest'), drop_unsupported_params: true },
        { name: 'chat-bad-key', endpoint_type: 'llm/v1/chat', model: model('mistral-small-latest', 'wrong-mistral-key-123456') },
        { name: 'embed', endpoint_type: 'llm/v1/embeddings', model: model('mistral-embed') },
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

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

describe('mistral provider', () => {
  it('maps OpenAI parameter names to Mistral\'s', async () => {
    const res = await client.chat.completions.create({
      model: 'chat',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      seed: 7,
      max_completion_tokens: 50,
      temperature: 0.2,
    });
    expect(res.choices[0].message.content).toBe(MISTRAL_REPLY);
    expect(res.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 });
    const sent = fake.last();
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.body).toEqual({
      model: 'mistral-large-latest',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      random_seed: 7,
      max_tokens: 50,
      temperature: 0.2,
      stream: false,
    });
  });

  it('refuses a parameter Mistral has no field for, or drops it when the endpoint allows', async () => {
    const refused = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { logit_bias: { '1': 5 } }));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('logit_bias');
    expect(fake.requests).toHaveLength(0);

    const dropped = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat-lenient', { logit_bias: { '1': 5 } }));
    expect(dropped.status).toBe(200);
    expect(dropped.headers.get('x-gatehouse-dropped-params')).toBe('logit_bias');
    expect(fake.last().body.logit_bias).toBeUndefined();
  });

  it('streams, moving the usage from the last chunk onto a chunk of its own', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(MISTRAL_REPLY);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 6 });
    expect(chunks.slice(0, -1).every((c) => !c.usage)).toBe(true);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    expect(fake.last().body.stream_options).toBeUndefined();
  });

  it('turns tool_choice "required" into "any" and returns the tool calls', async () => {
    const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }];
    const res = await client.chat.completions.create({ model: 'chat', messages, tools: [weatherTool], tool_choice: 'required' });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ id: 'D681PevKs', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } });
    expect(fake.last().body.tool_choice).toBe('any');

    const stream = await client.chat.completions.create({ model: 'chat', messages, tools: [weatherTool], tool_choice: 'required', stream: true });
    let name = '';
    for await (const chunk of stream) name += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.name ?? '';
    expect(name).toBe('get_weather');
  });

  it('embeds with mistral-embed, sending dimensions as output_dimension', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: ['abc', 'de'], dimensions: 3, encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [3 / 8, 4 / 8, 5 / 8],
      [2 / 8, 3 / 8, 4 / 8],
    ]);
    expect(res.usage.prompt_tokens).toBe(2);
    expect(fake.last().body).toEqual({ model: 'mistral-embed', input: ['abc', 'de'], output_dimension: 3 });
  });

  it('maps errors: 429 with Retry-After, context length, a rejected key as 502 without the key', async () => {
    fake.next({ status: 429, message: 'Requests rate limit exceeded', headers: { 'retry-after': '3' } });
    expectRateLimited(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')), '3');

    fake.next({ status: 400, message: 'Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length' });
    await expectContextLengthExceeded(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')));

    await expectRejectedKey(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat-bad-key')), 'wrong-mistral-key');
  });
});

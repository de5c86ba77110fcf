// Together AI through the gateway with the official openai SDK: chat, streams, tools, completions,
// embeddings, Together's "eos" finish reason and its usage on the last chunk, and errors.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingServer } from './fakes/recording-server.js';
import { startFakeTogether, TOGETHER_REPLY, type TogetherBehaviour } from './fakes/togetherai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';
import { expectRateLimited, expectRejectedKey } from './helpers/upstream-errors.js';

const API_KEY = 'together-key-0123456789abcdef';
const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

let fake: RecordingServer<TogetherBehaviour>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeTogether(API_KEY);
  const model = (name: string, key = API_KEY) => ({ provider: 'togetherai', name, config: { togetherai_api_key: key, togetherai_api_base: `${fake.url}/v1` } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        { name: 'chat', endpoint_type: 'llm/v1/chat', model: model(MODEL) },
        { name: 'complete', endpoint_type: 'llm/v1/completions', model: model('mistralai/Mixtral-8x7B-v0.1') },
        { name: 'embed', endpoint_type: 'llm/v1/embeddings', model: model('BAAI/bge-large-en-v1.5') },
        { name: 'chat-bad-key', endpoint_type: 'llm/v1/chat', model: model(MODEL, 'wrong-together-key-12345') },
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

describe('togetherai provider', () => {
  it('completes a chat, reporting Together\'s "eos" as "stop"', async () => {
    const res = await client.chat.completions.create({ model: 'chat', messages, top_p: 0.9 });
    expect(res.choices[0].message.content).toBe(TOGETHER_REPLY);
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 6 });
    expect(fake.last().path).toBe('/v1/chat/completions');
    expect(fake.last().headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(fake.last().body).toEqual({ model: MODEL, messages, top_p: 0.9, stream: false });
  });

  it('streams chat with the usage on a chunk of its own', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(TOGETHER_REPLY);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: 6 } });
  });

  it('calls tools', async () => {
    const tool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };
    const res = await client.chat.completions.create({ model: 'chat', messages, tools: [tool], tool_choice: 'required' });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } });
    expect(fake.last().body.tools).toEqual([tool]);
  });

  it('serves completions natively, as answers and streams', async () => {
    const res = await client.completions.create({ model: 'complete', prompt: 'Once upon a time', max_tokens: 30 });
    expect(res.choices[0]).toMatchObject({ text: TOGETHER_REPLY, finish_reason: 'stop' });
    expect(fake.last().path).toBe('/v1/completions');
    expect(fake.last().body).toMatchObject({ model: 'mistralai/Mixtral-8x7B-v0.1', prompt: 'Once upon a time', max_tokens: 30 });

    const stream = await client.completions.create({ model: 'complete', prompt: 'Once upon a time', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(TOGETHER_REPLY);
  });

  it('embeds', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: ['abc', 'hello'], encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [3, 0.25],
      [5, 0.25],
    ]);
    expect(fake.last().path).toBe('/v1/embeddings');
  });

  it('maps errors: 429 with Retry-After, a rejected key as 502 without the key', async () => {
    fake.next({ status: 429, message: 'You have been rate limited', headers: { 'retry-after': '2' } });
    expectRateLimited(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')), '2');

    await expectRejectedKey(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat-bad-key')), 'wrong-together-key');
  });
});

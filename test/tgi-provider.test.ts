// Hugging Face Text Generation Inference through the gateway with the official openai SDK:
// completions through /generate and /generate_stream (parameters mapped to TGI's, usage from the
// details), chat through TGI's Messages API, and errors.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingServer } from './fakes/recording-server.js';
import { startFakeTgi, TGI_REPLY, type TgiBehaviour } from './fakes/tgi-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { postJson } from './helpers/http.js';
import { expectRateLimited, expectRejectedKey } from './helpers/upstream-errors.js';

const TOKEN = 'hf_token_0123456789abcdef';

let fake: RecordingServer<TgiBehaviour>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeTgi(TOKEN);
  const model = (token = TOKEN) => ({ provider: 'huggingface-text-generation-inference', name: 'llama-3-8b', config: { hf_server_url: `${fake.url}/`, hf_api_key: token } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        { name: 'complete', endpoint_type: 'llm/v1/completions', model: model() },
        { name: 'chat', endpoint_type: 'llm/v1/chat', model: model() },
        { name: 'complete-bad-token', endpoint_type: 'llm/v1/completions', model: model('hf_wrong_token_987654') },
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

describe('huggingface-text-generation-inference provider', () => {
  it('completes through /generate with TGI parameters, and counts usage from the details', async () => {
    const res = await client.completions.create({ model: 'complete', prompt: 'The capital of France is', max_tokens: 20, temperature: 0.7, top_p: 0.9, stop: ['\n'], seed: 5 });
    expect(res.choices[0]).toMatchObject({ text: TGI_REPLY, finish_reason: 'stop' });
    expect(res.usage).toEqual({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
    const sent = fake.last();
    expect(sent.path).toBe('/generate');
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.body).toEqual({
      inputs: 'The capital of France is',
      parameters: { details: true, decoder_input_details: true, max_new_tokens: 20, temperature: 0.7, do_sample: true, top_p: 0.9, stop: ['\n'], seed: 5 },
    });
  });

  it('decodes greedily for temperature 0 and reports a cut generation as length', async () => {
    const res = await client.completions.create({ model: 'complete', prompt: 'Hi', max_tokens: 2, temperature: 0, top_p: 1 });
    expect(res.choices[0]).toMatchObject({ text: ' Hello from', finish_reason: 'length' });
    expect(fake.last().body.parameters).toEqual({ details: true, decoder_input_details: true, max_new_tokens: 2, do_sample: false });
  });

  it('generates for several prompts, one choice each', async () => {
    const res = await client.completions.create({ model: 'complete', prompt: ['one', 'two words'] });
    expect(res.choices.map((c) => [c.index, c.text])).toEqual([
      [0, TGI_REPLY],
      [1, TGI_REPLY],
    ]);
    expect(res.usage?.prompt_tokens).toBe(3);
    expect(fake.requests.map((r) => r.body.inputs).sort()).toEqual(['one', 'two words']);
  });

  it('streams through /generate_stream, leaving out special tokens', async () => {
    const stream = await client.completions.create({ model: 'complete', prompt: 'Say hi', stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe(TGI_REPLY);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 7 } });
    expect(fake.last().path).toBe('/generate_stream');
    expect(fake.last().body.parameters).toEqual({ details: true });
  });

  it('reports an error event mid-stream as a stream error', async () => {
    fake.next({ failMidStream: 'CUDA out of memory' });
    const res = await postJson(`${gw.url}/v1/completions`, { model: 'complete', prompt: 'Hi', stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('CUDA out of memory');
    expect(text).not.toContain('[DONE]');
  });

  it('serves chat through the Messages API, with the model\'s own chat template', async () => {
    const messages = [{ role: 'user' as const, content: 'Say hello' }];
    const res = await client.chat.completions.create({ model: 'chat', messages, max_tokens: 30 });
    expect(res.choices[0].message.content).toBe(TGI_REPLY.trim());
    expect(fake.last().path).toBe('/v1/chat/completions');
    expect(fake.last().body).toMatchObject({ messages, max_tokens: 30 });

    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(TGI_REPLY.trim());
  });

  it('maps errors: a too-long prompt, 429 with Retry-After, a rejected token as 502 without the token', async () => {
    const tooLong = await postJson(`${gw.url}/v1/completions`, { model: 'complete', prompt: 'word '.repeat(60) });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { code: string } }).error).toMatchObject({ code: 'context_length_exceeded', upstream_status: 422 });

    fake.next({ status: 429, error: 'Model is overloaded', errorType: 'overloaded', headers: { 'retry-after': '1' } });
    expectRateLimited(await postJson(`${gw.url}/v1/completions`, { model: 'complete', prompt: 'Hi' }), '1');

    await expectRejectedKey(await postJson(`${gw.url}/v1/completions`, { model: 'complete-bad-token', prompt: 'Hi' }), 'hf_wrong_token');
  });
});

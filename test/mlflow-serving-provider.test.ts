// Models served by MLflow through the gateway with the official openai SDK: chat, completions and
// embeddings as MLflow's scoring protocol (each payload format), predictions read back, errors.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMlflowServing, type ServingBehaviour } from './fakes/mlflow-serving-upstream.js';
import type { RecordingServer } from './fakes/recording-server.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';
import { expectRateLimited } from './helpers/upstream-errors.js';

let fake: RecordingServer<ServingBehaviour>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeMlflowServing();
  const model = (path: string, config: Record<string, unknown> = {}) => ({ provider: 'mlflow-model-serving', name: 'my-model', config: { model_server_url: `${fake.url}/${path}`, ...config } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        { name: 'chat', endpoint_type: 'llm/v1/chat', model: model('text') },
        { name: 'complete', endpoint_type: 'llm/v1/completions', model: model('text') },
        { name: 'complete-split', endpoint_type: 'llm/v1/completions', model: model('text', { payload_format: 'dataframe_split', input_column: 'question' }) },
        { name: 'complete-records', endpoint_type: 'llm/v1/completions', model: model('text', { payload_format: 'dataframe_records' }) },
        { name: 'complete-instances', endpoint_type: 'llm/v1/completions', model: model('text', { payload_format: 'instances' }) },
        { name: 'embed', endpoint_type: 'llm/v1/embeddings', model: model('embed', { headers: { authorization: 'Bearer serving-token-123456' } }) },
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

describe('mlflow-model-serving provider', () => {
  it('sends chat as {"inputs": [text], "params"} and reads the prediction back', async () => {
    const res = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello model' }], temperature: 0.5, max_tokens: 40 });
    expect(res.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Echo: Hello model' }, finish_reason: 'stop' });
    expect(fake.last().path).toBe('/text/invocations');
    expect(fake.last().body).toEqual({ inputs: ['Hello model'], params: { temperature: 0.5, max_tokens: 40 } });
  });

  it('streams chat as one content chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Echo: Hi');
    expect(finish).toBe('stop');
  });

  it('refuses a conversation: MLflow-served chat models take one message', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, {
      model: 'chat',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('messages');
    expect(fake.requests).toHaveLength(0);
  });

  it('sends completions in each payload format', async () => {
    const res = await client.completions.create({ model: 'complete', prompt: ['a', 'b'] });
    expect(res.choices.map((c) => c.text)).toEqual(['Echo: a', 'Echo: b']);
    expect(fake.last().body).toEqual({ inputs: ['a', 'b'] });

    await client.completions.create({ model: 'complete-split', prompt: 'q1' });
    expect(fake.last().body).toEqual({ dataframe_split: { columns: ['question'], data: [['q1']] } });
    await client.completions.create({ model: 'complete-records', prompt: 'q2' });
    expect(fake.last().body).toEqual({ dataframe_records: [{ prompt: 'q2' }] });
    const instances = await client.completions.create({ model: 'complete-instances', prompt: 'q3' });
    expect(fake.last().body).toEqual({ instances: ['q3'] });
    expect(instances.choices[0].text).toBe('Echo: q3');
  });

  it('reads predictions in the shapes MLflow models return', async () => {
    fake.next({ body: { predictions: { choices: ['from choices'] } } }, { body: { predictions: [{ 0: 'from a DataFrame' }] } });
    expect((await client.completions.create({ model: 'complete', prompt: 'x' })).choices[0].text).toBe('from choices');
    expect((await client.completions.create({ model: 'complete', prompt: 'x' })).choices[0].text).toBe('from a DataFrame');

    fake.next({ body: { outputs: ['no predictions key'] } });
    const res = await postJson(`${gw.url}/v1/completions`, { model: 'complete', prompt: 'x' });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_invalid_response');
  });

  it('embeds, reading one vector per input', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: ['abc', 'hello'], encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [3, 0.5],
      [5, 0.5],
    ]);
    expect(fake.last().path).toBe('/embed/invocations');
    expect(fake.last().body).toEqual({ inputs: ['abc', 'hello'] });
    expect(fake.last().headers.authorization).toBe('Bearer serving-token-123456');

    fake.next({ body: { predictions: [0.25, 0.5] } });
    const single = await client.embeddings.create({ model: 'embed', input: 'one', encoding_format: 'float' });
    expect(single.data[0].embedding).toEqual([0.25, 0.5]);
  });

  it('passes the model server\'s errors on with their status and message', async () => {
    fake.next({ status: 400, message: 'Failed to enforce schema of data: missing column prompt' });
    const bad = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('Failed to enforce schema of data: missing column prompt');

    fake.next({ status: 429, message: 'Too many requests', headers: { 'retry-after': '4' } });
    expectRateLimited(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat')), '4');

    fake.next({ status: 503, message: 'Model is loading' });
    const down = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'));
    expect(down.status).toBe(502);
    expect(((await down.json()) as { error: { upstream_status: number; message: string } }).error).toMatchObject({ upstream_status: 503, message: expect.stringContaining('Model is loading') });
  });
});

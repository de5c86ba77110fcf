// Chat requests by reference, over real HTTP: `prompt: {id, version?, variables}` on the OpenAI
// surface (raw and through the official openai SDK), on MLflow's invocation paths and config-declared
// `path:`s, and on the Anthropic surface. The gateway runs
// in front of a fake OpenAI upstream, which records what the rendered request looked like.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { accessLog, allSseData, expectError, postJson } from '../helpers/http.js';
import { promptsDir } from './helpers.js';

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startGateway(
    JSON.stringify({
      endpoints: [{ ...openaiEndpoint(fake, 'gpt', 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'sk-fake' } }), path: '/api/v1/chat' }],
      routes: [{ name: 'assistant', task_type: 'llm/v1/chat', destinations: [{ name: 'gpt', traffic_percentage: 100 }], path: '/api/v1/assistant' }],
      prompts: { dir: promptsDir(), pins: { summarize: 1 } },
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const chat = (body: Record<string, unknown>) => postJson(`${gw.url}/v1/chat/completions`, body);
const SUMMARIZE = { id: 'summarize', variables: { text: 'Cats sleep.' } };

describe('a chat request by reference (OpenAI surface)', () => {
  it('renders the pinned version, with its model parameters and defaults', async () => {
    const res = await chat({ model: 'gpt', prompt: SUMMARIZE });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@1');
    expect(fake.last().body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'Summarize in 3 sentences.' },
        { role: 'user', content: 'v1: Cats sleep.' },
      ],
    });
    expect(fake.last().body.prompt).toBeUndefined();
    expect(await accessLog(gw, res.headers.get('x-gatehouse-request-id'))).toMatchObject({ prompt: 'summarize@1', status: 200 });
  });

  it('takes an explicit version (a number or a string), the request\'s own parameters and its messages after the prompt\'s', async () => {
    const res = await chat({
      model: 'assistant',
      temperature: 0.9,
      max_completion_tokens: 50,
      prompt: { id: 'summarize', version: '2', variables: { text: 'Dogs bark.', sentences: 1 } },
      messages: [{ role: 'user', content: 'Shorter, please.' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@2');
    const sent = fake.last().body;
    expect(sent.temperature).toBe(0.9);
    expect(sent.max_completion_tokens).toBe(50);
    expect(sent.max_tokens).toBeUndefined();
    expect(sent.messages.map((m: { content: string }) => m.content)).toEqual([
      'You write 1-sentence summaries.',
      'v2: The sky is blue.',
      'Blue sky.',
      'v2: Dogs bark.',
      'Shorter, please.',
    ]);
  });

  it('streams like any chat request', async () => {
    const res = await chat({ model: 'gpt', stream: true, prompt: { id: 'classify', variables: { ticket: 'Login fails', labels: ['bug', 'billing'] } } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('classify@1');
    await res.text();
    expect(fake.last().body.messages).toEqual([
      { role: 'system', content: 'Labels: bug billing' },
      { role: 'user', content: 'Login fails' },
    ]);
  });

  it('refuses unknown prompts and versions, and missing, unknown or mistyped variables, with a 400', async () => {
    const cases: [Record<string, unknown>, string, string, RegExp][] = [
      [{ id: 'sumarize', variables: {} }, 'prompt_not_found', 'prompt.id', /Unknown prompt 'sumarize' \(did you mean "summarize"\?\)/],
      [{ id: 'summarize', version: 9, variables: { text: 'x' } }, 'prompt_version_not_found', 'prompt.version', /has no version 9; its versions are 1, 2/],
      [{ id: 'summarize', variables: {} }, 'missing_prompt_variable', 'prompt.variables.text', /Missing variable 'text' of prompt summarize@1/],
      [{ id: 'summarize', variables: { text: 'x', lang: 'en' } }, 'unknown_prompt_variable', 'prompt.variables.lang', /Unknown variable 'lang' for prompt summarize@1; it takes text, sentences/],
      [{ id: 'summarize', variables: { text: 'x', sentences: 'two' } }, 'invalid_prompt_variable', 'prompt.variables.sentences', /must be of type integer/],
      [{ id: 'classify', variables: { ticket: 'x', labels: [1, 2] } }, 'invalid_prompt_variable', 'prompt.variables.labels', /must be an array of string values/],
      [{ variables: {} }, 'missing_required_parameter', 'prompt.id', /prompt\.id/],
      [{ id: 'summarize', vars: {} }, 'invalid_value', 'prompt.vars', /Unknown field 'prompt\.vars'/],
      [{ id: 'summarize', version: 'latest' }, 'invalid_value', 'prompt.version', /positive integer/],
    ];
    for (const [prompt, code, param, message] of cases) {
      const error = await expectError(await chat({ model: 'gpt', prompt }), 400);
      expect(error).toMatchObject({ type: 'invalid_request_error', code, param });
      expect(error.message).toMatch(message);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('passes `prompt` through the official openai SDK as an extra body field', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt', messages: [], prompt: { id: 'summarize', version: 2, variables: { text: 'Rain falls.' } } } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
    expect(response.headers.get('x-gatehouse-prompt')).toBe('summarize@2');
    expect(data.choices[0].message.content).toBeTruthy();
    expect(fake.last().body.messages.at(-1)).toEqual({ role: 'user', content: 'v2: Rain falls.' });
    const failed = client.chat.completions.create({ model: 'gpt', messages: [], prompt: { id: 'nope' } } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await expect(failed).rejects.toMatchObject({ status: 400, code: 'prompt_not_found' });
  });
});

describe('a request by reference on the Anthropic surface', () => {
  it('puts the prompt\'s system text in `system` and its turns before the request\'s', async () => {
    const res = await postJson(`${gw.url}/v1/messages`, {
      model: 'gpt',
      system: 'Answer in English.',
      prompt: { id: 'summarize', variables: { text: 'Birds fly.' } },
      messages: [{ role: 'user', content: 'Thanks!' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@1');
    expect((await res.json()).type).toBe('message');
    const sent = fake.last().body;
    // max_tokens came from the prompt: Anthropic's API requires one and the request gave none.
    expect(sent).toMatchObject({ max_tokens: 100, temperature: 0.2 });
    expect(sent.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Summarize in 3 sentences.' }, { type: 'text', text: 'Answer in English.' }] },
      { role: 'user', content: 'v1: Birds fly.' },
      { role: 'user', content: 'Thanks!' },
    ]);
  });

  it('counts the rendered prompt on /v1/messages/count_tokens', async () => {
    const count = async (body: Record<string, unknown>) => (await (await postJson(`${gw.url}/v1/messages/count_tokens`, { model: 'gpt', ...body })).json()).input_tokens;
    const bare = await count({ messages: [{ role: 'user', content: 'v1: Birds fly.' }] });
    const rendered = await count({ prompt: { id: 'summarize', variables: { text: 'Birds fly.' } } });
    expect(rendered).toBeGreaterThan(bare);
  });

  it('works through the official Anthropic SDK, and refuses a missing variable in Anthropic\'s error shape', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
    const params = { model: 'gpt', max_tokens: 20, messages: [], prompt: { id: 'summarize', version: 2, variables: { text: 'Snow.' } } };
    const message = await client.messages.create(params as unknown as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(fake.last().body).toMatchObject({ max_tokens: 20, temperature: 0.5 });
    const res = await postJson(`${gw.url}/v1/messages`, { model: 'gpt', max_tokens: 20, prompt: { id: 'summarize', variables: {} } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/Missing variable 'text'/) } });
  });
});

const PATHS = ['/endpoints/gpt/invocations', '/gateway/assistant/invocations', '/api/v1/chat', '/api/v1/assistant'];
const sentMessages = () => fake.last().body.messages.map((m: { role: string; content: string }) => [m.role, m.content]);

describe('prompt references on invocation paths', () => {
  it.each(PATHS)('%s renders the pinned version with its parameters, before the request\'s own messages', async (path) => {
    const res = await postJson(`${gw.url}${path}`, { prompt: SUMMARIZE, messages: [{ role: 'user', content: 'Keep it short.' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@1');
    expect(fake.last().body).toMatchObject({ temperature: 0.2, max_tokens: 100 });
    expect(fake.last().body.prompt).toBeUndefined();
    expect(sentMessages()).toEqual([
      ['system', 'Summarize in 3 sentences.'],
      ['user', 'v1: Cats sleep.'],
      ['user', 'Keep it short.'],
    ]);
  });

  it('takes an explicit version and streams', async () => {
    const res = await postJson(`${gw.url}/gateway/assistant/invocations`, { prompt: { ...SUMMARIZE, version: '2' }, stream: true });
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@2');
    const events = await allSseData(res);
    expect(events.length).toBeGreaterThan(0);
    expect(events).not.toContain('[DONE]');
    expect(sentMessages()[0]).toEqual(['system', 'You write 3-sentence summaries.']);
  });

  it('refuses a missing variable in MLflow\'s error shape on invocations and in OpenAI\'s on custom paths', async () => {
    const mlflow = await postJson(`${gw.url}/endpoints/gpt/invocations`, { prompt: { id: 'summarize', variables: {} } });
    expect(mlflow.status).toBe(400);
    const mlflowBody = await mlflow.json();
    expect(mlflowBody.error).toMatchObject({ code: 'missing_prompt_variable', param: 'prompt.variables.text' });
    expect(mlflowBody.detail).toEqual(expect.any(String));
    const custom = await postJson(`${gw.url}/api/v1/chat`, { prompt: { id: 'nope', variables: {} } });
    expect(custom.status).toBe(400);
    expect(await custom.json()).toEqual({ error: expect.objectContaining({ code: 'prompt_not_found', param: 'prompt.id' }) });
    expect(fake.requests).toHaveLength(0);
  });
});

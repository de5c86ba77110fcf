// The gemini provider through the running gateway, with the official openai SDK and raw HTTP, against a
// fake Gemini upstream: Google AI (API key) and Vertex AI (service-account JWT exchanged for a token).
import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseServiceAccount, ServiceAccountTokens } from '../src/providers/gemini/vertex-auth.js';
import { fakeGeminiEmbedding, GEMINI_REPLY, startFakeGemini, type FakeGemini } from './fakes/gemini-upstream.js';
import { load } from './helpers/config.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, chatBody, expectError, postJson, sseData } from './helpers/http.js';

const API_KEY = 'AIzaFakeGeminiKey-0123456789abcdefghij';
const CLIENT_EMAIL = 'gatehouse@my-project.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
// A thought signature as Gemini sends it: opaque base64 bytes.
const SIGNATURE = Buffer.from('opaque thought signature \u00ff\u00fe bytes').toString('base64');

let fake: FakeGemini;
let gw: TestGateway;
let client: OpenAI;

function serviceAccount(tokenUri: string, pem = PRIVATE_PEM): string {
  return JSON.stringify({ type: 'service_account', project_id: 'my-project', private_key_id: 'key-1', private_key: pem, client_email: CLIENT_EMAIL, token_uri: tokenUri });
}

const endpoint = (name: string, type: string, model: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name,
  endpoint_type: type,
  model: { provider: 'gemini', name: model, config },
  ...extra,
});

beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: API_KEY, publicKey, clientEmail: CLIENT_EMAIL, accessTokens: ['ya29.static-token'] });
  const google = { gemini_api_key: '$GEMINI_API_KEY', gemini_api_base: fake.baseUrl };
  const vertex = { vertex_project: 'my-project', vertex_location: 'europe-west4', vertex_api_base: fake.baseUrl };
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        endpoint('gemini', 'llm/v1/chat', 'gemini-2.5-flash', google),
        endpoint('lenient', 'llm/v1/chat', 'gemini-2.5-flash', google, { drop_unsupported_params: true }),
        endpoint('wrong-key', 'llm/v1/chat', 'gemini-2.5-flash', { ...google, gemini_api_key: 'AIzaNotTheRightKey-0123456789abcdef' }),
        endpoint('gemini-embed', 'llm/v1/embeddings', 'models/gemini-embedding-001', google),
        endpoint('vertex', 'llm/v1/chat', 'gemini-2.5-pro', { ...vertex, vertex_credentials: '$VERTEX_SA' }),
        endpoint('vertex-burst', 'llm/v1/chat', 'gemini-2.5-pro', { ...vertex, vertex_credentials: '$VERTEX_SA' }),
        endpoint('vertex-embed', 'llm/v1/embeddings', 'text-embedding-005', { ...vertex, vertex_credentials: '$VERTEX_SA' }),
        endpoint('vertex-static', 'llm/v1/chat', 'gemini-2.5-pro', { ...vertex, vertex_access_token: '$VERTEX_TOKEN' }),
        endpoint('vertex-bad-sa', 'llm/v1/chat', 'gemini-2.5-pro', { ...vertex, vertex_credentials: '$VERTEX_OTHER_SA' }),
      ],
    }),
    {
      env: {
        GEMINI_API_KEY: API_KEY,
        VERTEX_SA: serviceAccount(fake.tokenUri),
        VERTEX_OTHER_SA: serviceAccount(fake.tokenUri, otherKey),
        VERTEX_TOKEN: 'ya29.static-token',
      },
    },
  );
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: {
        city: { type: 'string', description: 'City name', format: 'uuid-ish', minLength: 1 },
        unit: { type: ['string', 'null'], enum: ['c', 'f', null] },
        when: { $ref: '#/$defs/when' },
      },
      required: ['city'],
      $defs: { when: { type: 'object', additionalProperties: false, properties: { day: { const: 'today' } } } },
    },
  },
};

describe('gemini via Google AI: chat', () => {
  it('maps messages and parameters to generateContent and the answer back', async () => {
    fake.next({ usage: { cachedContentTokenCount: 3, thoughtsTokenCount: 2 }, thought: 'Let me think.' });
    const reply = await client.chat.completions.create({
      model: 'gemini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'text', text: 'How are you?' }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      stop: 'END',
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      user: 'end-user-1',
    });
    const req = fake.last();
    expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.headers['x-goog-api-key']).toBe(API_KEY);
    expect(req.body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Answer in English.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        { role: 'user', parts: [{ text: 'How are you?' }] },
      ],
      generationConfig: { temperature: 0.2, topP: 0.9, maxOutputTokens: 50, stopSequences: ['END'], seed: 7, presencePenalty: 0.1, frequencyPenalty: 0.3 },
    });
    expect(reply.choices).toHaveLength(1);
    expect(reply.choices[0].message).toMatchObject({ role: 'assistant', content: GEMINI_REPLY });
    expect(reply.choices[0].finish_reason).toBe('stop');
    expect(reply.model).toBe('gemini-fake-001');
    // 6 words of system and user text reach the fake's prompt count; thinking is billed as output.
    expect(reply.usage).toMatchObject({ completion_tokens: 6 + 2, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 2 } });
    expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
  });

  it('asks for n candidates and reports max_tokens cuts as length', async () => {
    const reply = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }], n: 2, max_tokens: 2 });
    expect(fake.last().body.generationConfig).toEqual({ candidateCount: 2, maxOutputTokens: 2 });
    expect(reply.choices.map((c) => [c.index, c.finish_reason])).toEqual([
      [0, 'length'],
      [1, 'length'],
    ]);
    expect(reply.choices[0].message.content).toBe('Hello from');
  });

  it('streams text deltas as they arrive, then finish_reason, then usage', { timeout: 10_000 }, async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fake.next({ beforeEvent: (i) => (i === 1 ? held : undefined) });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('gemini', { stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(fake.last().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(fake.last().query).toBe('alt=sse');
    const events = sseData(res);
    const first = JSON.parse((await events.next()).value as string);
    // The first word came through while the upstream is still holding the rest.
    expect(first.choices[0].delta).toEqual({ role: 'assistant', content: 'Hello' });
    release();
    const rest = (await collect(events)).filter((e) => e !== '[DONE]').map((e) => JSON.parse(e));
    const text = first.choices[0].delta.content + rest.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe(GEMINI_REPLY);
    const finish = rest.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
    const usage = rest[rest.length - 1];
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ completion_tokens: 6, prompt_tokens: 1, total_tokens: 7 });
  });

  it('streams through the SDK without a usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(GEMINI_REPLY);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
  });

  it('sends images as inlineData (data URLs) and fileData (https URLs)', async () => {
    const png = Buffer.from('fake png bytes').toString('base64');
    await client.chat.completions.create({
      model: 'gemini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.JPG?size=large' } },
          ],
        },
      ],
    });
    expect(fake.last().body.contents[0].parts).toEqual([
      { text: 'What is in these?' },
      { inlineData: { mimeType: 'image/png', data: png } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.JPG?size=large' } },
    ]);
  });

  it('refuses gs:// URIs on Google AI, which cannot read Cloud Storage', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, {
      model: 'gemini',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'gs://bucket/cat.png' } }] }],
    });
    const error = await expectError(res, 400, 'gemini');
    expect(error.param).toBe('messages[0].content[0].image_url.url');
    expect(error.message).toMatch(/gs:\/\/ URIs need Vertex AI/);
    expect(fake.requests).toHaveLength(0);
  });

  it('maps JSON mode and JSON schemas (in Gemini\'s schema subset)', async () => {
    await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    expect(fake.last().body.generationConfig).toEqual({ responseMimeType: 'application/json' });
    await client.chat.completions.create({
      model: 'gemini',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_schema', json_schema: { name: 'w', strict: true, schema: WEATHER_TOOL.function.parameters } },
    });
    expect(fake.last().body.generationConfig.responseSchema).toEqual(CLEANED_WEATHER_SCHEMA);
  });

  it('refuses a parameter Gemini cannot take, or drops it when the endpoint allows', async () => {
    const refused = await postJson(`${gw.url}/v1/chat/completions`, chatBody('gemini', { logprobs: true }));
    const error = await expectError(refused, 400, 'gemini');
    expect(error).toMatchObject({ code: 'unsupported_parameter', param: 'logprobs' });
    const dropped = await postJson(`${gw.url}/v1/chat/completions`, chatBody('lenient', { logprobs: true }));
    expect(dropped.status).toBe(200);
    expect(dropped.headers.get('x-gatehouse-dropped-params')).toBe('logprobs');
    expect(fake.last().body).not.toHaveProperty('logprobs');
    // `false` asks for nothing, so it is no reason to refuse a request.
    expect((await postJson(`${gw.url}/v1/chat/completions`, chatBody('gemini', { logprobs: false }))).status).toBe(200);
  });
});

/** The weather tool's parameters as Gemini must receive them. */
const CLEANED_WEATHER_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'City name', minLength: 1 },
    unit: { type: 'string', nullable: true, enum: ['c', 'f'] },
    when: { type: 'object', properties: { day: { enum: ['today'] } } },
  },
  required: ['city'],
};

describe('gemini via Google AI: tools', () => {
  it('declares functions with cleaned schemas and maps a forced tool_choice', async () => {
    fake.next({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' }, thoughtSignature: SIGNATURE }] });
    const reply = await client.chat.completions.create({
      model: 'gemini',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [WEATHER_TOOL, { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(fake.last().body.tools).toEqual([
      { functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parameters: CLEANED_WEATHER_SCHEMA }, { name: 'get_time' }] },
    ]);
    expect(fake.last().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    const choice = reply.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toMatch(/^call_[0-9a-f]+_ts_[A-Za-z0-9_-]+$/);
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
  });

  it('rewrites unions, intersections and recursive types into what Gemini accepts', async () => {
    const parameters = {
      type: 'object',
      properties: {
        note: { anyOf: [{ type: 'string', maxLength: 10 }, { type: 'null' }], description: 'Optional note' },
        id: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        tree: { $ref: '#/definitions/node' },
        range: { allOf: [{ type: 'object', properties: { from: { type: 'integer' } }, required: ['from'] }, { properties: { to: { type: 'integer' } }, required: ['to'] }] },
      },
      definitions: {
        node: { type: 'object', properties: { label: { type: 'string' }, left: { $ref: '#/definitions/node' }, right: { $ref: '#/definitions/node' } } },
      },
    };
    await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'function', function: { name: 'f', parameters } }] });
    expect(fake.last().body.tools[0].functionDeclarations[0].parameters).toEqual({
      type: 'object',
      properties: {
        note: { type: 'string', maxLength: 10, nullable: true, description: 'Optional note' },
        id: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        tree: { type: 'object', properties: { label: { type: 'string' }, left: { type: 'object' }, right: { type: 'object' } } },
        range: { type: 'object', properties: { from: { type: 'integer' }, to: { type: 'integer' } }, required: ['from', 'to'] },
      },
    });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
  ] as const)('maps tool_choice %s', async (choice, config) => {
    await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }], tools: [WEATHER_TOOL], tool_choice: choice });
    expect(fake.last().body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('completes a tool round trip: calls with their thought signatures, results by function name', async () => {
    fake.next({
      functionCalls: [
        { name: 'get_weather', args: { city: 'Paris' }, thoughtSignature: SIGNATURE },
        { name: 'get_weather', args: { city: 'Rome' } },
      ],
    });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris and Rome?' }];
    const first = await client.chat.completions.create({ model: 'gemini', messages, tools: [WEATHER_TOOL] });
    const calls = first.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => c.function.arguments)).toEqual(['{"city":"Paris"}', '{"city":"Rome"}']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    messages.push(first.choices[0].message);
    messages.push({ role: 'tool', tool_call_id: calls[0].id, content: '{"temp_c": 21}' });
    messages.push({ role: 'tool', tool_call_id: calls[1].id, content: 'sunny' });

    fake.next({ text: 'Paris is 21C, Rome is sunny.' });
    const second = await client.chat.completions.create({ model: 'gemini', messages, tools: [WEATHER_TOOL] });
    expect(second.choices[0].message.content).toBe('Paris is 21C, Rome is sunny.');
    expect(fake.last().body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIGNATURE },
          { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp_c: 21 } } },
          { functionResponse: { name: 'get_weather', response: { content: 'sunny' } } },
        ],
      },
    ]);
  });

  it('streams a function call as one complete tool_calls delta', async () => {
    fake.next({ functionCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }] });
    const stream = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Oslo?' }], tools: [WEATHER_TOOL], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas).toEqual([{ index: 0, id: expect.stringMatching(/^call_[0-9a-f]+$/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
  });

  it('refuses a tool result that answers no earlier call', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, {
      model: 'gemini',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'tool', tool_call_id: 'call_unknown', content: 'x' },
      ],
    });
    expect((await expectError(res, 400, 'gemini')).param).toBe('messages[1].tool_call_id');
  });
});

describe('gemini via Google AI: embeddings', () => {
  it('embeds one text with embedContent and several with batchEmbedContents', async () => {
    const one = await client.embeddings.create({ model: 'gemini-embed', input: 'hello world', dimensions: 3 });
    expect(fake.last().path).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(fake.last().body).toEqual({ content: { parts: [{ text: 'hello world' }] }, outputDimensionality: 3 });
    expect(one.data[0].embedding).toEqual(fakeGeminiEmbedding('hello world', 3));

    const many = await client.embeddings.create({ model: 'gemini-embed', input: ['a', 'b'], encoding_format: 'float' });
    expect(fake.last().path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(fake.last().body.requests).toHaveLength(2);
    expect(many.data.map((d) => d.embedding)).toEqual([fakeGeminiEmbedding('a'), fakeGeminiEmbedding('b')]);
  });

  it('refuses token-id input', async () => {
    const res = await postJson(`${gw.url}/v1/embeddings`, { model: 'gemini-embed', input: [1, 2, 3] });
    expect((await expectError(res, 400, 'gemini-embed')).param).toBe('input');
  });
});

describe('gemini errors', () => {
  const chat = (model = 'gemini') => postJson(`${gw.url}/v1/chat/completions`, chatBody(model));

  it('passes RESOURCE_EXHAUSTED on as 429 and INVALID_ARGUMENT as 400', async () => {
    fake.next({ status: 429, message: 'Resource has been exhausted (e.g. check quota).', headers: { 'retry-after': '7' } });
    const limited = await chat();
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await expectError(limited, 429, 'gemini')).toMatchObject({ code: 'upstream_rate_limited', upstream_status: 429 });
    fake.next({ status: 400, message: 'Request contains an invalid argument.' });
    expect((await expectError(await chat(), 400, 'gemini')).message).toMatch(/invalid argument/);
  });

  it("turns Google's RetryInfo retryDelay in a 429 body into Retry-After", async () => {
    fake.next({ status: 429, message: 'Resource has been exhausted (e.g. check quota).', retryDelay: '6.5s' });
    const limited = await chat();
    expect(limited.headers.get('retry-after')).toBe('7');
    await expectError(limited, 429, 'gemini');
  });

  it('reports PERMISSION_DENIED, UNAVAILABLE and a wrong API key as 502', async () => {
    fake.next({ status: 403, message: 'Permission denied' }, { status: 503, message: 'The model is overloaded.' });
    expect(await expectError(await chat(), 502, 'gemini')).toMatchObject({ type: 'upstream_error', upstream_status: 403 });
    expect(await expectError(await chat(), 502, 'gemini')).toMatchObject({ type: 'upstream_error', upstream_status: 503 });
    const wrongKey = await expectError(await chat('wrong-key'), 502, 'wrong-key');
    expect(wrongKey).toMatchObject({ type: 'upstream_error', upstream_status: 400 });
    expect(wrongKey.message).not.toContain('AIzaNotTheRightKey');
  });

  it('reports a prompt over the token limit as context_length_exceeded', async () => {
    fake.next({ status: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).' });
    expect(await expectError(await chat(), 400, 'gemini')).toMatchObject({ code: 'context_length_exceeded' });
  });

  it('reports a blocked prompt as a 400 content_filter error, streamed or not', async () => {
    fake.next({ blockReason: 'SAFETY' }, { blockReason: 'PROHIBITED_CONTENT' });
    const plain = await expectError(await chat(), 400, 'gemini');
    expect(plain).toMatchObject({ code: 'content_filter' });
    expect(plain.message).toMatch(/blocked the prompt.*SAFETY/);
    const streamed = await postJson(`${gw.url}/v1/chat/completions`, chatBody('gemini', { stream: true }));
    expect(await expectError(streamed, 400, 'gemini')).toMatchObject({ code: 'content_filter' });
  });

  it('ends a stream with an error event when Gemini fails mid-stream', async () => {
    fake.next({ errorEventAt: 2 });
    const events = await allSseData(await postJson(`${gw.url}/v1/chat/completions`, chatBody('gemini', { stream: true })));
    const last = JSON.parse(events[events.length - 1]);
    expect(last.error).toMatchObject({ code: 'upstream_error', message: expect.stringMatching(/failed mid-stream: Internal error encountered/) });
    expect(events.slice(0, -1).map((e) => JSON.parse(e).choices[0].delta.content).join('')).toBe('Hello from');
  });

  it('maps safety finish reasons to content_filter', async () => {
    fake.next({ finishReason: 'SAFETY' }, { finishReason: 'RECITATION' });
    const reply = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(reply.choices[0].finish_reason).toBe('content_filter');
    const events = await allSseData(await postJson(`${gw.url}/v1/chat/completions`, chatBody('gemini', { stream: true })));
    const finishes = events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e).choices[0]?.finish_reason).filter(Boolean);
    expect(finishes).toEqual(['content_filter']);
  });
});

describe('gemini via Vertex AI', () => {
  it('signs a JWT for the service account, exchanges it once, and sends the token as Bearer', async () => {
    const stream = await client.chat.completions.create({ model: 'vertex', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    for await (const _ of stream) void _;
    await client.chat.completions.create({ model: 'vertex', messages: [{ role: 'user', content: 'Hi' }] });
    await client.chat.completions.create({ model: 'vertex', messages: [{ role: 'user', content: 'Hi again' }] });
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent',
      '/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent',
      '/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent',
    ]);
    expect(new Set(fake.requests.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer ya29.fake-access-token-1']));
    expect(fake.assertions).toHaveLength(1);
    const { payload } = await jwtVerify(fake.assertions[0], publicKey, { algorithms: ['RS256'] });
    expect(payload).toMatchObject({ iss: CLIENT_EMAIL, aud: fake.tokenUri, scope: 'https://www.googleapis.com/auth/cloud-platform' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(decodeProtectedHeader(fake.assertions[0])).toMatchObject({ alg: 'RS256', kid: 'key-1' });
  });

  it('shares one token exchange among concurrent first requests', async () => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => client.chat.completions.create({ model: 'vertex-burst', messages: [{ role: 'user', content: 'Hi' }] })));
    expect(replies.every((r) => r.choices[0].message.content === GEMINI_REPLY)).toBe(true);
    expect(fake.assertions).toHaveLength(1);
    expect(new Set(fake.requests.map((r) => r.headers.authorization)).size).toBe(1);
  });

  it('drops a token Vertex refuses and exchanges a new one for the next request', async () => {
    await client.chat.completions.create({ model: 'vertex', messages: [{ role: 'user', content: 'Hi' }] });
    fake.revokeTokens();
    const refused = await postJson(`${gw.url}/v1/chat/completions`, chatBody('vertex'));
    expect(await expectError(refused, 502, 'vertex')).toMatchObject({ upstream_status: 401 });
    await client.chat.completions.create({ model: 'vertex', messages: [{ role: 'user', content: 'Hi' }] });
    expect(fake.assertions).toHaveLength(1);
    expect(fake.last().headers.authorization).toMatch(/^Bearer ya29\.fake-access-token-\d+$/);
    expect(fake.last().headers.authorization).not.toBe(fake.requests[0].headers.authorization);
  });

  it('reuses a token until five minutes before it expires, then exchanges a new one', async () => {
    const account = parseServiceAccount(serviceAccount(fake.tokenUri));
    if (typeof account === 'string') throw new Error(account);
    let now = Date.now();
    const tokens = new ServiceAccountTokens(account, () => now);
    const first = await tokens.token();
    now += 54 * 60_000; // the fake's tokens last 3599 s
    expect(await tokens.token()).toBe(first);
    expect(fake.assertions).toHaveLength(1);
    now += 60_000;
    expect(await tokens.token()).not.toBe(first);
    expect(fake.assertions).toHaveLength(2);
  });

  it('reports a refused token exchange as a 502 without the assertion', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('vertex-bad-sa'));
    const error = await expectError(res, 502, 'vertex-bad-sa');
    expect(error.code).toBe('upstream_auth_failed');
    expect(error.message).toMatch(/Could not get a Vertex AI access token for gatehouse@/);
    expect(error.message).not.toContain(fake.assertions[0]);
    expect(fake.requests).toHaveLength(0);
  });

  it('sends a static vertex_access_token and passes gs:// URIs as fileData', async () => {
    await client.chat.completions.create({
      model: 'vertex-static',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'gs://bucket/photos/cat.webp' } }] }],
    });
    expect(fake.last().headers.authorization).toBe('Bearer ya29.static-token');
    expect(fake.last().body.contents[0].parts).toEqual([{ fileData: { mimeType: 'image/webp', fileUri: 'gs://bucket/photos/cat.webp' } }]);
    expect(fake.assertions).toHaveLength(0);
  });

  it('embeds with predict and reports its token counts', async () => {
    const res = await client.embeddings.create({ model: 'vertex-embed', input: ['one two', 'three'], dimensions: 2 });
    expect(fake.last().path).toBe('/v1/projects/my-project/locations/europe-west4/publishers/google/models/text-embedding-005:predict');
    expect(fake.last().body).toEqual({ instances: [{ content: 'one two' }, { content: 'three' }], parameters: { outputDimensionality: 2 } });
    expect(res.data.map((d) => d.embedding)).toEqual([fakeGeminiEmbedding('one two', 2), fakeGeminiEmbedding('three', 2)]);
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });
});

describe('gemini config', () => {
  const yaml = (config: string) => `
endpoints:
  - name: g
    endpoint_type: llm/v1/chat
    model: { provider: gemini, name: gemini-2.5-flash, config: ${config} }
`;
  const messages = (config: string, env: NodeJS.ProcessEnv = {}) => load(yaml(config), env).issues.map((i) => i.message).join('\n');

  it('needs a key for Google AI, or a project with one credential for Vertex AI', () => {
    expect(messages('{}')).toMatch(/gemini_api_key is required/);
    expect(messages('{ vertex_project: p }')).toMatch(/exactly one of vertex_credentials .* or vertex_access_token/);
    expect(messages('{ vertex_access_token: t }')).toMatch(/vertex_project is required with vertex_access_token/);
    expect(messages('{ gemini_api_key: k, vertex_project: p, vertex_access_token: t }')).toMatch(/not both/);
    expect(messages('{ vertex_project: p, vertex_access_token: t }')).toBe('');
  });

  it('checks the service-account key without quoting it', () => {
    const broken = JSON.stringify({ type: 'service_account', client_email: CLIENT_EMAIL, private_key: 'not-a-pem-secret-value' });
    const text = messages('{ vertex_project: p, vertex_credentials: $SA }', { SA: broken });
    expect(text).toMatch(/private_key is not a PEM private key/);
    expect(text).not.toContain('not-a-pem-secret-value');
    expect(messages('{ vertex_project: p, vertex_credentials: $SA }', { SA: 'nope' })).toMatch(/not JSON/);
  });
});

async function collect(events: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of events) out.push(e);
  return out;
}

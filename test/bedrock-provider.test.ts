// The bedrock provider: AWS SigV4 against AWS's published test vectors, the event-stream decoder, and
// the official `openai` client through the gateway to a fake Bedrock Runtime (and STS) that checks
// every request's signature and shape: chat, streams cut at awkward byte offsets, tools, images,
// embeddings (Titan and Cohere), errors, and credentials from the config, the environment or a role.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeEventStream } from '../src/providers/bedrock/eventstream.js';
import { signRequest } from '../src/providers/bedrock/sigv4.js';
import { BEDROCK_REPLY, encodeFrame, eventFrame, startFakeBedrock, type FakeBedrock } from './fakes/bedrock-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, expectError, postJson, sseData } from './helpers/http.js';

const REGION = 'eu-west-3';
const CONFIG_KEY = { accessKeyId: 'AKIACONFIGKEY000001', secretAccessKey: 'config-secret-key-0123456789abcdef' };
const ENV_KEY = { accessKeyId: 'ASIAENVKEY000000002', secretAccessKey: 'env-secret-key-0123456789abcdef', sessionToken: 'env-session-token/+=abc' };
const ROLE_ARN = 'arn:aws:iam::123456789012:role/bedrock-invoker';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';

let fake: FakeBedrock;
let gw: TestGateway;
let client: OpenAI;

const awsConfig = (extra: Record<string, unknown> = {}) => ({
  aws_region: REGION,
  aws_access_key_id: CONFIG_KEY.accessKeyId,
  aws_secret_access_key: CONFIG_KEY.secretAccessKey,
  aws_endpoint_url: fake.url,
  ...extra,
});
const endpoint = (name: string, type: string, model: string, aws: Record<string, unknown> = awsConfig(), extra: Record<string, unknown> = {}) => ({
  name,
  endpoint_type: type,
  model: { provider: 'bedrock', name: model, config: { aws_config: aws } },
  ...extra,
});

beforeAll(async () => {
  fake = await startFakeBedrock({ region: REGION, keys: [CONFIG_KEY, ENV_KEY] });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        endpoint('claude', 'llm/v1/chat', CLAUDE),
        endpoint('claude-lenient', 'llm/v1/chat', CLAUDE, awsConfig(), { drop_unsupported_params: true }),
        endpoint('titan', 'llm/v1/embeddings', 'amazon.titan-embed-text-v2:0'),
        endpoint('titan-v1', 'llm/v1/embeddings', 'amazon.titan-embed-text-v1'),
        endpoint('cohere', 'llm/v1/embeddings', 'cohere.embed-english-v3'),
        endpoint('role', 'llm/v1/chat', CLAUDE, awsConfig({ aws_role_arn: ROLE_ARN, aws_sts_endpoint_url: `${fake.url}/`, session_length_seconds: 1800 })),
        // MLflow's other name for the provider, and its `<provider>_config` spelling.
        { name: 'mlflow-style', endpoint_type: 'llm/v1/chat', model: { provider: 'amazon-bedrock', name: 'amazon.nova-lite-v1:0', bedrock_config: { aws_config: awsConfig() } } },
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
afterEach(() => vi.unstubAllEnvs());

describe('AWS Signature Version 4', () => {
  // AWS's SigV4 test suite (example credentials, 2015-08-30T12:36:00Z, us-east-1, service "service").
  const suite = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const sign = (method: string, url: string) =>
    signRequest({ method, url: new URL(url), headers: {}, body: '', region: 'us-east-1', service: 'service', credentials: suite, now: new Date('2015-08-30T12:36:00Z') });

  it.each([
    ['get-vanilla', 'GET', 'https://example.amazonaws.com/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['get-vanilla-query-order-key-case', 'GET', 'https://example.amazonaws.com/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['post-vanilla', 'POST', 'https://example.amazonaws.com/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
  ])('reproduces the suite’s %s signature', (_name, method, url, signature) => {
    const headers = sign(method, url);
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    );
  });

  it('signs the session token of temporary credentials', () => {
    const headers = signRequest({ method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '', region: 'us-east-1', service: 'service', credentials: { ...suite, sessionToken: 'tok' } });
    expect(headers['x-amz-security-token']).toBe('tok');
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});

describe('event-stream decoder', () => {
  const frames = Buffer.concat([eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { delta: { text: 'héllo' }, contentBlockIndex: 0 })]);
  async function* pieces(...parts: Buffer[]) {
    yield* parts;
  }
  const decodeAll = async (...parts: Buffer[]) => {
    const out: { type: unknown; payload: any }[] = [];
    for await (const m of decodeEventStream(pieces(...parts))) out.push({ type: m.headers[':event-type'], payload: JSON.parse(m.payload.toString()) });
    return out;
  };

  it('decodes the same messages wherever the bytes are cut', async () => {
    const whole = await decodeAll(frames);
    expect(whole.map((m) => m.type)).toEqual(['messageStart', 'contentBlockDelta']);
    expect(whole[1].payload.delta.text).toBe('héllo');
    for (let cut = 1; cut < frames.length; cut++) {
      expect(await decodeAll(frames.subarray(0, cut), frames.subarray(cut))).toEqual(whole);
    }
    expect(await decodeAll(...[...frames].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('yields a message before the next one has arrived', async () => {
    let released = false;
    async function* slow() {
      yield eventFrame('messageStart', { role: 'assistant' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      released = true;
      yield eventFrame('messageStop', { stopReason: 'end_turn' });
    }
    const iterator = decodeEventStream(slow());
    const first = await iterator.next();
    expect(first.value?.headers[':event-type']).toBe('messageStart');
    expect(released).toBe(false);
    await iterator.return(undefined);
  });

  it('refuses corrupt checksums and truncated streams', async () => {
    const corrupt = Buffer.from(frames);
    corrupt[20] ^= 0xff;
    await expect(decodeAll(corrupt)).rejects.toThrow(/checksum/);
    await expect(decodeAll(frames.subarray(0, frames.length - 3))).rejects.toThrow(/ended inside a message/);
    const badPrelude = encodeFrame({ ':message-type': 'event' }, Buffer.from('{}'));
    badPrelude[9] ^= 0x01;
    await expect(decodeAll(badPrelude)).rejects.toThrow(/prelude checksum/);
  });
});

describe('chat through Converse', () => {
  it('sends a signed Converse request with the system prompt and inference settings, and maps the answer', async () => {
    const { data } = await client.chat.completions
      .create({
        model: 'claude',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello there' },
          { role: 'assistant', content: 'Hi!' },
          { role: 'user', content: [{ type: 'text', text: 'Part one. ' }, { type: 'text', text: 'Part two.' }] },
        ],
        max_tokens: 200,
        temperature: 0.3,
        top_p: 0.9,
        stop: ['END'],
        user: 'u-1',
      })
      .withResponse();
    expect(data.choices[0].message).toMatchObject({ role: 'assistant', content: BEDROCK_REPLY });
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.id).toBe('chatcmpl-fake-request-id');
    expect(data.model).toBe(CLAUDE);
    expect(data.usage).toEqual({ prompt_tokens: 9, completion_tokens: 6, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } });

    const sent = fake.last();
    expect(sent.action).toBe('converse');
    // The model id is one encoded path segment (":" -> %3A); the signature covers it encoded twice.
    expect(sent.rawPath).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
    expect(sent.modelId).toBe(CLAUDE);
    expect(sent).toMatchObject({ signedBy: CONFIG_KEY.accessKeyId, service: 'bedrock', region: REGION });
    expect(sent.headers['x-amz-security-token']).toBeUndefined();
    expect(sent.body).toEqual({
      messages: [
        { role: 'user', content: [{ text: 'Hello there' }] },
        { role: 'assistant', content: [{ text: 'Hi!' }] },
        { role: 'user', content: [{ text: 'Part one. ' }, { text: 'Part two.' }] },
      ],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 200, temperature: 0.3, topP: 0.9, stopSequences: ['END'] },
    });
    expect(JSON.stringify(sent.headers)).not.toContain('client-key');
  });

  it('maps stop reasons and counts cached prompt tokens', async () => {
    fake.next({ stopReason: 'max_tokens', cacheReadInputTokens: 100 }, { stopReason: 'guardrail_intervened' });
    const cut = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'one two three' }] });
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage).toMatchObject({ prompt_tokens: 103, completion_tokens: 6, total_tokens: 109, prompt_tokens_details: { cached_tokens: 100 } });
    const filtered = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] });
    expect(filtered.choices[0].finish_reason).toBe('content_filter');
  });

  it('streams ConverseStream events as chunks, with usage last', async () => {
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Stream please' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const contents = chunks.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect(contents.length).toBe(6);
    expect(contents.join('')).toBe(BEDROCK_REPLY);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 });
    expect(fake.last().rawPath).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream');
    expect(fake.last().headers.accept).toBe('application/vnd.amazon.eventstream');
  });

  it('leaves the usage chunk out when the client did not ask for it', async () => {
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
  });

  it('sends an inference-profile ARN as one encoded path segment', async () => {
    const arn = `arn:aws:bedrock:${REGION}:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0`;
    const arnGw = await startGateway(JSON.stringify({ endpoints: [endpoint('profile', 'llm/v1/chat', arn)] }));
    try {
      expect((await postJson(`${arnGw.url}/v1/chat/completions`, chatBody('profile'))).status).toBe(200);
      expect(fake.last().modelId).toBe(arn);
      expect(fake.last().rawPath).toBe(`/model/${encodeURIComponent(arn)}/converse`);
    } finally {
      await arnGw.close();
    }
  });

  it('serves MLflow’s amazon-bedrock name and bedrock_config spelling', async () => {
    const res = await client.chat.completions.create({ model: 'mlflow-style', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.choices[0].message.content).toBe(BEDROCK_REPLY);
    expect(fake.last().modelId).toBe('amazon.nova-lite-v1:0');
  });
});

describe('tools', () => {
  const tools: OpenAI.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    { type: 'function', function: { name: 'no_params' } },
  ];

  it('declares tools, forces a choice and maps the toolUse answer to tool_calls', async () => {
    const res = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.content).toBeNull();
    expect(res.choices[0].message.tool_calls).toEqual([{ id: 'tooluse_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":3}' } }]);
    expect(fake.last().body.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'get_weather', description: 'Weather for a city', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } },
        { toolSpec: { name: 'no_params', inputSchema: { json: { type: 'object', properties: {} } } } },
      ],
      toolChoice: { tool: { name: 'get_weather' } },
    });
  });

  it('maps tool_choice auto and required', async () => {
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: 'auto' });
    expect(fake.last().body.toolConfig.toolChoice).toEqual({ auto: {} });
    const forced = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: 'required' });
    expect(fake.last().body.toolConfig.toolChoice).toEqual({ any: {} });
    expect(forced.choices[0].message.tool_calls).toMatchObject([{ function: { name: 'get_weather' } }]);
  });

  it('streams the tool call: id and name first, then the input JSON in pieces', async () => {
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'required', stream: true });
    const deltas = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) deltas.push(tc);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toEqual({ index: 0, id: 'tooluse_fake1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    const argumentPieces = deltas.slice(1).map((d) => d.function?.arguments);
    expect(argumentPieces.length).toBe(3);
    expect(deltas.slice(1).every((d) => d.index === 0 && d.id === undefined)).toBe(true);
    expect(JSON.parse(argumentPieces.join(''))).toEqual({ city: 'Paris', days: 3 });
    expect(finish).toBe('tool_calls');
  });

  it('sends a tool-call history as toolUse and toolResult blocks, merging turns of the same role', async () => {
    await client.chat.completions.create({
      model: 'claude',
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'Rainy' }] },
        { role: 'user', content: 'Thanks, summarize.' },
      ],
    });
    expect(fake.last().body.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { text: 'Checking.' },
          { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'call_1', content: [{ text: 'Sunny' }] } },
          { toolResult: { toolUseId: 'call_2', content: [{ text: 'Rainy' }] } },
          { text: 'Thanks, summarize.' },
        ],
      },
    ]);
  });
});

describe('images and unsupported parameters', () => {
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');

  it('sends data-URL images as bytes with their format', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }],
    });
    expect(fake.last().body.messages[0].content).toEqual([{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: PNG } } }]);
  });

  it('refuses image URLs it would have to fetch, and parameters Converse lacks, unless told to drop them', async () => {
    const image = { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] };
    const refused = await expectError(await postJson(`${gw.url}/v1/chat/completions`, { model: 'claude', messages: [image] }), 400, 'claude');
    expect(refused).toMatchObject({ code: 'unsupported_parameter', param: 'image_url' });
    const seed = await expectError(await postJson(`${gw.url}/v1/chat/completions`, chatBody('claude', { seed: 7 })), 400, 'claude');
    expect(seed).toMatchObject({ code: 'unsupported_parameter', param: 'seed' });
    expect(fake.requests).toHaveLength(0);

    const res = await postJson(`${gw.url}/v1/chat/completions`, { model: 'claude-lenient', messages: [image], seed: 7, n: 2 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-dropped-params')).toContain('seed');
    expect(fake.last().body.messages[0].content).toEqual([{ text: 'Look' }]);
  });
});

describe('embeddings', () => {
  it('calls Titan once per input, with dimensions, and sums the token counts', async () => {
    const res = await client.embeddings.create({ model: 'titan', input: ['first text', 'the second text'], dimensions: 256 });
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data.every((d) => d.embedding.length === 256)).toBe(true);
    expect(res.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    expect(fake.requests.map((r) => r.action)).toEqual(['invoke', 'invoke']);
    expect(fake.requests.map((r) => r.body).sort((a, b) => a.inputText.localeCompare(b.inputText))).toEqual([
      { inputText: 'first text', dimensions: 256 },
      { inputText: 'the second text', dimensions: 256 },
    ]);
    expect(fake.last().rawPath).toBe('/model/amazon.titan-embed-text-v2%3A0/invoke');
  });

  it('refuses dimensions on Titan v1, whose vectors have a fixed length', async () => {
    const error = await expectError(await postJson(`${gw.url}/v1/embeddings`, { model: 'titan-v1', input: 'x', dimensions: 256 }), 400, 'titan-v1');
    expect(error).toMatchObject({ code: 'unsupported_parameter', param: 'dimensions' });
    const res = await client.embeddings.create({ model: 'titan-v1', input: 'plain' });
    expect(res.data[0].embedding).toHaveLength(1536);
  });

  it('sends Cohere texts in one call with an input type, taking tokens from Bedrock’s header', async () => {
    const res = await client.embeddings.create({ model: 'cohere', input: ['alpha beta', 'gamma'] });
    expect(res.data).toHaveLength(2);
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.last().body).toEqual({ texts: ['alpha beta', 'gamma'], input_type: 'search_document' });

    await postJson(`${gw.url}/v1/embeddings`, { model: 'cohere', input: 'q', input_type: 'search_query' });
    expect(fake.last().body.input_type).toBe('search_query');
  });

  it('answers base64 when asked, as OpenAI does', async () => {
    const res = await postJson(`${gw.url}/v1/embeddings`, { model: 'cohere', input: 'x', encoding_format: 'base64' });
    const body = (await res.json()) as { data: { embedding: string }[] };
    expect(Buffer.from(body.data[0].embedding, 'base64').length).toBe(1024 * 4);
  });
});

describe('errors', () => {
  const chatUrl = () => `${gw.url}/v1/chat/completions`;

  it('reports a prompt over the context window as context_length_exceeded', async () => {
    fake.next({ error: { status: 400, type: 'ValidationException', message: 'Input is too long for requested model.' } });
    const error = await expectError(await postJson(chatUrl(), chatBody('claude')), 400, 'claude');
    expect(error).toMatchObject({ code: 'context_length_exceeded', upstream_status: 400 });
    expect(error.message).toContain('Input is too long');
  });

  it.each([
    [400, 'ValidationException', 'Malformed input request', 400, 'upstream_error'],
    [404, 'ResourceNotFoundException', 'Model not found', 404, 'upstream_error'],
    [429, 'ThrottlingException', 'Too many requests, please wait before trying again.', 429, 'upstream_rate_limited'],
    [403, 'AccessDeniedException', 'You don’t have access to the model with the specified model ID.', 502, 'upstream_error'],
    [503, 'ServiceUnavailableException', 'Bedrock is unable to process your request.', 502, 'upstream_error'],
    [424, 'ModelErrorException', 'The model failed to process the request.', 502, 'upstream_error'],
  ])('maps HTTP %i %s', async (status, type, message, gatewayStatus, code) => {
    fake.next({ error: { status, type, message } });
    const error = await expectError(await postJson(chatUrl(), chatBody('claude')), gatewayStatus, 'claude');
    expect(error).toMatchObject({ code, upstream_status: status });
    expect(error.message).toContain(message);
  });

  it('ends a stream with an error event when Bedrock sends an exception frame', async () => {
    fake.next({ exception: { afterEvents: 3, type: 'throttlingException', message: 'Too many tokens, please wait.' } });
    const res = await postJson(chatUrl(), chatBody('claude', { stream: true }));
    expect(res.status).toBe(200);
    const events = [];
    for await (const data of sseData(res)) events.push(data);
    const last = JSON.parse(events.at(-1)!);
    expect(last.error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_rate_limited', upstream_status: 429 });
    expect(last.error.message).toContain('throttlingException: Too many tokens');
    const texts = events.slice(0, -1).map((e) => JSON.parse(e).choices?.[0]?.delta?.content ?? '');
    expect(texts.join('')).toBe('Hello from');
  });

  it('answers a stream whose first frame is an exception with a plain JSON error', async () => {
    fake.next({ exception: { afterEvents: 0, type: 'validationException', message: 'prompt is too long: 250000 tokens > 200000 maximum' } });
    const error = await expectError(await postJson(chatUrl(), chatBody('claude', { stream: true })), 400, 'claude');
    expect(error).toMatchObject({ code: 'context_length_exceeded', upstream_status: 400 });
  });

  it('never echoes the secret key', async () => {
    fake.next({ error: { status: 400, type: 'ValidationException', message: `bad key ${CONFIG_KEY.secretAccessKey}` } });
    const error = await expectError(await postJson(chatUrl(), chatBody('claude')), 400, 'claude');
    expect(error.message).not.toContain(CONFIG_KEY.secretAccessKey);
  });
});

describe('credentials', () => {
  const single = (name: string, aws: Record<string, unknown>) => JSON.stringify({ endpoints: [endpoint(name, 'llm/v1/chat', CLAUDE, aws)] });

  it('reads keys, session token and region from the standard AWS environment variables', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', ENV_KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', ENV_KEY.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', ENV_KEY.sessionToken);
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', REGION);
    const envGw = await startGateway(single('from-env', { aws_endpoint_url: fake.url }));
    try {
      const res = await postJson(`${envGw.url}/v1/chat/completions`, chatBody('from-env'));
      expect(res.status).toBe(200);
      expect(fake.last()).toMatchObject({ signedBy: ENV_KEY.accessKeyId, region: REGION });
      expect(fake.last().headers['x-amz-security-token']).toBe(ENV_KEY.sessionToken);
    } finally {
      await envGw.close();
    }
  });

  it('prefers keys written in the config over the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', ENV_KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', ENV_KEY.secretAccessKey);
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] });
    expect(fake.last().signedBy).toBe(CONFIG_KEY.accessKeyId);
  });

  it('answers a clear 500 when neither the config nor the environment has a region or keys', async () => {
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) vi.stubEnv(name, '');
    const bare = await startGateway(JSON.stringify({ endpoints: [endpoint('no-region', 'llm/v1/chat', CLAUDE, { aws_endpoint_url: fake.url }), endpoint('no-keys', 'llm/v1/chat', CLAUDE, { aws_region: REGION, aws_endpoint_url: fake.url })] }));
    try {
      const noRegion = await expectError(await postJson(`${bare.url}/v1/chat/completions`, chatBody('no-region')), 500, 'no-region');
      expect(noRegion).toMatchObject({ code: 'provider_not_configured' });
      expect(noRegion.message).toContain('aws_region');
      const noKeys = await expectError(await postJson(`${bare.url}/v1/chat/completions`, chatBody('no-keys')), 500, 'no-keys');
      expect(noKeys.message).toContain('AWS_ACCESS_KEY_ID');
      expect(fake.requests).toHaveLength(0);
    } finally {
      await bare.close();
    }
  });

  it('is refused by Bedrock and STS when the signature is wrong, reported as a 502', async () => {
    const wrong = { aws_access_key_id: CONFIG_KEY.accessKeyId, aws_secret_access_key: 'not-the-right-secret-0123456789' };
    const badGw = await startGateway(
      JSON.stringify({
        endpoints: [endpoint('bad-sig', 'llm/v1/chat', CLAUDE, awsConfig(wrong)), endpoint('bad-role', 'llm/v1/chat', CLAUDE, awsConfig({ ...wrong, aws_role_arn: ROLE_ARN, aws_sts_endpoint_url: fake.url }))],
      }),
    );
    try {
      const signature = await expectError(await postJson(`${badGw.url}/v1/chat/completions`, chatBody('bad-sig')), 502, 'bad-sig');
      expect(signature).toMatchObject({ type: 'upstream_error', upstream_status: 403 });
      expect(signature.message).toContain('signature we calculated does not match');
      const role = await expectError(await postJson(`${badGw.url}/v1/chat/completions`, chatBody('bad-role')), 502, 'bad-role');
      expect(role.message).toContain(`Could not assume role ${ROLE_ARN}`);
      expect(JSON.stringify([signature, role])).not.toContain(wrong.aws_secret_access_key);
    } finally {
      await badGw.close();
    }
  });

  it('refuses a config with half a key pair', async () => {
    await expect(startGateway(single('half', { aws_region: REGION, aws_access_key_id: 'AKIAONLYID' }))).rejects.toThrow(/aws_access_key_id and aws_secret_access_key go together/);
  });

  it('assumes aws_role_arn through STS once, and signs Bedrock calls with the temporary credentials', async () => {
    await client.chat.completions.create({ model: 'role', messages: [{ role: 'user', content: 'x' }] });
    await client.chat.completions.create({ model: 'role', messages: [{ role: 'user', content: 'y' }] });
    const [sts, ...calls] = fake.requests;
    expect(sts).toMatchObject({ action: 'AssumeRole', service: 'sts', region: REGION, signedBy: CONFIG_KEY.accessKeyId });
    expect(sts.body).toMatchObject({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: ROLE_ARN, DurationSeconds: '1800' });
    expect(calls.map((c) => c.action)).toEqual(['converse', 'converse']);
    const temporary = fake.keys.find((k) => k.accessKeyId === calls[0].signedBy)!;
    expect(temporary.accessKeyId).toMatch(/^ASIAFAKE/);
    expect(calls.every((c) => c.signedBy === temporary.accessKeyId && c.headers['x-amz-security-token'] === temporary.sessionToken)).toBe(true);
  });

  it('renews role credentials that are about to expire', async () => {
    const roleGw = await startGateway(single('short-role', awsConfig({ aws_role_arn: ROLE_ARN, aws_sts_endpoint_url: fake.url })));
    fake.stsLifetimeMs = 60_000; // inside the renewal margin: every call renews
    try {
      await postJson(`${roleGw.url}/v1/chat/completions`, chatBody('short-role'));
      await postJson(`${roleGw.url}/v1/chat/completions`, chatBody('short-role'));
      expect(fake.requests.map((r) => r.action)).toEqual(['AssumeRole', 'converse', 'AssumeRole', 'converse']);
      expect(fake.requests[1].signedBy).not.toBe(fake.requests[3].signedBy);
    } finally {
      fake.stsLifetimeMs = 3_600_000;
      await roleGw.close();
    }
  });
});

// Streaming through the openai provider over raw HTTP: chunks pass one by one, a client that leaves
// cancels the upstream, failures before and after the first byte, and the access log of a stream.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_REPLY, openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, allSseData, chatBody, expectError, expectGatewayHeaders, postJson, sseData } from './helpers/http.js';

const PROVIDER_KEY = 'fake-provider-key-0123456789';
const CLIENT_KEY = 'client-key-of-the-application';

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: PROVIDER_KEY });
  const config = { openai_api_key: PROVIDER_KEY };
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        openaiEndpoint(fake, 'chat', 'llm/v1/chat', 'gpt-4o-mini', { config }),
        openaiEndpoint(fake, 'instruct', 'llm/v1/completions', 'gpt-3.5-turbo-instruct', { config }),
        openaiEndpoint(fake, 'impatient', 'llm/v1/chat', 'gpt-4o-mini', { config, timeout: '300ms' }),
      ],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const chatUrl = () => `${gw.url}/v1/chat/completions`;
const stream = (model: string, extra: Record<string, unknown> = {}) => chatBody(model, { stream: true, ...extra });

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function contentOf(events: string[]): string {
  return events
    .filter((e) => e !== '[DONE]')
    .map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '')
    .join('');
}

describe('streaming through the openai provider', () => {
  it('passes each chunk on as it arrives, before the upstream has finished', { timeout: 10_000 }, async () => {
    const held = gate();
    // The upstream sends its first event, then waits until the test has that event from the gateway.
    fake.next({ beforeEvent: (i) => (i === 1 ? held.promise : undefined) });
    const res = await postJson(chatUrl(), stream('chat'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expectGatewayHeaders(res, 'chat');
    const events = sseData(res);
    const first = await events.next();
    expect(JSON.parse(first.value as string).choices[0].delta).toMatchObject({ role: 'assistant' });
    let upstreamEnded = false;
    void fake.last().ended.then(() => (upstreamEnded = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(upstreamEnded).toBe(false);

    held.open();
    const rest: string[] = [];
    for await (const data of events) rest.push(data);
    expect(rest[rest.length - 1]).toBe('[DONE]');
    expect(contentOf(rest)).toBe(FAKE_REPLY);
    expect(await fake.last().ended).toBe('finished');
  });

  it('streams completions as text_completion chunks ending with [DONE]', async () => {
    const res = await postJson(`${gw.url}/v1/completions`, { model: 'instruct', prompt: 'Go', stream: true });
    const events = await allSseData(res);
    expect(events.pop()).toBe('[DONE]');
    expect(events.map((e) => JSON.parse(e)).map((c) => c.choices[0].text).join('')).toBe(FAKE_REPLY);
    expect(JSON.parse(events[0]).object).toBe('text_completion');
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    const never = gate();
    fake.next({ beforeEvent: (i) => (i === 1 ? never.promise : undefined) });
    const client = new AbortController();
    const res = await postJson(chatUrl(), stream('chat'), { signal: client.signal });
    const requestId = res.headers.get('x-gatehouse-request-id');
    await sseData(res).next();
    client.abort();
    expect(await fake.last().ended).toBe('closed');
    expect(await accessLog(gw, requestId)).toMatchObject({ status: 499, endpoint: 'chat', stream: true });
    never.open();
  });

  it('aborts the upstream request when the client disconnects before a non-streamed answer', async () => {
    fake.next({ hang: true });
    const client = new AbortController();
    const pending = postJson(chatUrl(), chatBody('chat'), { signal: client.signal }).catch((e: Error) => e);
    await expect.poll(() => fake.requests.length).toBe(1);
    client.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await fake.last().ended).toBe('closed');
  });

  it('answers with a JSON error when the upstream fails before the first byte', async () => {
    fake.next({ status: 503, error: { message: 'The engine is currently overloaded' } });
    const overloaded = await expectError(await postJson(chatUrl(), stream('chat')), 502, 'chat');
    expect(overloaded).toMatchObject({ type: 'upstream_error', upstream_status: 503 });
    expect(overloaded.message).toContain('The engine is currently overloaded');

    fake.next({ status: 429, headers: { 'retry-after': '3' } });
    const limited = await postJson(chatUrl(), stream('chat'));
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await expectError(limited, 429, 'chat')).toMatchObject({ upstream_status: 429 });

    // Headers came, then the connection dropped before any event: still nothing was sent to the client.
    fake.next({ failAfter: { events: 0, how: 'reset' } });
    expect(await expectError(await postJson(chatUrl(), stream('chat')), 502, 'chat')).toMatchObject({ type: 'upstream_error' });
  });

  it('answers 502 when the upstream ignores stream: true and sends JSON', async () => {
    fake.next({ ignoreStream: true });
    const error = await expectError(await postJson(chatUrl(), stream('chat')), 502, 'chat');
    expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_invalid_response' });
  });

  it('ends with an error event when the upstream connection drops mid-stream', async () => {
    // The drop waits until the client has the first events: a drop that arrives with them may discard them.
    const held = gate();
    fake.next({ failAfter: { events: 3, how: 'reset' }, beforeEvent: (i) => (i === 3 ? held.promise : undefined) });
    const res = await postJson(chatUrl(), stream('chat'));
    expect(res.status).toBe(200);
    const reader = sseData(res);
    const events: string[] = [];
    for await (const data of reader) {
      events.push(data);
      if (events.length === 3) held.open();
    }
    expect(events).toHaveLength(4);
    expect(events).not.toContain('[DONE]');
    const { error } = JSON.parse(events[3]);
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(error.type).toBe('upstream_error');
  });

  it('ends with an error event when the upstream sends one mid-stream, scrubbed of the provider key', async () => {
    fake.next({ failAfter: { events: 2, how: 'error-event' }, error: { message: `Quota exceeded for key ${PROVIDER_KEY}` } });
    const events = await allSseData(await postJson(chatUrl(), stream('chat')));
    expect(events).toHaveLength(3);
    const { error } = JSON.parse(events[2]);
    expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_error' });
    expect(error.message).toContain('Quota exceeded for key [redacted]');
    expect(events.join('')).not.toContain(PROVIDER_KEY);
  });

  it('ends with a timeout error event when the upstream pauses longer than the endpoint timeout', async () => {
    fake.next({ beforeEvent: (i) => (i === 2 ? new Promise((resolve) => setTimeout(resolve, 1_500)) : undefined) });
    const events = await allSseData(await postJson(chatUrl(), stream('impatient')));
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2]).error).toMatchObject({ type: 'timeout_error', code: 'upstream_timeout' });
    expect(await fake.last().ended).toBe('closed');
  });

  it('writes one access-log line with the numbers of the stream and no credentials', async () => {
    const res = await postJson(chatUrl(), stream('chat', { stream_options: { include_usage: true } }), { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    const events = await allSseData(res);
    const usage = JSON.parse(events[events.length - 2]).usage;
    const line = await accessLog(gw, res.headers.get('x-gatehouse-request-id'));
    expect(line).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      endpoint: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      stream: true,
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.total_tokens,
      client_ip: '127.0.0.1',
    });
    for (const key of ['latency_ms', 'upstream_ms', 'overhead_ms', 'ttft_ms'] as const) expect(line[key]).toBeTypeOf('number');
    expect(line.latency_ms as number).toBeGreaterThanOrEqual(line.ttft_ms as number);
    expect(line.overhead_ms as number).toBeLessThanOrEqual(line.latency_ms as number);
    const logs = JSON.stringify(gw.logs);
    expect(logs).not.toContain(PROVIDER_KEY);
    expect(logs).not.toContain(CLIENT_KEY);
    expect(logs.toLowerCase()).not.toContain('bearer');
  });

  it('accounts the tokens of a stream whose client did not ask for usage, without showing it the usage', async () => {
    const res = await postJson(chatUrl(), stream('chat'));
    const events = await allSseData(res);
    expect(fake.last().body.stream_options).toEqual({ include_usage: true });
    const chunks = events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.choices.length > 0 && c.usage === undefined)).toBe(true);
    const line = await accessLog(gw, res.headers.get('x-gatehouse-request-id'));
    expect(line.total_tokens).toBeGreaterThan(0);
  });
});

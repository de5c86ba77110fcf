// FALLBACK routes: each trigger moves a request on to the next destination, an invalid request
// does not, and the client sees the answer of the endpoint that finally served, with the number
// of attempts and fallbacks. Streams fall back before their first byte only.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, allSseData, chatBody, postJson } from './helpers/http.js';
import { closedPort, configOf, routedChat } from './helpers/routing.js';

let primary: FakeOpenAI;
let backup: FakeOpenAI;
let gw: TestGateway;
/** Released at the end, so a fake holding back a first event lets go. */
let releaseHeld: () => void = () => undefined;

const fallbackRoute = (name: string, destinations: string[], extra: Record<string, unknown> = {}) => ({
  name,
  task_type: 'llm/v1/chat',
  routing_strategy: 'FALLBACK',
  destinations: destinations.map((d) => ({ name: d })),
  ...extra,
});

beforeAll(async () => {
  primary = await startFakeOpenAI();
  backup = await startFakeOpenAI();
  const dead = await closedPort();
  const endpoints = [
    openaiEndpoint(primary, 'primary', 'llm/v1/chat', 'gpt-primary', { timeout: '300ms', timeouts: { first_token: '300ms' } }),
    openaiEndpoint(backup, 'backup', 'llm/v1/chat', 'gpt-backup'),
    openaiEndpoint(backup, 'long-context', 'llm/v1/chat', 'gpt-long'),
    { name: 'dead', endpoint_type: 'llm/v1/chat', model: { provider: 'openai', name: 'gpt-dead', config: { openai_api_base: `http://127.0.0.1:${dead}/v1` } } },
  ];
  const routes = [
    fallbackRoute('safe', ['primary', 'backup'], { fallback_on: ['connection_error', 'timeout', 'rate_limited', 'server_error', 'content_policy', 404] }),
    fallbackRoute('from-dead', ['dead', 'backup']),
    fallbackRoute('long', ['primary', 'long-context'], { fallback_on: ['context_length_exceeded'] }),
    fallbackRoute('narrow', ['primary', 'backup'], { fallback_on: [503] }),
  ];
  gw = await startGateway(configOf(endpoints, routes));
});

afterAll(async () => {
  releaseHeld();
  await gw?.close();
  await primary?.close();
  await backup?.close();
});

beforeEach(() => {
  primary.reset();
  backup.reset();
});

async function expectServedByBackup(route: string, attempts = '2') {
  const r = await routedChat(gw.url, route);
  expect(r).toMatchObject({ status: 200, endpoint: 'backup', attempts, fallbacks: '1' });
  expect(r.body.model).toBe('gpt-backup');
  expect(backup.requests).toHaveLength(1);
  return r;
}

describe('a FALLBACK route moves on', () => {
  it('when the connection is refused', async () => {
    const r = await expectServedByBackup('from-dead');
    const line = await accessLog(gw, r.requestId);
    expect(line).toMatchObject({ route: 'from-dead', endpoint: 'backup', attempts: 2, fallbacks: 1, status: 200 });
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'falling back', request_id: r.requestId, from: 'dead', to: 'backup', reason: 'upstream_unreachable' }));
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'upstream attempt failed', request_id: r.requestId, endpoint: 'dead' }));
  });

  it('on a 500', async () => {
    primary.next({ status: 500 });
    await expectServedByBackup('safe');
    expect(primary.requests).toHaveLength(1);
  });

  it('on a 429', async () => {
    primary.next({ status: 429, headers: { 'retry-after': '20' } });
    await expectServedByBackup('safe');
  });

  it('on a hang (the endpoint timeout)', async () => {
    primary.next({ hang: true });
    await expectServedByBackup('safe');
  });

  it('on a listed status code', async () => {
    primary.next({ status: 404, error: { message: 'The model does not exist', code: 'model_not_found' } });
    await expectServedByBackup('safe');
  });

  it('on a content-policy refusal', async () => {
    primary.next({ status: 400, error: { message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", code: 'content_filter' } });
    await expectServedByBackup('safe');
  });

  it('on context_length_exceeded, to a long-context model', async () => {
    primary.next({ status: 400, error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", code: 'context_length_exceeded', param: 'messages' } });
    const r = await routedChat(gw.url, 'long');
    expect(r).toMatchObject({ status: 200, endpoint: 'long-context', attempts: '2', fallbacks: '1' });
    expect(r.body.model).toBe('gpt-long');
  });
});

describe('a FALLBACK route stays', () => {
  it('on an invalid request, which would fail everywhere: the client gets the 400 and the backup is never called', async () => {
    primary.next({ status: 400, error: { message: "Invalid value for 'temperature'", param: 'temperature', code: 'invalid_value' } });
    const r = await routedChat(gw.url, 'safe');
    expect(r).toMatchObject({ status: 400, endpoint: 'primary', attempts: '1', fallbacks: '0' });
    expect(r.body.error.param).toBe('temperature');
    expect(backup.requests).toHaveLength(0);
  });

  it('on a failure its fallback_on does not list', async () => {
    primary.next({ status: 500 });
    const r = await routedChat(gw.url, 'narrow');
    expect(r).toMatchObject({ status: 502, endpoint: 'primary', attempts: '1', fallbacks: '0' });
    expect(backup.requests).toHaveLength(0);
  });

  it('and reports the last error when every destination fails', async () => {
    primary.next({ status: 500 });
    backup.next({ status: 503 });
    const r = await routedChat(gw.url, 'safe');
    expect(r).toMatchObject({ status: 502, endpoint: 'backup', attempts: '2', fallbacks: '1' });
    expect(r.body.error.upstream_status).toBe(503);
  });
});

describe('streams', () => {
  const stream = (model: string) => postJson(`${gw.url}/v1/chat/completions`, chatBody(model, { stream: true }));

  it('fall back when the upstream drops before the first byte, and the client gets a whole stream', async () => {
    primary.next({ failAfter: { events: 0, how: 'reset' } });
    const res = await stream('safe');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('backup');
    expect(res.headers.get('x-gatehouse-fallbacks')).toBe('1');
    const data = await allSseData(res);
    expect(data[data.length - 1]).toBe('[DONE]');
    expect(data.some((d) => d.includes('"error"'))).toBe(false);
  });

  it('fall back when the first token is too slow (first_token timeout)', async () => {
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    primary.next({ beforeEvent: (i) => (i === 0 ? held : undefined) });
    const res = await stream('safe');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('backup');
    expect((await allSseData(res)).pop()).toBe('[DONE]');
    expect(await primary.requests[0].ended).toBe('closed');
  });

  it('do not fall back once streaming began: the stream ends with an error event', async () => {
    primary.next({ failAfter: { events: 2, how: 'reset' }, eventDelayMs: 50 });
    const res = await stream('safe');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('primary');
    const data = await allSseData(res);
    expect(JSON.parse(data[data.length - 1]).error).toMatchObject({ type: 'upstream_error' });
    expect(backup.requests).toHaveLength(0);
  });
});

describe('headers on plain requests', () => {
  it('an endpoint called directly reports one attempt and no fallback', async () => {
    const r = await routedChat(gw.url, 'backup');
    expect(r).toMatchObject({ status: 200, endpoint: 'backup', attempts: '1', fallbacks: '0', variant: null });
  });
});

// Per-endpoint resilience: retries with backoff that honour Retry-After, the circuit breaker's
// three states, active health checks, and a client that never sees an error while a healthy
// fallback exists.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshot } from '../src/routing/counters.js';
import { eventually } from './helpers/cli.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, chatBody, postJson } from './helpers/http.js';
import { closedPort, configOf, routedChat, tally } from './helpers/routing.js';

let gw: TestGateway | undefined;
const fakes: FakeOpenAI[] = [];
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(): Promise<FakeOpenAI> {
  const f = await startFakeOpenAI();
  fakes.push(f);
  return f;
}

const FAST_RETRY = { attempts: 2, backoff: '1ms', max_backoff: '5ms', max_retry_after: '2s' };
const route = (name: string, destinations: string[]) => ({ name, task_type: 'llm/v1/chat', routing_strategy: 'FALLBACK', destinations: destinations.map((d) => ({ name: d })) });
const retriesOf = (endpoint: string) => snapshot().find((s) => s.name === 'retries' && s.labels.endpoint === endpoint)?.value ?? 0;
const attemptLogs = (requestId: string | null) => gw!.logs.filter((l) => l.msg === 'upstream attempt failed' && l.request_id === requestId);

describe('retries', () => {
  it('retry a 500 on the same endpoint, then succeed', async () => {
    const up = await fake();
    gw = await startGateway(configOf([openaiEndpoint(up, 'chat', 'llm/v1/chat', 'gpt', { retry: FAST_RETRY })]));
    up.next({ status: 500 }, { status: 502 });
    const r = await routedChat(gw.url, 'chat');
    expect(r).toMatchObject({ status: 200, endpoint: 'chat', attempts: '3', fallbacks: '0' });
    expect(up.requests).toHaveLength(3);
    expect(attemptLogs(r.requestId).map((l) => l.attempt)).toEqual([1, 2]);
  });

  it('wait at least the Retry-After the upstream asked for', async () => {
    const up = await fake();
    gw = await startGateway(configOf([openaiEndpoint(up, 'chat', 'llm/v1/chat', 'gpt', { retry: FAST_RETRY })]));
    up.next({ status: 429, headers: { 'retry-after': '1' } });
    const r = await routedChat(gw.url, 'chat');
    expect(r).toMatchObject({ status: 200, attempts: '2' });
    const [failed] = attemptLogs(r.requestId);
    expect(failed.retry_in_ms).toBe(1000);
  });

  it('do not wait out a Retry-After over max_retry_after: the request moves on to the fallback at once', async () => {
    const up = await fake();
    const other = await fake();
    gw = await startGateway(
      configOf([openaiEndpoint(up, 'chat', 'llm/v1/chat', 'gpt', { retry: FAST_RETRY }), openaiEndpoint(other, 'other', 'llm/v1/chat', 'gpt-other')], [route('r', ['chat', 'other'])]),
    );
    up.next({ status: 429, headers: { 'retry-after': '60' } });
    const r = await routedChat(gw.url, 'r');
    expect(r).toMatchObject({ status: 200, endpoint: 'other', attempts: '2', fallbacks: '1' });
    expect(up.requests).toHaveLength(1);
    expect(attemptLogs(r.requestId)[0].retry_in_ms).toBeUndefined();
  });

  it('exhaust on the endpoint first, then fall back; invalid requests are never retried', async () => {
    const up = await fake();
    const other = await fake();
    gw = await startGateway(
      configOf([openaiEndpoint(up, 'chat', 'llm/v1/chat', 'gpt', { retry: FAST_RETRY }), openaiEndpoint(other, 'other', 'llm/v1/chat', 'gpt-other')], [route('r', ['chat', 'other'])]),
    );
    const retriesBefore = retriesOf('chat');
    up.next({ status: 500 }, { status: 500 }, { status: 500 });
    expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'other', attempts: '4', fallbacks: '1' });
    up.next({ status: 400, error: { message: 'bad', param: 'messages' } });
    expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 400, endpoint: 'chat', attempts: '1' });
    expect(up.requests).toHaveLength(4);
    expect(retriesOf('chat') - retriesBefore).toBe(2);
  });
});

describe('the circuit breaker', () => {
  it('opens after N failures, skips the endpoint, lets one probe through after the cooldown, and closes when it succeeds', async () => {
    const flaky = await fake();
    const steady = await fake();
    const breaker = { failures: 3, window: '1m', cooldown: '300ms' };
    gw = await startGateway(
      configOf([openaiEndpoint(flaky, 'flaky', 'llm/v1/chat', 'gpt-flaky', { circuit_breaker: breaker }), openaiEndpoint(steady, 'steady', 'llm/v1/chat', 'gpt-steady')], [route('r', ['flaky', 'steady'])]),
    );
    flaky.next({ status: 500 }, { status: 500 }, { status: 500 });
    for (let i = 0; i < 3; i++) expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'steady', attempts: '2' });
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^circuit breaker opened/), endpoint: 'flaky', breaker_from: 'closed', breaker_to: 'open' }));

    // Open: flaky is skipped without an attempt.
    expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'steady', attempts: '1', fallbacks: '0' });
    expect(flaky.requests).toHaveLength(3);
    // Called directly, an open endpoint answers 503 at once.
    const direct = await routedChat(gw.url, 'flaky');
    expect(direct.status).toBe(503);
    expect(direct.body.error.code).toBe('circuit_open');

    // After the cooldown one probe goes through; it fails, and the breaker opens again.
    await sleep(350);
    flaky.next({ status: 500 });
    expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'steady', attempts: '2' });
    expect(flaky.requests).toHaveLength(4);
    expect(await routedChat(gw.url, 'r')).toMatchObject({ endpoint: 'steady', attempts: '1' });

    // The next probe succeeds: closed again, flaky serves.
    await sleep(350);
    expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'flaky', attempts: '1' });
    expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'flaky' });
    const changes = gw.logs.filter((l) => l.endpoint === 'flaky' && l.breaker_to).map((l) => `${l.breaker_from}->${l.breaker_to}`);
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->open', 'open->half_open', 'half_open->closed']);
    expect(snapshot()).toContainEqual({ name: 'breaker_transitions', labels: { endpoint: 'flaky', to: 'open' }, value: 2 });
  });

  it('does not count invalid requests or rate limits as failures', async () => {
    const up = await fake();
    gw = await startGateway(configOf([openaiEndpoint(up, 'chat', 'llm/v1/chat', 'gpt', { circuit_breaker: { failures: 2 } })]));
    up.next({ status: 400 }, { status: 429 }, { status: 400 }, { status: 429 });
    for (let i = 0; i < 4; i++) await routedChat(gw.url, 'chat');
    expect(await routedChat(gw.url, 'chat')).toMatchObject({ status: 200 });
  });
});

describe('active health checks', () => {
  it('mark an endpoint whose probe fails unhealthy: routes skip it until a probe succeeds again', async () => {
    let healthy = false;
    const health = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const probeUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
    try {
      const sick = await fake();
      const well = await fake();
      gw = await startGateway(
        configOf(
          [
            openaiEndpoint(sick, 'sick', 'llm/v1/chat', 'gpt-sick', { health_check: { interval: '50ms', timeout: '1s', url: probeUrl } }),
            openaiEndpoint(well, 'well', 'llm/v1/chat', 'gpt-well'),
          ],
          [route('r', ['sick', 'well'])],
        ),
      );
      const logs = gw.logs;
      await eventually(() => logs.find((l) => l.endpoint === 'sick' && String(l.msg).startsWith('endpoint unhealthy')), 'the failed probe');
      expect(await tally(20, 4, () => routedChat(gw!.url, 'r'))).toEqual({ well: 20 });
      expect(sick.requests).toHaveLength(0);

      healthy = true;
      await eventually(() => logs.find((l) => l.endpoint === 'sick' && String(l.msg).startsWith('endpoint healthy again')), 'the good probe');
      expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'sick' });
    } finally {
      health.close();
    }
  });
});

describe('timeouts and refusals', () => {
  it('a total timeout ends a stream that already began with an error event', async () => {
    const up = await fake();
    gw = await startGateway(configOf([openaiEndpoint(up, 'chat', 'llm/v1/chat', 'gpt', { timeouts: { total: '300ms' } })]));
    up.next({ eventDelayMs: 100, text: 'one two three four five six seven eight' });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { stream: true }));
    expect(res.status).toBe(200);
    const data = await allSseData(res);
    expect(JSON.parse(data[0]).choices).toBeDefined();
    expect(JSON.parse(data[data.length - 1]).error).toMatchObject({ code: 'upstream_timeout' });
    expect(await up.requests[0].ended).toBe('closed');
  });

  it('a FALLBACK route with content_policy moves on from an answer the content filter cut off', async () => {
    const filtered = createServer((_req, res) => {
      const choice = { index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [choice] }));
    });
    await new Promise<void>((resolve) => filtered.listen(0, '127.0.0.1', resolve));
    try {
      const up = await fake();
      const base = `http://127.0.0.1:${(filtered.address() as AddressInfo).port}/v1`;
      gw = await startGateway(
        configOf(
          [
            { name: 'strict', endpoint_type: 'llm/v1/chat', model: { provider: 'openai', name: 'm', config: { openai_api_base: base } } },
            openaiEndpoint(up, 'lenient', 'llm/v1/chat', 'gpt'),
          ],
          [
            { ...route('r', ['strict', 'lenient']), fallback_on: ['content_policy'] },
            route('plain', ['strict', 'lenient']),
          ],
        ),
      );
      expect(await routedChat(gw.url, 'r')).toMatchObject({ status: 200, endpoint: 'lenient', fallbacks: '1' });
      // Without content_policy in fallback_on the refusal is the answer.
      const kept = await routedChat(gw.url, 'plain');
      expect(kept).toMatchObject({ status: 200, endpoint: 'strict', fallbacks: '0' });
      expect(kept.body.choices[0].finish_reason).toBe('content_filter');
    } finally {
      filtered.close();
    }
  });
});

describe('a client never sees an error while a healthy fallback exists', () => {
  it('over many requests to a primary that fails in every way', async () => {
    const flaky = await fake();
    const steady = await fake();
    const dead = await closedPort();
    gw = await startGateway(
      configOf(
        [
          openaiEndpoint(flaky, 'flaky', 'llm/v1/chat', 'gpt-flaky', { timeout: '200ms', retry: { ...FAST_RETRY, attempts: 1 } }),
          { name: 'dead', endpoint_type: 'llm/v1/chat', model: { provider: 'openai', name: 'x', config: { openai_api_base: `http://127.0.0.1:${dead}/v1` } }, circuit_breaker: { failures: 2 } },
          openaiEndpoint(steady, 'steady', 'llm/v1/chat', 'gpt-steady'),
        ],
        [route('r', ['dead', 'flaky', 'steady'])],
      ),
    );
    const failures = [{ status: 500 }, { status: 429, headers: { 'retry-after': '0' } }, { hang: true }, { status: 503 }, {}];
    for (let i = 0; i < 40; i++) flaky.next(failures[i % failures.length]);
    const counts = await tally(40, 4, () => routedChat(gw!.url, 'r'));
    expect(Object.keys(counts).filter((k) => k.startsWith('status'))).toEqual([]);
  });
});

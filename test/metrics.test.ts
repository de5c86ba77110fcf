// GET /metrics: Prometheus text with request, latency, token, limit and routing metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, chatBody, postJson } from './helpers/http.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(`
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
  - name: limited
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-limited }
    limit: { renewal_period: minute, calls: 1 }
  - name: guarded
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-guarded }
    guardrails:
      rules:
        - { name: no-secrets-word, type: prompt_guard, action: block, deny_patterns: ["forbidden"] }
  - name: broken
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-broken, config: { error_rate: 1, error_status: 503 } }
routes:
  - name: safe
    task_type: llm/v1/chat
    routing_strategy: FALLBACK
    destinations: [{ name: broken }, { name: chat }]
`);
});
afterAll(() => gw?.close());

/** The value of one sample line, e.g. value(text, 'gatehouse_requests_total', {endpoint: 'chat', status: '200'}). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const matching = lines.filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return matching.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('GET /metrics', () => {
  it('counts requests, tokens, latency, limits and fallbacks', async () => {
    const ok = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'));
    const usage = (await ok.json()).usage;
    await allSseData(await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { stream: true })));
    await (await postJson(`${gw.url}/v1/chat/completions`, chatBody('limited'))).text();
    await (await postJson(`${gw.url}/v1/chat/completions`, chatBody('limited'))).text();
    expect((await postJson(`${gw.url}/v1/chat/completions`, chatBody('safe'))).status).toBe(200);

    expect((await postJson(`${gw.url}/v1/chat/completions`, chatBody('guarded', {}, 'this is forbidden'))).status).toBe(400);

    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(value(text, 'gatehouse_requests_total', { endpoint: 'chat', status: '200', stream: 'false' })).toBe(2);
    expect(value(text, 'gatehouse_requests_total', { endpoint: 'chat', status: '200', stream: 'true' })).toBe(1);
    expect(value(text, 'gatehouse_requests_total', { endpoint: 'limited', status: '429' })).toBe(1);
    expect(value(text, 'gatehouse_rate_limited_total', { endpoint: 'limited' })).toBe(1);
    expect(value(text, 'gatehouse_tokens_total', { endpoint: 'chat', type: 'prompt' })).toBeGreaterThanOrEqual(usage.prompt_tokens);
    expect(value(text, 'gatehouse_request_duration_seconds_count', { endpoint: 'chat' })).toBe(3);
    expect(value(text, 'gatehouse_overhead_seconds_count', { endpoint: 'chat' })).toBe(3);
    expect(value(text, 'gatehouse_time_to_first_token_seconds_count', { endpoint: 'chat' })).toBe(1);
    expect(value(text, 'gatehouse_routing_fallbacks_total', { route: 'safe', from: 'broken' })).toBe(1);
    expect(value(text, 'gatehouse_in_flight_requests')).toBe(0);
    expect(value(text, 'gatehouse_guardrail_events_total', { target: 'guarded', rule: 'no-secrets-word', stage: 'input', action: 'block' })).toBe(1);
    expect(text).toContain('gatehouse_process_resident_memory_bytes');
  });
});

describe('telemetry.metrics.enabled: false', () => {
  it('answers /metrics with a 404 and does not count requests', async () => {
    const off = await startGateway(`
telemetry: { metrics: { enabled: false } }
endpoints:
  - { name: uncounted, endpoint_type: llm/v1/chat, model: { provider: mock, name: mock-uncounted } }
`);
    try {
      expect((await postJson(`${off.url}/v1/chat/completions`, chatBody('uncounted'))).status).toBe(200);
      const res = await fetch(`${off.url}/metrics`);
      expect(res.status).toBe(404);
      expect((await res.json()).error).toMatchObject({ code: 'metrics_disabled' });
      // The registry is the process's: the other gateway's /metrics shows what this one did not count.
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      expect(value(text, 'gatehouse_requests_total', { endpoint: 'uncounted' })).toBe(0);
    } finally {
      await off.close();
    }
  });
});

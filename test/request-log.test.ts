// The request log over real HTTP: a row per request (success, upstream error, fallback) with who
// called and what it cost, bodies only where an endpoint logs them and only after redaction, the
// bounded queue counting what it drops, and the retention purge.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedRequest } from '../src/telemetry/request-log/feedback.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';

const ADMIN = 'admin-key-for-request-log-tests';
const SECRET = 'ghk_request_log_test_secret_0123456789';
const hash = `sha256:${createHash('sha256').update(SECRET).digest('hex')}`;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(`
auth: { admin_key: ${ADMIN}, mode: auto, open_endpoints: ["*"] }
teams: [ { name: research } ]
keys: [ { name: notebook, hash: "${hash}", team: research } ]
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
  - name: broken
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-broken, config: { error_rate: 1, error_status: 500 } }
  - name: logged
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-logged }
    log_bodies: true
    guardrails:
      rules:
        - { name: pii, type: pii, action: redact, mode: mask }
routes:
  - name: safe
    task_type: llm/v1/chat
    routing_strategy: FALLBACK
    destinations: [ { name: broken }, { name: chat } ]
`);
});
afterAll(() => gw?.close());

async function rows(): Promise<Record<string, any>[]> {
  const res = await fetch(`${gw.url}/admin/logs?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()).data;
}
const rowOf = async (res: Response) => (await rows()).find((r) => r.id === res.headers.get('x-gatehouse-request-id'))!;
const asKey = { headers: { authorization: `Bearer ${SECRET}` } };

describe('request log rows', () => {
  it('records a success with its caller, end user, usage, cost and timings', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { user: 'alice@example.com' }), asKey);
    const usage = (await res.json()).usage;
    const row = await rowOf(res);
    expect(row).toMatchObject({
      key_name: 'notebook',
      team: 'research',
      end_user: 'alice@example.com',
      endpoint: 'chat',
      provider: 'mock',
      model: 'mock-chat',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      error: null,
      stream: 0,
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      usage_estimated: 0,
      cost_usd: 0,
      request_body: null,
      response_body: null,
    });
    expect(row.key_id).toMatch(/\S/);
    expect(row.latency_ms).toBeGreaterThanOrEqual(row.overhead_ms);
    expect(Date.parse(row.at)).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(row)).not.toContain(SECRET);
  });

  it('records an upstream error with its error class', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('broken'));
    expect(res.status).toBeGreaterThanOrEqual(500);
    const row = await rowOf(res);
    expect(row).toMatchObject({ endpoint: 'broken', status: res.status, prompt_tokens: null, cost_usd: null, key_id: null });
    expect(row.error).toMatch(/\S/);
  });

  it('records a fallback: the route, the endpoint that served, one fallback', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('safe'));
    expect(res.status).toBe(200);
    expect(await rowOf(res)).toMatchObject({ route: 'safe', endpoint: 'chat', fallbacks: 1, attempts: 2, status: 200 });
  });

  it('records a refused request (unknown model) without an endpoint', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('nope'));
    expect(res.status).toBe(404);
    expect(await rowOf(res)).toMatchObject({ status: 404, endpoint: null, error: 'model_not_found' });
  });

  it('logs bodies only where enabled, as sent upstream after redaction', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('logged', {}, 'Write to bob@example.com please'));
    expect(res.status).toBe(200);
    const row = await rowOf(res);
    expect(row.request_body).toContain('Write to');
    expect(row.request_body).not.toContain('bob@example.com');
    expect(JSON.parse(row.response_body).choices[0].message.content).toEqual(expect.any(String));

    const stream = await postJson(`${gw.url}/v1/chat/completions`, chatBody('logged', { stream: true }, 'Mail carol@example.com'));
    await stream.text();
    const streamed = await rowOf(stream);
    expect(streamed.request_body).not.toContain('carol@example.com');
    expect(streamed.response_body).toEqual(expect.any(String));
  });
});

describe('retention', () => {
  it('purges rows older than retention_days', async () => {
    const db = gw.gateway.access.store.db;
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    // An /admin/logs row is a table row plus its feedback, which lives in its own table.
    const { feedback_score: _s, feedback_comment: _c, feedback_at: _a, feedback_count: _n, ...template } = (await rows())[0] as LoggedRequest;
    await db.insertInto('request_log').values({ ...template, id: 'old-row', at: old }).execute();
    expect((await rows()).some((r) => r.id === 'old-row')).toBe(true);
    expect(await gw.gateway.requestLog.purge()).toBe(1);
    expect((await rows()).some((r) => r.id === 'old-row')).toBe(false);
    expect((await rows()).length).toBeGreaterThan(0);
  });
});

describe('bounded queue', () => {
  it('drops rows beyond queue_size and counts them in /metrics', async () => {
    const small = await startGateway(`
request_log: { queue_size: 2, batch_size: 1000, flush_interval: 1h }
endpoints:
  - { name: chat, endpoint_type: llm/v1/chat, model: { provider: mock, name: mock-chat } }
`);
    try {
      const metric = async (name: string) => {
        const text = await (await fetch(`${small.url}/metrics`)).text();
        return Number(/^(\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(`${name} `)).join('\n'))?.[2] ?? NaN);
      };
      // The gauge sums every writer in the process: empty the other gateway's queue first.
      await gw.gateway.requestLog.flush();
      const droppedBefore = await metric('gatehouse_request_log_dropped_total');
      for (let i = 0; i < 5; i++) await (await postJson(`${small.url}/v1/chat/completions`, chatBody('chat'))).text();
      expect(await metric('gatehouse_request_log_queue_depth')).toBe(2);
      expect((await metric('gatehouse_request_log_dropped_total')) - droppedBefore).toBe(3);
      await small.gateway.requestLog.flush();
      expect(await metric('gatehouse_request_log_queue_depth')).toBe(0);
      const stored = await small.gateway.access.store.db.selectFrom('request_log').select('id').execute();
      expect(stored).toHaveLength(2);
    } finally {
      await small.close();
    }
  });
});

// Limits, quotas and budgets in embedded mode (counters in memory, spend in SQLite): 429 with
// Retry-After and x-ratelimit-* headers before any upstream call, scopes, tokens per minute
// corrected by the real usage, concurrency, calendar quotas, and budgets that block or downgrade.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { expectError } from '../helpers/http.js';
import { accessConfig, admin, chat } from './helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const statuses = async (n: number, send: () => Promise<Response>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
};

describe('rate limits', () => {
  it('answers 429 with Retry-After and x-ratelimit headers, per key', async () => {
    gw = await startGateway(accessConfig());
    const a = (await admin(gw, 'POST', '/admin/keys', { name: 'a', limits: [{ rpm: 3 }] })).body.secret;
    const b = (await admin(gw, 'POST', '/admin/keys', { name: 'b', limits: [{ rpm: 3 }] })).body.secret;
    const first = await chat(gw.url, a);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
    expect(await statuses(2, () => chat(gw!.url, a))).toEqual([200, 200]);
    const refused = await chat(gw.url, a);
    const error = await expectError(refused, 429);
    expect(error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error', message: 'Rate limit exceeded: 3 requests per minute per key. Retry after 20s.' });
    expect(refused.headers.get('retry-after')).toBe('20');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // Another key has its own bucket.
    expect((await chat(gw.url, b)).status).toBe(200);
  });

  it('lets a burst through at once and refills at the rate', async () => {
    gw = await startGateway(accessConfig('limits:\n  - { rps: 2, burst: 3, per: client_ip }\n'));
    expect(await statuses(4, () => chat(gw!.url, undefined))).toEqual([200, 200, 200, 429]);
    await new Promise((r) => setTimeout(r, 600));
    expect((await chat(gw.url, undefined)).status).toBe(200);
  });

  it('counts per end user, from the request\'s user field or x-gatehouse-user', async () => {
    gw = await startGateway(accessConfig('limits:\n  - { rpm: 1, per: user }\n'));
    expect((await chat(gw.url, undefined, 'chat', { user: 'ann' })).status).toBe(200);
    expect((await chat(gw.url, undefined, 'chat', { user: 'ann' })).status).toBe(429);
    expect((await chat(gw.url, undefined, 'chat', {}, { 'x-gatehouse-user': 'bob' })).status).toBe(200);
    // No user: the limit does not apply.
    expect(await statuses(2, () => chat(gw!.url, undefined))).toEqual([200, 200]);
  });

  it('limits a team across its keys, per endpoint when asked', async () => {
    gw = await startGateway(accessConfig());
    await admin(gw, 'POST', '/admin/teams', { name: 'red', limits: [{ rpm: 2, per: ['team', 'endpoint'] }] });
    const k1 = (await admin(gw, 'POST', '/admin/keys', { name: 'r1', team: 'red' })).body.secret;
    const k2 = (await admin(gw, 'POST', '/admin/keys', { name: 'r2', team: 'red' })).body.secret;
    expect([(await chat(gw.url, k1)).status, (await chat(gw.url, k2)).status, (await chat(gw.url, k1)).status]).toEqual([200, 200, 429]);
    expect((await chat(gw.url, k2, 'cheap')).status).toBe(200);
  });

  it('takes estimated prompt tokens up front and corrects them with the usage', async () => {
    gw = await startGateway(accessConfig());
    const key = (await admin(gw, 'POST', '/admin/keys', { name: 't', limits: [{ tpm: 100 }] })).body.secret;
    const res = await chat(gw.url, key);
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    // "Hello there": ~3 tokens + 4 of framing taken before the call.
    expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe('93');
    const usage = (await res.json()).usage.total_tokens as number;
    await new Promise((r) => setTimeout(r, 20));
    const next = await chat(gw.url, key);
    // After the correction the bucket is down by the real usage of the first call and the estimate of this one.
    const remaining = Number(next.headers.get('x-ratelimit-remaining-tokens'));
    expect(remaining).toBeGreaterThanOrEqual(100 - usage - 7);
    expect(remaining).toBeLessThanOrEqual(100 - usage - 7 + 1);
    const big = await chat(gw.url, key, 'chat', { messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const error = await expectError(big, 429);
    expect(error.message).toMatch(/100 tokens per minute per key/);
    expect(big.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
  });

  it('caps concurrent requests and frees the slot when the response ends', async () => {
    gw = await startGateway(accessConfig().replace('model: { provider: mock, name: mock-chat }', 'model: { provider: mock, name: mock-chat, config: { ttft: 300ms } }') + 'limits:\n  - { concurrent: 1 }\n');
    const slow = chat(gw.url, undefined);
    await new Promise((r) => setTimeout(r, 100));
    const second = await chat(gw.url, undefined);
    expect((await expectError(second, 429)).message).toMatch(/1 concurrent requests in total/);
    expect((await slow).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect((await chat(gw.url, undefined)).status).toBe(200);
  });

  it('keeps the MLflow per-endpoint limit as it was', async () => {
    gw = await startGateway(accessConfig().replace('model: { provider: mock, name: mock-cheap }', 'model: { provider: mock, name: mock-cheap }\n    limit: { renewal_period: minute, calls: 1 }'));
    expect(await statuses(2, () => chat(gw!.url, undefined, 'cheap'))).toEqual([200, 429]);
  });
});

describe('quotas', () => {
  it('counts a team\'s calls to the listed endpoints per calendar period', async () => {
    gw = await startGateway(accessConfig(`teams:
  - name: blue
    quotas: [ { calls: 2, period: day, endpoints: [chat, assistant] } ]
`));
    const key = (await admin(gw, 'POST', '/admin/keys', { name: 'b1', team: 'blue' })).body.secret;
    expect([(await chat(gw.url, key, 'chat')).status, (await chat(gw.url, key, 'assistant')).status]).toEqual([200, 200]);
    const refused = await chat(gw.url, key, 'chat');
    const error = await expectError(refused, 429);
    expect(error).toMatchObject({ code: 'quota_exceeded', message: expect.stringContaining('quota of 2 calls per day for this team') });
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(Math.abs(Number(refused.headers.get('retry-after')) - (midnight.getTime() - Date.now()) / 1000)).toBeLessThan(5);
    expect((await chat(gw.url, key, 'cheap')).status).toBe(200);
  });
});

describe('budgets', () => {
  // The mock reports about 14 tokens per call; at $1000 per million that is about $0.014 a call.
  const priced = (budget: string) =>
    accessConfig(
      `teams:
  - name: green
    budgets: [ ${budget} ]
`,
      1000,
    );

  it('refuses with 402 once spent, and logs a soft-threshold alert', async () => {
    gw = await startGateway(priced('{ usd: 0.02, period: monthly, soft: 0.5 }'));
    const key = (await admin(gw, 'POST', '/admin/keys', { name: 'g', team: 'green' })).body;
    expect((await chat(gw.url, key.secret)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(gw.logs.some((l) => l.event === 'budget_threshold' && l.scope === 'team:green')).toBe(true);
    expect((await chat(gw.url, key.secret)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    const error = await expectError(await chat(gw.url, key.secret), 402);
    expect(error).toMatchObject({ code: 'budget_exceeded', message: expect.stringMatching(/^Budget exceeded: team 'green' has spent \$0\.03 of its \$0\.02 monthly budget$/) });
    const spend = await admin(gw, 'GET', '/admin/teams/green/spend');
    expect(spend.body.budgets[0]).toMatchObject({ usd: 0.02, period: 'monthly', remaining_usd: 0 });
    expect(Object.values(spend.body.by_day as Record<string, number>)[0]).toBeCloseTo(0.028, 3);
  });

  it('downgrades to a cheaper route instead, when configured', async () => {
    gw = await startGateway(priced('{ usd: 0.001, period: daily, on_exceeded: downgrade, downgrade_to: cheap }'));
    const key = (await admin(gw, 'POST', '/admin/keys', { name: 'g', team: 'green' })).body.secret;
    expect((await chat(gw.url, key)).headers.get('x-gatehouse-endpoint')).toBe('chat');
    await new Promise((r) => setTimeout(r, 20));
    const res = await chat(gw.url, key);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('cheap');
  });

  it('keeps spend in the database across a restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-spend-')), 'gatehouse.db');
    const env = { ...process.env, GATEHOUSE_DATABASE_URL: `sqlite://${file}` };
    gw = await startGateway(priced('{ usd: 0.02, period: weekly, status: 429 }'), { env });
    const key = (await admin(gw, 'POST', '/admin/keys', { name: 'g', team: 'green' })).body.secret;
    expect(await statuses(2, () => chat(gw!.url, key))).toEqual([200, 200]);
    await new Promise((r) => setTimeout(r, 20));
    await gw.close();
    gw = await startGateway(priced('{ usd: 0.02, period: weekly, status: 429 }'), { env });
    expect((await expectError(await chat(gw.url, key), 429)).code).toBe('budget_exceeded');
  });
});

// /admin/usage and /admin/logs: filters (time, key, team, endpoint, model), grouping by hour and
// day, totals with p50/p95 latency, CSV export, admin authentication; on SQLite, and on Postgres
// where GATEHOUSE_TEST_DATABASE_URL is set (in a schema of its own, dropped afterwards).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogRow } from '../src/store/tables.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const ADMIN = 'admin-key-for-usage-api-tests';
const DATABASE = process.env.GATEHOUSE_TEST_DATABASE_URL;

// The fixture's rows are months old: a long retention keeps the start-up purge off them.
const CONFIG = `
auth: { admin_key: ${ADMIN} }
request_log: { retention_days: 3650 }
endpoints:
  - { name: chat, endpoint_type: llm/v1/chat, model: { provider: mock, name: mock-chat } }
`;

/** Rows at known times, so grouping and totals are exact: two hours of one day, and the next day. */
function fixture(): RequestLogRow[] {
  const base: Omit<RequestLogRow, 'id' | 'at' | 'team' | 'key_id' | 'endpoint' | 'model' | 'status' | 'latency_ms' | 'cost_usd' | 'error'> = {
    key_name: null, end_user: null, route: null, variant: null, provider: 'openai', method: 'POST', path: '/v1/chat/completions', stream: 0, attempts: 1,
    fallbacks: 0, ttft_ms: null, overhead_ms: 1, upstream_ms: 10, prompt_tokens: 100, completion_tokens: 10, cached_tokens: 20, usage_estimated: 0,
    cache_status: null, session_id: null, prompt_version: null, trace_id: null, request_body: null, response_body: null,
  };
  const row = (id: string, at: string, team: string, endpoint: string, latency: number, status = 200): RequestLogRow => ({
    ...base, id, at, team, key_id: `key-${team}`, endpoint, model: endpoint === 'big' ? 'gpt-4o' : 'gpt-4o-mini', status, error: status >= 400 ? 'upstream_error' : null,
    latency_ms: latency, cost_usd: status >= 400 ? null : 0.5,
  });
  return [
    row('r1', '2026-03-01T10:05:00.000Z', 'red', 'small', 10),
    row('r2', '2026-03-01T10:55:00.000Z', 'red', 'small', 20),
    row('r3', '2026-03-01T11:10:00.000Z', 'blue', 'big', 30, 502),
    row('r4', '2026-03-02T09:00:00.000Z', 'blue', 'big', 40),
    row('r5', '2026-03-02T09:30:00.000Z', 'red,"quoted"', 'small', 50),
  ];
}

function suite(name: string, env: () => NodeJS.ProcessEnv | undefined) {
  describe(name, () => {
    let gw: TestGateway;
    const get = async (path: string) => {
      const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return { res, body: res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : await res.text() };
    };

    beforeAll(async () => {
      gw = await startGateway(CONFIG, { env: env() });
      await gw.gateway.access.store.db.insertInto('request_log').values(fixture()).execute();
    });
    afterAll(() => gw?.close());

    it('totals by day, with errors, tokens, cost and latency percentiles', async () => {
      const { body } = await get('/admin/usage?group_by=day&from=2026-03-01&to=2026-03-03');
      expect(body.data).toEqual([
        { period: '2026-03-01T00:00:00Z', requests: 3, errors: 1, prompt_tokens: 300, completion_tokens: 30, cached_tokens: 60, estimated_requests: 0, cost_usd: 1, p50_latency_ms: 20, p95_latency_ms: 30 },
        { period: '2026-03-02T00:00:00Z', requests: 2, errors: 0, prompt_tokens: 200, completion_tokens: 20, cached_tokens: 40, estimated_requests: 0, cost_usd: 1, p50_latency_ms: 40, p95_latency_ms: 50 },
      ]);
      expect(body.totals).toMatchObject({ period: 'total', requests: 5, errors: 1, cost_usd: 2, p50_latency_ms: 30, p95_latency_ms: 50 });
    });

    it('groups by hour and filters by team, endpoint, model, key and time', async () => {
      const hourly = await get('/admin/usage?group_by=hour&team=red&to=2026-03-02');
      expect(hourly.body.data.map((b: { period: string; requests: number }) => [b.period, b.requests])).toEqual([['2026-03-01T10:00:00Z', 2]]);
      expect((await get('/admin/usage?endpoint=big')).body.totals.requests).toBe(2);
      expect((await get('/admin/usage?model=gpt-4o-mini')).body.totals.requests).toBe(3);
      expect((await get('/admin/usage?key=key-blue&from=2026-03-02T00:00:00Z')).body.totals.requests).toBe(1);
      expect((await get('/admin/usage?team=nobody')).body.totals).toMatchObject({ requests: 0, cost_usd: 0, p50_latency_ms: null });
    });

    it('lists requests newest first, pages back with before, filters by status', async () => {
      const first = await get('/admin/logs?limit=2&from=2026-03-01&to=2026-03-03');
      expect(first.body.data.map((r: RequestLogRow) => r.id)).toEqual(['r5', 'r4']);
      const next = await get(`/admin/logs?limit=2&from=2026-03-01&before=${first.body.next_before}`);
      expect(next.body.data.map((r: RequestLogRow) => r.id)).toEqual(['r3', 'r2']);
      expect((await get('/admin/logs?status=502')).body.data.map((r: RequestLogRow) => r.id)).toEqual(['r3']);
    });

    it("joins each row's latest feedback from its own tenant, with a count, and filters by has_feedback", async () => {
      const feedback = (id: string, request_id: string, scope: string, score: number, created_at: string) => ({ id, request_id, scope, session_id: null, score, comment: `${id} says`, created_at });
      await gw.gateway.access.store.db
        .insertInto('feedback')
        .values([
          feedback('f1', 'r1', 'team:red', -1, '2026-03-01T12:00:00.000Z'),
          feedback('f2', 'r1', 'team:red', 0.5, '2026-03-01T13:00:00.000Z'),
          feedback('f3', 'r1', 'team:blue', 1, '2026-03-01T14:00:00.000Z'), // another tenant: not r1's
          feedback('f4', 'r4', 'key:key-blue', 1, '2026-03-02T10:00:00.000Z'), // the key's own scope does not match a team row
          feedback('f5', 'r4', 'team:blue', 0, '2026-03-02T11:00:00.000Z'),
        ])
        .execute();
      const rows = (await get('/admin/logs?from=2026-03-01&to=2026-03-03')).body.data as Record<string, unknown>[];
      const fields = (id: string) => {
        const row = rows.find((r) => r.id === id)!;
        return [row.feedback_score, row.feedback_comment, row.feedback_at, row.feedback_count];
      };
      expect(fields('r1')).toEqual([0.5, 'f2 says', '2026-03-01T13:00:00.000Z', 2]);
      expect(fields('r4')).toEqual([0, 'f5 says', '2026-03-02T11:00:00.000Z', 1]);
      expect(fields('r2')).toEqual([null, null, null, 0]);
      expect(rows.map((r) => r.id)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
      expect((await get('/admin/logs?has_feedback=true')).body.data.map((r: RequestLogRow) => r.id)).toEqual(['r4', 'r1']);
      expect((await get('/admin/logs?has_feedback=false&team=red')).body.data.map((r: RequestLogRow) => r.id)).toEqual(['r2']);
      const csv = (await get('/admin/logs?has_feedback=true&format=csv')).body as string;
      expect(csv.trim().split('\r\n')[2]).toMatch(/,0\.5,f2 says,2026-03-01T13:00:00\.000Z,2$/);
    });

    it('exports CSV, quoting where needed', async () => {
      const usage = await get('/admin/usage?group_by=day&from=2026-03-01&to=2026-03-03&format=csv');
      expect(usage.res.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (usage.body as string).trim().split('\r\n');
      expect(lines[0]).toBe('period,requests,errors,prompt_tokens,completion_tokens,cached_tokens,estimated_requests,cost_usd,p50_latency_ms,p95_latency_ms');
      expect(lines[1]).toBe('2026-03-01T00:00:00Z,3,1,300,30,60,0,1,20,30');
      const logs = await get('/admin/logs?team=red,"quoted"&format=csv');
      const [header, row] = (logs.body as string).trim().split('\r\n');
      expect(header.split(',')).toContain('cost_usd');
      expect(row).toContain('"red,""quoted"""');
      const empty = await get('/admin/logs?team=nobody&format=csv');
      expect((empty.body as string).trim().split('\r\n')).toHaveLength(1);
    });

    it('refuses bad parameters and callers without the admin key', async () => {
      expect((await get('/admin/usage?group_by=week')).res.status).toBe(400);
      expect((await get('/admin/usage?from=yesterday')).res.status).toBe(400);
      expect((await get('/admin/logs?limit=5000')).res.status).toBe(400);
      expect((await get('/admin/usage?format=xml')).res.status).toBe(400);
      expect((await fetch(`${gw.url}/admin/usage`)).status).toBe(401);
      expect((await fetch(`${gw.url}/admin/logs`, { headers: { authorization: 'Bearer wrong-key-0123456789' } })).status).toBe(401);
    });
  });
}

suite('usage API on SQLite', () => undefined);

const schema = `gatehouse_usage_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
describe.skipIf(!DATABASE)(`on Postgres${DATABASE ? '' : ' (skipped: set GATEHOUSE_TEST_DATABASE_URL)'}`, () => {
  afterAll(async () => {
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });
  suite('usage API', () => ({ ...process.env, GATEHOUSE_DATABASE_URL: `${DATABASE}?schema=${schema}` }));
});

// The request log joined with the features that produce its fields, over real HTTP: a cache hit is
// logged and accounted as one (status hit, no upstream cost, the tokens the client saw, no stale
// cost in a replayed usage chunk), /admin/logs rows carry their tenant's feedback (JSON and CSV,
// filter has_feedback), and context-protocol and prompt-by-reference requests fill session and prompt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/access/secrets.js';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { ask, cacheConfig } from './cache/helpers.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { postJson } from './helpers/http.js';
import { postRaw, ssePayloads } from './helpers/trailers.js';
import { promptsDir } from './prompts/helpers.js';

const ADMIN = 'admin-key-for-request-log-join-tests';
const KEYS = { red: 'ghk_red-team-join-key-0000000000000000000000', blue: 'ghk_blue-team-join-key-000000000000000000000' };

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startGateway(
    cacheConfig(
      fake,
      '{}',
      `auth: { admin_key: ${ADMIN}, mode: auto, open_endpoints: ["*"] }
teams: [ { name: red }, { name: blue } ]
keys:
  - { name: red, team: red, hash: "sha256:${hashSecret(KEYS.red)}" }
  - { name: blue, team: blue, hash: "sha256:${hashSecret(KEYS.blue)}" }
context: { sessions: { ttl: 1h } }
routes:
  - name: similar
    task_type: llm/v1/chat
    destinations: [ { name: chat, traffic_percentage: 100 } ]
    cache: { mode: semantic, semantic: { threshold: 0.8 } }
prompts: { dir: ${promptsDir()}, pins: { summarize: 1 } }
`,
    ),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const admin = { authorization: `Bearer ${ADMIN}` };
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function logs(query = 'limit=1000'): Promise<Record<string, any>[]> {
  const res = await fetch(`${gw.url}/admin/logs?${query}`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()).data;
}
const rowOf = async (id: string | null | undefined) => (await logs()).find((r) => r.id === id)!;

describe('a cache hit in the request log and the cost headers', () => {
  it('logs a whole-answer hit as hit, with no upstream cost and the tokens the client saw', async () => {
    const miss = await ask(gw.url, 'Cache me whole', { key: KEYS.red });
    expect(miss.headers.get('x-gatehouse-cache')).toBe('miss');
    expect(Number(miss.headers.get('x-gatehouse-cost-usd'))).toBeGreaterThan(0);
    const hit = await ask(gw.url, 'Cache me whole', { key: KEYS.red });
    expect(hit.headers.get('x-gatehouse-cache')).toBe('hit');
    expect(hit.headers.get('x-gatehouse-cost-usd')).toBe('0');
    const body = await hit.json();
    expect(body.usage.total_tokens).toBeGreaterThan(0);
    const row = await rowOf(hit.headers.get('x-gatehouse-request-id'));
    expect(row).toMatchObject({
      cache_status: 'hit',
      cost_usd: 0,
      prompt_tokens: body.usage.prompt_tokens,
      completion_tokens: body.usage.completion_tokens,
      endpoint: 'chat',
      upstream_ms: 0,
    });
    expect((await rowOf(miss.headers.get('x-gatehouse-request-id'))).cost_usd).toBeGreaterThan(0);
  });

  it('logs a semantic hit the same way', async () => {
    // Through a route (the dispatcher's full path, whose attempts forget earlier upstream headers) the miss keeps its cache header.
    const miss = await ask(gw.url, 'What is the capital city of Italy?', { key: KEYS.red, model: 'similar' });
    expect(miss.headers.get('x-gatehouse-cache')).toBe('miss');
    expect((await rowOf(miss.headers.get('x-gatehouse-request-id'))).cache_status).toBe('miss');
    const hit = await ask(gw.url, 'what is the capital city of italy', { key: KEYS.red, model: 'similar' });
    expect(hit.headers.get('x-gatehouse-cache')).toBe('semantic-hit');
    expect(hit.headers.get('x-gatehouse-cost-usd')).toBe('0');
    const usage = (await hit.json()).usage;
    expect(await rowOf(hit.headers.get('x-gatehouse-request-id'))).toMatchObject({ cache_status: 'semantic-hit', cost_usd: 0, prompt_tokens: usage.prompt_tokens, route: 'similar' });
  });

  it("replays a stored stream without the original call's cost: usage chunk cost_usd 0, header 0, no trailer", async () => {
    const body = { model: 'chat', messages: [{ role: 'user', content: 'Cache my stream' }], stream: true, stream_options: { include_usage: true } };
    const miss = await postRaw(`${gw.url}/v1/chat/completions`, body, auth(KEYS.red));
    const missUsage = ssePayloads(miss.body).find((c) => c.usage)!.usage;
    expect(missUsage.cost_usd).toBeGreaterThan(0);
    expect(Number(miss.trailers['x-gatehouse-cost-usd'])).toBe(missUsage.cost_usd);

    const hit = await postRaw(`${gw.url}/v1/chat/completions`, body, auth(KEYS.red));
    expect(hit.headers['x-gatehouse-cache']).toBe('hit');
    expect(hit.headers['x-gatehouse-cost-usd']).toBe('0');
    expect(hit.headers.trailer).toBeUndefined();
    const hitUsage = ssePayloads(hit.body).find((c) => c.usage)!.usage;
    expect(hitUsage).toEqual({ ...missUsage, cost_usd: 0 });
    const row = await rowOf(hit.headers['x-gatehouse-request-id'] as string);
    expect(row).toMatchObject({ cache_status: 'hit', cost_usd: 0, stream: 1, prompt_tokens: missUsage.prompt_tokens, completion_tokens: missUsage.completion_tokens });

    // The same stored answer served whole: its usage never carries a cost from the call that made it.
    const whole = await ask(gw.url, 'Cache my stream', { key: KEYS.red });
    expect(whole.headers.get('x-gatehouse-cache')).toBe('hit');
    expect((await whole.json()).usage).not.toHaveProperty('cost_usd');
  });
});

describe('feedback on /admin/logs', () => {
  const feedback = (key: string, body: unknown) => postJson(`${gw.url}/v1/feedback`, body, { headers: auth(key) });

  it("shows the latest of the tenant's feedback and how many, in JSON and CSV, and filters by it", async () => {
    const rated = (await ask(gw.url, 'Rate this answer', { key: KEYS.red, model: 'plain' })).headers.get('x-gatehouse-request-id')!;
    const unrated = (await ask(gw.url, 'Do not rate this', { key: KEYS.red, model: 'plain' })).headers.get('x-gatehouse-request-id')!;
    expect((await feedback(KEYS.red, { request_id: rated, score: -1, comment: 'Wrong' })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await feedback(KEYS.red, { request_id: rated, score: 1, comment: 'Fixed, thanks' })).status).toBe(201);
    // Another tenant's feedback on the id (the gateway keeps no session for it, so it is stored) is not the row's.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await feedback(KEYS.blue, { request_id: rated, score: 0.5, comment: 'Not mine' })).status).toBe(201);

    const row = await rowOf(rated);
    expect(row).toMatchObject({ feedback_score: 1, feedback_comment: 'Fixed, thanks', feedback_count: 2 });
    expect(Date.parse(row.feedback_at)).toBeGreaterThanOrEqual(Date.parse(row.at));
    expect(await rowOf(unrated)).toMatchObject({ feedback_score: null, feedback_comment: null, feedback_at: null, feedback_count: 0 });

    const withFeedback = await logs('has_feedback=true&limit=1000');
    expect(withFeedback.map((r) => r.id)).toContain(rated);
    expect(withFeedback.every((r) => r.feedback_count > 0)).toBe(true);
    const without = await logs('has_feedback=false&limit=1000');
    expect(without.map((r) => r.id)).toContain(unrated);
    expect(without.map((r) => r.id)).not.toContain(rated);

    const csv = await (await fetch(`${gw.url}/admin/logs?format=csv&has_feedback=true`, { headers: admin })).text();
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header.split(',').slice(-4)).toEqual(['feedback_score', 'feedback_comment', 'feedback_at', 'feedback_count']);
    const line = lines.find((l) => l.startsWith(`${rated},`))!;
    expect(line).toContain(',1,"Fixed, thanks",');
    expect(line.endsWith(',2')).toBe(true);
  });

  it('refuses a has_feedback that is not true or false', async () => {
    const res = await fetch(`${gw.url}/admin/logs?has_feedback=yes`, { headers: admin });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('has_feedback');
  });
});

describe('session and prompt in the request log', () => {
  it('records the session of a context-protocol request', async () => {
    const session = `log-session-${Date.now()}`;
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'plain', messages: [{ role: 'user', content: 'Remember me.' }], context: { version: '1', session_id: session } },
      { headers: auth(KEYS.red) },
    );
    expect(res.status).toBe(200);
    expect(await rowOf(res.headers.get('x-gatehouse-request-id'))).toMatchObject({ session_id: session, prompt_version: null });
  });

  it('records the prompt version of a request by reference', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, { model: 'plain', prompt: { id: 'summarize', variables: { text: 'Cats sleep.' } } }, { headers: auth(KEYS.red) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-prompt')).toBe('summarize@1');
    expect(await rowOf(res.headers.get('x-gatehouse-request-id'))).toMatchObject({ prompt_version: 'summarize@1', session_id: null });
  });
});

// Session memory over HTTP: the client sends only its new turn and the upstream sees the whole
// conversation (JSON and streamed answers, OpenAI and Anthropic surfaces), a provider switch
// mid-session, tenant isolation, GET/DELETE, TTL expiry and feedback.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/access/secrets.js';
import { startFakeAnthropic, anthropicEndpoint, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { allSseData, expectError, postJson } from '../helpers/http.js';

const KEYS = { red: 'ghk_red-team-key-000000000000000000000000000', red2: 'ghk_red-team-other-key-000000000000000000000', blue: 'ghk_blue-team-key-00000000000000000000000000' };
const ANTHROPIC_KEY = 'sk-ant-fake';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gw: TestGateway;

const config = (routeTo: string) =>
  JSON.stringify({
    endpoints: [openaiEndpoint(openai, 'gpt', 'llm/v1/chat', 'gpt-4o-mini'), anthropicEndpoint(anthropic, 'claude', 'claude-sonnet', { anthropic_api_key: ANTHROPIC_KEY })],
    routes: [{ name: 'assistant', task_type: 'llm/v1/chat', destinations: [{ name: routeTo, traffic_percentage: 100 }] }],
    teams: [{ name: 'red' }, { name: 'blue' }],
    keys: [
      { name: 'red', team: 'red', hash: `sha256:${hashSecret(KEYS.red)}` },
      { name: 'red2', team: 'red', hash: `sha256:${hashSecret(KEYS.red2)}` },
      { name: 'blue', team: 'blue', hash: `sha256:${hashSecret(KEYS.blue)}` },
    ],
    context: { sessions: { ttl: '1h' } },
  });

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  gw = await startGateway(config('gpt'));
});
afterAll(async () => {
  await gw?.close();
  await openai?.close();
  await anthropic?.close();
});
beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
let n = 0;
const newSession = () => `s-${Date.now()}-${++n}`;

function say(key: string, session: string, text: string, extra: Record<string, unknown> = {}, model = 'gpt') {
  return postJson(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: text }], context: { version: '1', session_id: session }, ...extra }, { headers: auth(key) });
}

const getSession = (key: string, id: string) => fetch(`${gw.url}/v1/sessions/${id}`, { headers: auth(key) });
const upstreamMessages = () => openai.last().body.messages.map((m: { role: string; content: unknown }) => [m.role, m.content]);

describe('session memory', () => {
  it('sends the stored history upstream with each new turn, and never the context field', async () => {
    const id = newSession();
    openai.next({ text: 'Nice to meet you Ada.' }, { text: 'Your name is Ada.' });
    expect((await say(KEYS.red, id, 'My name is Ada.')).status).toBe(200);
    expect(openai.last().body).not.toHaveProperty('context');
    const res = await say(KEYS.red, id, 'What is my name?', { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is my name?' }] });
    expect(res.status).toBe(200);
    expect(upstreamMessages()).toEqual([
      ['system', 'Be brief.'],
      ['user', 'My name is Ada.'],
      ['assistant', 'Nice to meet you Ada.'],
      ['user', 'What is my name?'],
    ]);
    const stored = await (await getSession(KEYS.red, id)).json();
    expect(stored.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'Nice to meet you Ada.'],
      ['user', 'What is my name?'],
      ['assistant', 'Your name is Ada.'],
    ]);
    expect(stored.messages[3].request_id).toBe(res.headers.get('x-gatehouse-request-id'));
    expect(stored).toMatchObject({ id, object: 'session', history_summary: null });
  });

  it('stores a streamed answer once the stream is complete', async () => {
    const id = newSession();
    openai.next({ text: 'Streamed hello.' });
    const res = await say(KEYS.red, id, 'Hi, stream please.', { stream: true });
    await allSseData(res);
    await say(KEYS.red, id, 'Again?');
    expect(upstreamMessages()).toEqual([
      ['user', 'Hi, stream please.'],
      ['assistant', 'Streamed hello.'],
      ['user', 'Again?'],
    ]);
  });

  it('stores nothing of a stream that fails midway', async () => {
    const id = newSession();
    openai.next({ failAfter: { events: 2, how: 'error-event' } });
    const events = await allSseData(await say(KEYS.red, id, 'Doomed.', { stream: true }));
    expect(events.some((e) => e.includes('"error"'))).toBe(true);
    await expectError(await getSession(KEYS.red, id), 404);
  });

  it('stores an answer streamed on the Anthropic surface', async () => {
    const id = newSession();
    const res = await postJson(
      `${gw.url}/v1/messages`,
      { model: 'claude', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Stream from Claude.' }], context: { session_id: id } },
      { headers: { 'x-api-key': KEYS.red, 'anthropic-version': '2023-06-01' } },
    );
    await allSseData(res);
    const stored = await (await getSession(KEYS.red, id)).json();
    expect(stored.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'Stream from Claude.'],
      ['assistant', 'Hello from the fake Anthropic upstream.'],
    ]);
  });

  it('takes the session from the x-gatehouse-session-id header', async () => {
    const id = newSession();
    const plain = (text: string) => postJson(`${gw.url}/v1/chat/completions`, { model: 'gpt', messages: [{ role: 'user', content: text }] }, { headers: { ...auth(KEYS.red), 'x-gatehouse-session-id': id } });
    await plain('First.');
    await plain('Second.');
    expect(upstreamMessages().map(([role]: [string]) => role)).toEqual(['user', 'assistant', 'user']);
  });

  it('keeps no turns of concurrent requests from being lost', async () => {
    const id = newSession();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => say(KEYS.red, id, `Parallel ${i}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const stored = await (await getSession(KEYS.red, id)).json();
    expect(stored.messages).toHaveLength(16);
    // Each request's user turn is followed by its own answer.
    for (let i = 0; i < 16; i += 2) expect(stored.messages[i + 1].request_id).toBe(stored.messages[i].request_id);
  });

  it('serves the Anthropic surface with context, and an OpenAI-served session continues there', async () => {
    const id = newSession();
    openai.next({ text: 'Noted: blue.' });
    await say(KEYS.red, id, 'My favourite colour is blue.');
    const res = await postJson(
      `${gw.url}/v1/messages`,
      { model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'What colour?' }], context: { session_id: id, instructions: 'Answer in one word.' } },
      { headers: { 'x-api-key': KEYS.red, 'anthropic-version': '2023-06-01' } },
    );
    expect(res.status).toBe(200);
    const sent = anthropic.last().body;
    expect(sent).not.toHaveProperty('context');
    expect(JSON.stringify(sent.system)).toContain('Answer in one word.');
    expect(sent.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(sent.messages[1])).toContain('Noted: blue.');
  });

  it('keeps a session when its route switches from OpenAI to Anthropic', async () => {
    const id = newSession();
    openai.next({ text: 'OpenAI answered.' });
    await say(KEYS.red, id, 'Turn one.', {}, 'assistant');
    gw.writeConfig(config('claude'));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    try {
      const res = await say(KEYS.red, id, 'Turn two.', {}, 'assistant');
      expect(res.status).toBe(200);
      expect(anthropic.last().body.messages.map((m: { role: string; content: unknown }) => [m.role, JSON.stringify(m.content)])).toEqual([
        ['user', expect.stringContaining('Turn one.')],
        ['assistant', expect.stringContaining('OpenAI answered.')],
        ['user', expect.stringContaining('Turn two.')],
      ]);
      await say(KEYS.red, id, 'Turn three.', {}, 'assistant');
      expect(JSON.stringify(anthropic.last().body.messages[3])).toContain('Hello from the fake Anthropic upstream.');
    } finally {
      gw.writeConfig(config('gpt'));
      gw.gateway.reloader.reload('test');
    }
  });
});

describe('tenant isolation', () => {
  it('shares sessions within a team and hides them from other teams', async () => {
    const id = newSession();
    await say(KEYS.red, id, 'Red secret: 4242.');
    // Another key of the same team continues it.
    await say(KEYS.red2, id, 'Continue.');
    expect(JSON.stringify(openai.last().body.messages)).toContain('Red secret: 4242.');
    // The other team: 404 on read, and its own fresh conversation under the same id.
    await expectError(await getSession(KEYS.blue, id), 404);
    await expectError(await fetch(`${gw.url}/v1/sessions/${id}`, { method: 'DELETE', headers: auth(KEYS.blue) }), 404);
    await say(KEYS.blue, id, 'Blue here.');
    expect(JSON.stringify(openai.last().body.messages)).not.toContain('4242');
    expect((await getSession(KEYS.red, id)).status).toBe(200);
  });

  it('asks for a key on the session API when keys are required', async () => {
    await expectError(await fetch(`${gw.url}/v1/sessions/anything`), 401);
  });
});

describe('session API', () => {
  it('deletes a session: it is gone and the next turn starts afresh', async () => {
    const id = newSession();
    await say(KEYS.red, id, 'Remember me.');
    const del = await fetch(`${gw.url}/v1/sessions/${id}`, { method: 'DELETE', headers: auth(KEYS.red) });
    expect(await del.json()).toEqual({ id, object: 'session.deleted', deleted: true });
    await expectError(await getSession(KEYS.red, id), 404);
    await say(KEYS.red, id, 'New start.');
    expect(upstreamMessages()).toEqual([['user', 'New start.']]);
  });

  it('expires a session after its TTL', async () => {
    const id = newSession();
    await say(KEYS.red, id, 'Short-lived.', { context: { session_id: id, parameters: { ttl_seconds: 1 } } });
    expect((await getSession(KEYS.red, id)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100));
    await expectError(await getSession(KEYS.red, id), 404);
    await say(KEYS.red, id, 'Later.');
    expect(upstreamMessages()).toEqual([['user', 'Later.']]);
  });

  it('lists the tenant\'s own sessions, most recent first', async () => {
    const [older, newer] = [newSession(), newSession()];
    await say(KEYS.red, older, 'One.');
    await say(KEYS.red, newer, 'Two.');
    const list = await (await fetch(`${gw.url}/v1/sessions?limit=1000`, { headers: auth(KEYS.red2) })).json();
    const ids = list.data.map((s: { id: string }) => s.id);
    expect(ids.indexOf(newer)).toBeLessThan(ids.indexOf(older));
    expect(ids.indexOf(older)).toBeGreaterThanOrEqual(0);
    const blue = await (await fetch(`${gw.url}/v1/sessions`, { headers: auth(KEYS.blue) })).json();
    expect(blue.data.map((s: { id: string }) => s.id)).not.toContain(older);
    expect((await expectError(await fetch(`${gw.url}/v1/sessions?limit=0`, { headers: auth(KEYS.red) }), 400)).param).toBe('limit');
  });

  it('refuses a malformed session id', async () => {
    const error = await expectError(await getSession(KEYS.red, 'bad%20id'), 400);
    expect(error.param).toBe('session_id');
  });
});

describe('feedback', () => {
  const feedback = (key: string, body: unknown) => postJson(`${gw.url}/v1/feedback`, body, { headers: auth(key) });

  it('stores feedback on a request of the same tenant, with its session', async () => {
    const id = newSession();
    const res = await say(KEYS.red, id, 'Rate me.');
    const requestId = res.headers.get('x-gatehouse-request-id')!;
    const stored = await feedback(KEYS.red2, { request_id: requestId, score: 1, comment: 'Helpful' });
    expect(stored.status).toBe(201);
    expect(await stored.json()).toMatchObject({ object: 'feedback', request_id: requestId, session_id: id });
    const rows = await gw.gateway.access.store.db.selectFrom('feedback').selectAll().where('request_id', '=', requestId).execute();
    expect(rows).toEqual([expect.objectContaining({ scope: 'team:red', score: 1, comment: 'Helpful', session_id: id })]);
  });

  it('refuses feedback from another tenant on a known request, as unknown', async () => {
    const res = await say(KEYS.red, newSession(), 'Private.');
    const requestId = res.headers.get('x-gatehouse-request-id')!;
    await expectError(await feedback(KEYS.blue, { request_id: requestId, score: -1 }), 404);
    const rows = await gw.gateway.access.store.db.selectFrom('feedback').selectAll().where('request_id', '=', requestId).execute();
    expect(rows).toEqual([]);
  });

  it('keeps feedback on a request it does not know under the caller\'s scope', async () => {
    const stored = await feedback(KEYS.blue, { request_id: 'req-from-elsewhere', score: 0.5 });
    expect(stored.status).toBe(201);
    const rows = await gw.gateway.access.store.db.selectFrom('feedback').selectAll().where('request_id', '=', 'req-from-elsewhere').execute();
    expect(rows).toEqual([expect.objectContaining({ scope: 'team:blue', score: 0.5, comment: null, session_id: null })]);
  });

  it('validates the score and fields', async () => {
    expect((await expectError(await feedback(KEYS.red, { request_id: 'r', score: 5 }), 400)).param).toBe('score');
    expect((await expectError(await feedback(KEYS.red, { request_id: 'r', score: '1' }), 400)).param).toBe('score');
    expect((await expectError(await feedback(KEYS.red, { score: 1 }), 400)).param).toBe('request_id');
    expect((await expectError(await feedback(KEYS.red, { request_id: 'r', score: 1, stars: 3 }), 400)).param).toBe('stars');
  });
});

// The context protocol at the edges of the chat surfaces, over real HTTP: the session id echoed in
// x-gatehouse-session-id (OpenAI and Anthropic, JSON and streamed), /v1/messages/count_tokens
// counting the assembled request without storing anything, and sessions of anonymous callers
// (refused unless context.sessions.allow_anonymous, never listed).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/access/secrets.js';
import { anthropicEndpoint, startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-upstream.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { allSseData, expectError, postJson } from '../helpers/http.js';

const KEY = 'ghk_red-team-key-000000000000000000000000000';
const ANTHROPIC_KEY = 'sk-ant-fake';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
});
afterAll(async () => {
  await openai?.close();
  await anthropic?.close();
});
beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

const endpoints = () => [openaiEndpoint(openai, 'gpt', 'llm/v1/chat', 'gpt-4o-mini'), anthropicEndpoint(anthropic, 'claude', 'claude-sonnet', { anthropic_api_key: ANTHROPIC_KEY })];
let n = 0;
const newSession = () => `surf-${Date.now()}-${++n}`;

const openaiChat = (gw: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  postJson(`${gw.url}/v1/chat/completions`, { model: 'gpt', messages: [{ role: 'user', content: 'Hello' }], ...body }, { headers });
const anthropicPost = (gw: TestGateway, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  postJson(`${gw.url}${path}`, { model: 'claude', messages: [{ role: 'user', content: 'Hello' }], ...body }, { headers: { 'anthropic-version': '2023-06-01', ...headers } });

describe('with keys', () => {
  let gw: TestGateway;
  const auth = { authorization: `Bearer ${KEY}` };
  beforeAll(async () => {
    gw = await startGateway(JSON.stringify({ endpoints: endpoints(), teams: [{ name: 'red' }], keys: [{ name: 'red', team: 'red', hash: `sha256:${hashSecret(KEY)}` }] }));
  });
  afterAll(() => gw?.close());

  describe('x-gatehouse-session-id on answers', () => {
    it('echoes the session of OpenAI answers, JSON and streamed, from the body or the header', async () => {
      const id = newSession();
      const json = await openaiChat(gw, { context: { session_id: id } }, auth);
      expect(json.status).toBe(200);
      expect(json.headers.get('x-gatehouse-session-id')).toBe(id);
      const streamed = await openaiChat(gw, { stream: true }, { ...auth, 'x-gatehouse-session-id': id });
      expect(streamed.headers.get('content-type')).toContain('text/event-stream');
      expect(streamed.headers.get('x-gatehouse-session-id')).toBe(id);
      await allSseData(streamed);
    });

    it('echoes the session of Anthropic answers, JSON and streamed', async () => {
      const id = newSession();
      const json = await anthropicPost(gw, '/v1/messages', { max_tokens: 50, context: { session_id: id } }, auth);
      expect(json.status).toBe(200);
      expect(json.headers.get('x-gatehouse-session-id')).toBe(id);
      const streamed = await anthropicPost(gw, '/v1/messages', { max_tokens: 50, stream: true, context: { session_id: id } }, auth);
      expect(streamed.headers.get('x-gatehouse-session-id')).toBe(id);
      await allSseData(streamed);
    });

    it('is absent on answers that used no session', async () => {
      const res = await openaiChat(gw, { context: { instructions: 'Be brief.' } }, auth);
      expect(res.status).toBe(200);
      expect(res.headers.has('x-gatehouse-session-id')).toBe(false);
    });
  });

  describe('count_tokens with context', () => {
    it('counts the assembled request (history, instructions, documents) with Anthropic, and stores nothing', async () => {
      const id = newSession();
      expect((await openaiChat(gw, { messages: [{ role: 'user', content: 'My name is Ada.' }], context: { session_id: id } }, auth)).status).toBe(200);
      const res = await anthropicPost(
        gw,
        '/v1/messages/count_tokens',
        { messages: [{ role: 'user', content: 'And in winter?' }], context: { session_id: id, instructions: 'Answer in French.', documents: [{ id: 'kb-1', text: 'Open 9 to 5.' }] } },
        auth,
      );
      expect(res.status).toBe(200);
      expect((await res.json()).input_tokens).toBeGreaterThan(0);
      expect(res.headers.get('x-gatehouse-token-count')).toBe('exact');
      expect(res.headers.get('x-gatehouse-session-id')).toBe(id);
      const sent = anthropic.last();
      expect(sent.path).toBe('/v1/messages/count_tokens');
      expect(sent.body).not.toHaveProperty('context');
      const system = JSON.stringify(sent.body.system);
      expect(system).toContain('Answer in French.');
      expect(system).toContain('[kb-1]');
      expect(sent.body.messages.map((m: { role: string; content: { text: string }[] }) => [m.role, m.content[0].text])).toEqual([
        ['user', 'My name is Ada.'],
        ['assistant', expect.any(String)],
        ['user', 'And in winter?'],
      ]);
      const stored = await (await fetch(`${gw.url}/v1/sessions/${id}`, { headers: auth })).json();
      expect(stored.messages).toHaveLength(2);
    });

    it('estimates with the history for other providers, and does not create the session', async () => {
      const id = newSession();
      const long = 'The history of this conversation is long. '.repeat(40);
      expect((await openaiChat(gw, { messages: [{ role: 'user', content: long }], context: { session_id: id } }, auth)).status).toBe(200);
      const count = async (context?: Record<string, unknown>) => {
        const res = await anthropicPost(gw, '/v1/messages/count_tokens', { model: 'gpt', ...(context ? { context } : {}) }, auth);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-gatehouse-token-count')).toBe('estimate');
        return (await res.json()).input_tokens as number;
      };
      expect(await count({ session_id: id })).toBeGreaterThan((await count()) + 300);
      const fresh = newSession();
      await count({ session_id: fresh });
      await expectError(await fetch(`${gw.url}/v1/sessions/${fresh}`, { headers: auth }), 404);
    });

    it('needs a key to count with a session, and checks the envelope', async () => {
      const missing = await anthropicPost(gw, '/v1/messages/count_tokens', { context: { session_id: newSession() } });
      expect(missing.status).toBe(401);
      const bad = await anthropicPost(gw, '/v1/messages/count_tokens', { context: { session_id: 'no spaces allowed' } }, auth);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toContain('context.session_id');
    });
  });
});

describe('anonymous callers', () => {
  describe('by default', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway(JSON.stringify({ endpoints: endpoints() }));
    });
    afterAll(() => gw?.close());

    it('are refused sessions on every chat surface, and served without one', async () => {
      const id = newSession();
      expect(await expectError(await openaiChat(gw, { context: { session_id: id } }), 403)).toMatchObject({ code: 'anonymous_sessions_disabled', type: 'permission_error' });
      expect(await expectError(await openaiChat(gw, {}, { 'x-gatehouse-session-id': id }), 403)).toMatchObject({ code: 'anonymous_sessions_disabled' });
      const anthropicRefusal = await anthropicPost(gw, '/v1/messages', { max_tokens: 50, context: { session_id: id } });
      expect(anthropicRefusal.status).toBe(403);
      expect(await anthropicRefusal.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      expect((await anthropicPost(gw, '/v1/messages/count_tokens', { context: { session_id: id } })).status).toBe(403);
      expect(openai.requests).toHaveLength(0);
      expect((await openaiChat(gw, { context: { instructions: 'Be brief.' } })).status).toBe(200);
    });

    it('are refused the session API', async () => {
      expect(await expectError(await fetch(`${gw.url}/v1/sessions/some-id`), 403)).toMatchObject({ code: 'anonymous_sessions_disabled' });
      expect(await expectError(await fetch(`${gw.url}/v1/sessions/some-id`, { method: 'DELETE' }), 403)).toMatchObject({ code: 'anonymous_sessions_disabled' });
      expect(await expectError(await fetch(`${gw.url}/v1/sessions`), 403)).toMatchObject({ code: 'permission_denied' });
    });
  });

  describe('with context.sessions.allow_anonymous', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway(JSON.stringify({ endpoints: endpoints(), context: { sessions: { allow_anonymous: true } } }));
    });
    afterAll(() => gw?.close());

    it('share sessions by id, which are never listed', async () => {
      const id = newSession();
      openai.next({ text: 'Hello Ada.' });
      expect((await openaiChat(gw, { messages: [{ role: 'user', content: 'I am Ada.' }], context: { session_id: id } })).status).toBe(200);
      const next = await openaiChat(gw, { messages: [{ role: 'user', content: 'Who am I?' }] }, { 'x-gatehouse-session-id': id });
      expect(next.headers.get('x-gatehouse-session-id')).toBe(id);
      expect(openai.last().body.messages.map((m: { content: string }) => m.content)).toEqual(['I am Ada.', 'Hello Ada.', 'Who am I?']);
      const stored = await fetch(`${gw.url}/v1/sessions/${id}`);
      expect(stored.status).toBe(200);
      expect(stored.headers.get('x-gatehouse-session-id')).toBe(id);
      expect(await expectError(await fetch(`${gw.url}/v1/sessions`), 403)).toMatchObject({ code: 'permission_denied' });
    });
  });
});

// The context envelope's validation: every bad envelope (body or headers) is a 400 naming the
// field, and context on APIs without a conversation is refused rather than forwarded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { expectError, postJson } from '../helpers/http.js';

let openai: FakeOpenAI;
let gw: TestGateway;
beforeAll(async () => {
  openai = await startFakeOpenAI();
  gw = await startGateway(JSON.stringify({ endpoints: [openaiEndpoint(openai, 'gpt', 'llm/v1/chat', 'gpt-4o-mini'), openaiEndpoint(openai, 'embed', 'llm/v1/embeddings', 'text-embedding-3-small')] }));
});
afterAll(async () => {
  await gw?.close();
  await openai?.close();
});

const send = (context: unknown, headers: Record<string, string> = {}) =>
  postJson(`${gw.url}/v1/chat/completions`, { model: 'gpt', messages: [{ role: 'user', content: 'Hi' }], ...(context === undefined ? {} : { context }) }, { headers });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('invalid context envelopes', () => {
  it.each([
    ['not an object', 'nope', 'context', /'context' must be a JSON object/],
    ['an unknown field', { sesion_id: 'x' }, 'context', /unknown field 'sesion_id'/],
    ['a bad session id', { session_id: 'has spaces' }, 'context.session_id', /letters, digits/],
    ['a document without id', { documents: [{ text: 'x' }] }, 'context.documents[0].id', /context\.documents\[0\]\.id/],
    ['a non-string instruction', { instructions: 42 }, 'context.instructions', /string/],
    ['a zero TTL', { parameters: { ttl_seconds: 0 } }, 'context.parameters.ttl_seconds', /ttl_seconds/],
  ])('refuses %s', async (_, context, param, message) => {
    const error = await expectError(await send(context), 400);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_context', param });
    expect(error.message).toMatch(message);
    expect(openai.requests).toHaveLength(0);
  });

  it('refuses an unknown version with its own code', async () => {
    const error = await expectError(await send({ version: '2' }), 400);
    expect(error).toMatchObject({ code: 'unsupported_context_version', param: 'context.version' });
    expect(error.message).toMatch(/version "1"/);
  });

  it('names the header when a header is bad', async () => {
    expect((await expectError(await send(undefined, { 'x-gatehouse-session-id': 'a b' }), 400)).param).toBe('x-gatehouse-session-id');
    expect((await expectError(await send(undefined, { 'x-gatehouse-context': 'not base64 json' }), 400)).param).toBe('x-gatehouse-context');
    expect((await expectError(await send(undefined, { 'x-gatehouse-context': b64({ documents: 'x' }) }), 400)).param).toBe('x-gatehouse-context.documents');
  });

  it('refuses context on embeddings instead of forwarding it', async () => {
    const res = await postJson(`${gw.url}/v1/embeddings`, { model: 'embed', input: 'x', context: { session_id: 's' } });
    expect((await expectError(res, 400)).param).toBe('context');
  });
});

describe('valid envelopes', () => {
  it('renders instructions, profile and documents from a base64 header into a system message', async () => {
    openai.reset();
    const context = { version: '1', user_id: 'u-7', instructions: 'Answer in French.', user: { preferences: { units: 'metric' } }, documents: [{ id: 'kb-12', title: 'Opening hours', text: 'Open 9 to 5.' }] };
    const res = await send(undefined, { 'x-gatehouse-context': b64(context) });
    expect(res.status).toBe(200);
    const [system, user] = openai.last().body.messages;
    expect(user).toEqual({ role: 'user', content: 'Hi' });
    expect(system.role).toBe('system');
    expect(system.content).toContain('Answer in French.');
    expect(system.content).not.toContain('u-7');
    expect(system.content).toContain('- units: metric');
    expect(system.content).toContain('[kb-12] Opening hours\nOpen 9 to 5.');
    expect(system.content).toMatch(/cite each one you use as \[source_id\]/);
  });

  it('lets body fields win over header ones, and accepts version 1 as a number', async () => {
    openai.reset();
    const res = await send({ version: 1, instructions: 'From the body.' }, { 'x-gatehouse-context': b64({ instructions: 'From the header.' }) });
    expect(res.status).toBe(200);
    expect(openai.last().body.messages[0].content).toBe('From the body.');
  });
});

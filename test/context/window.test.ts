// Context-window management over HTTP: each strategy keeps the assembled prompt within the
// target's token budget, summarise calls the configured summariser endpoint and stores the
// summary, documents come from a retriever webhook (failing open or closed), input guardrails see
// (and redact) the assembled history, and the assembled context is on the request for logging.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AssembledContext } from '../../src/context/run.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { expectError, postJson } from '../helpers/http.js';

const BUDGET = 150;
let main: FakeOpenAI;
let summariser: FakeOpenAI;
let retriever: Server;
let retrieverUrl: string;
let retrieverMode: 'ok' | 'fail' = 'ok';
const retrieverQueries: unknown[] = [];
let gw: TestGateway;
const assembled: AssembledContext[] = [];

beforeAll(async () => {
  main = await startFakeOpenAI();
  summariser = await startFakeOpenAI();
  retriever = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    retrieverQueries.push(JSON.parse(raw));
    if (retrieverMode === 'fail') return void res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ documents: [{ id: 'doc-7', text: 'Refunds take 5 days.', title: 'Refunds' }] }));
  });
  await new Promise<void>((r) => retriever.listen(0, '127.0.0.1', r));
  retrieverUrl = `http://127.0.0.1:${(retriever.address() as AddressInfo).port}/search`;
  const chat = (name: string, context?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...openaiEndpoint(main, name, 'llm/v1/chat', 'gpt-4o-mini'), ...(context ? { context } : {}), ...extra });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        chat('truncate', { max_tokens: BUDGET, strategy: 'truncate-oldest' }),
        chat('last-n', { strategy: 'keep-system-and-last-n', keep_last: 2 }),
        chat('summary', { max_tokens: BUDGET, strategy: 'summarise', summariser: 'summariser' }),
        openaiEndpoint(summariser, 'summariser', 'llm/v1/chat', 'gpt-4o-mini'),
        chat('docs', { retriever: 'kb', template: '{{#has_documents}}Sources:{{#documents}} [{{id}}] {{text}}{{/documents}}{{/has_documents}}' }),
        chat('docs-closed', { retriever: 'kb-closed' }),
        chat('guarded', { max_tokens: 1000 }, { guardrails: { rules: [{ name: 'pii', type: 'pii', action: 'redact', detectors: ['email'] }] } }),
      ],
      context: {
        // An open gateway: its callers are anonymous, whose sessions are off unless enabled.
        sessions: { allow_anonymous: true },
        retrievers: [
          { name: 'kb', url: retrieverUrl, timeout: '1s' },
          { name: 'kb-closed', url: retrieverUrl, timeout: '1s', on_error: 'closed' },
        ],
      },
    }),
  );
  gw.gateway.app.gatehouseObservers.push(({ ctx }) => ctx.context?.assembled && assembled.push(ctx.context.assembled));
});
afterAll(async () => {
  await gw?.close();
  await main?.close();
  await summariser?.close();
  await new Promise((r) => retriever?.close(r));
});
beforeEach(() => {
  main.reset();
  summariser.reset();
});

let n = 0;
const say = (model: string, session: string, text: string) =>
  postJson(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: text }], context: { session_id: session } });
/** A turn of about 30 tokens, numbered so the test can see which survived. */
const long = (i: number) => `Turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(5)}`;
const tokensOf = (messages: { content: string }[]) => messages.reduce((sum, m) => sum + 4 + countTokens(m.content), 0);

async function converse(model: string, turns: number): Promise<string> {
  const id = `w-${model}-${++n}`;
  for (let i = 1; i <= turns; i++) {
    main.next({ text: `Answer ${i}.` });
    expect((await say(model, id, long(i))).status).toBe(200);
  }
  return id;
}

describe('context-window strategies', () => {
  it('truncate-oldest drops the oldest exchanges to keep within the budget', async () => {
    await converse('truncate', 6);
    const sent = main.last().body.messages;
    expect(tokensOf(sent)).toBeLessThanOrEqual(BUDGET);
    expect(sent.at(-1).content).toBe(long(6));
    expect(sent[0].content).not.toBe(long(1));
    expect(sent[0].role).toBe('user');
    expect(sent.length).toBeGreaterThan(1);
  });

  it('keep-system-and-last-n keeps system messages and the last N history messages', async () => {
    const id = await converse('last-n', 3);
    main.next({});
    await postJson(`${gw.url}/v1/chat/completions`, { model: 'last-n', messages: [{ role: 'system', content: 'Sys.' }, { role: 'user', content: 'Four.' }], context: { session_id: id } });
    expect(main.last().body.messages.map((m: { content: string }) => m.content)).toEqual(['Sys.', long(3), 'Answer 3.', 'Four.']);
  });

  it('summarise condenses older turns through the summariser endpoint and keeps the summary', async () => {
    summariser.next({ text: 'The user counted turns.' });
    const id = await converse('summary', 6);
    expect(summariser.requests.length).toBeGreaterThanOrEqual(1);
    const asked = JSON.stringify(summariser.requests[0].body.messages);
    expect(asked).toContain('Turn 1:');
    const sent = main.last().body.messages;
    expect(sent[0].role).toBe('system');
    expect(sent[0].content).toContain('Summary of the earlier conversation:');
    expect(tokensOf(sent)).toBeLessThanOrEqual(BUDGET);
    const session = await (await fetch(`${gw.url}/v1/sessions/${id}`)).json();
    expect(session.history_summary).toEqual(expect.any(String));
    expect(session.messages[0].content).not.toBe(long(1));
  });

  it('refuses a request whose new turns alone exceed the budget', async () => {
    const error = await expectError(await say('truncate', `w-big-${++n}`, 'word '.repeat(400)), 400);
    expect(error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    expect(main.requests).toHaveLength(0);
  });
});

describe('documents', () => {
  it('renders retrieved documents with the configured template, queried with the user turn', async () => {
    retrieverMode = 'ok';
    const res = await postJson(`${gw.url}/v1/chat/completions`, { model: 'docs', messages: [{ role: 'user', content: 'How long do refunds take?' }], context: { documents: [{ id: 'mine', text: 'Sent by the client.' }] } });
    expect(res.status).toBe(200);
    expect(retrieverQueries.at(-1)).toMatchObject({ query: 'How long do refunds take?', top_k: 5 });
    expect(main.last().body.messages[0]).toEqual({ role: 'system', content: 'Sources: [mine] Sent by the client. [doc-7] Refunds take 5 days.' });
  });

  it('fails open or closed as configured when the retriever fails', async () => {
    retrieverMode = 'fail';
    const open = await postJson(`${gw.url}/v1/chat/completions`, { model: 'docs', messages: [{ role: 'user', content: 'Q?' }] });
    expect(open.status).toBe(200);
    expect(main.last().body.messages).toEqual([{ role: 'user', content: 'Q?' }]);
    const closed = await postJson(`${gw.url}/v1/chat/completions`, { model: 'docs-closed', messages: [{ role: 'user', content: 'Q?' }] });
    expect((await expectError(closed, 502)).code).toBe('retriever_failed');
    retrieverMode = 'ok';
  });
});

describe('guardrails and logging', () => {
  it('redacts PII in stored history before it goes upstream, and records the assembled context', async () => {
    const id = `w-pii-${++n}`;
    await say('guarded', id, 'Write to alice@example.com please.');
    const res = await say('guarded', id, 'Thanks.');
    const sent = JSON.stringify(main.last().body.messages);
    expect(sent).not.toContain('alice@example.com');
    expect(sent).toContain('Thanks.');
    await new Promise((r) => setTimeout(r, 50));
    const record = assembled.find((a) => a.session_id === id && a.messages.some((m) => m.content === 'Thanks.'));
    expect(record).toMatchObject({ version: '1', session_id: id, history_messages: 2, dropped_messages: 0 });
    expect(JSON.stringify(record!.messages)).not.toContain('alice@example.com');
    expect(res.status).toBe(200);
  });
});

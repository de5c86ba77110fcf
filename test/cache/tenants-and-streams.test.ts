// Who may see whose cached answers (team, key and global scope), the semantic cache above and below
// its threshold, streams replayed to the official openai client, and the purge API.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_REPLY, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { admin, ADMIN_KEY } from '../access/helpers.js';
import { answer, ask, cacheConfig } from './helpers.js';

let fake: FakeOpenAI;
let gw: TestGateway | undefined;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake?.close());
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  fake.reset();
});

const TEAMS = `auth: { admin_key: ${ADMIN_KEY} }\nteams: [ { name: red }, { name: blue } ]`;

async function keyOf(team: string | undefined, name: string): Promise<string> {
  const { body } = await admin(gw!, 'POST', '/admin/keys', { name, ...(team ? { team } : {}) });
  return body.secret;
}

describe('tenant isolation', () => {
  it('team scope: a team shares its answers; another team never gets them', async () => {
    gw = await startGateway(cacheConfig(fake, '{}', TEAMS));
    const [red1, red2, blue] = [await keyOf('red', 'r1'), await keyOf('red', 'r2'), await keyOf('blue', 'b1')];
    fake.next({ text: 'Red team secret plan.' });
    expect(await answer(await ask(gw.url, 'Our plan?', { key: red1 }))).toMatchObject({ cache: 'miss', text: 'Red team secret plan.' });
    expect(await answer(await ask(gw.url, 'Our plan?', { key: red2 }))).toMatchObject({ cache: 'hit', text: 'Red team secret plan.' });
    const other = await answer(await ask(gw.url, 'Our plan?', { key: blue }));
    expect(other).toMatchObject({ cache: 'miss', text: FAKE_REPLY });
    expect(fake.requests).toHaveLength(2);
  });

  it('key scope: not even a team mate gets another key\'s answers; global scope: everyone does', async () => {
    gw = await startGateway(cacheConfig(fake, '{ scope: key }', TEAMS));
    const [red1, red2] = [await keyOf('red', 'r1'), await keyOf('red', 'r2')];
    await ask(gw.url, 'Mine', { key: red1 });
    expect((await answer(await ask(gw.url, 'Mine', { key: red1 }))).cache).toBe('hit');
    expect((await answer(await ask(gw.url, 'Mine', { key: red2 }))).cache).toBe('miss');

    await gw.close();
    gw = await startGateway(cacheConfig(fake, '{ scope: global }', TEAMS));
    const [red, blue] = [await keyOf('red', 'r'), await keyOf('blue', 'b')];
    await ask(gw.url, 'Public', { key: red });
    expect((await answer(await ask(gw.url, 'Public', { key: blue }))).cache).toBe('hit');
  });

  it('a key without a team shares with itself only under team scope', async () => {
    gw = await startGateway(cacheConfig(fake, '{}', TEAMS));
    const [loneA, loneB] = [await keyOf(undefined, 'a'), await keyOf(undefined, 'b')];
    await ask(gw.url, 'Alone', { key: loneA });
    expect((await answer(await ask(gw.url, 'Alone', { key: loneA }))).cache).toBe('hit');
    expect((await answer(await ask(gw.url, 'Alone', { key: loneB }))).cache).toBe('miss');
  });
});

describe('semantic cache', () => {
  it('serves a similar prompt above the threshold, with its similarity, and asks upstream below it', async () => {
    gw = await startGateway(cacheConfig(fake, '{ mode: semantic, semantic: { threshold: 0.8 } }'));
    fake.next({ text: 'Paris.' });
    await ask(gw.url, 'What is the capital city of France?');
    const similar = await ask(gw.url, 'what is the capital city of france');
    expect(similar.headers.get('x-gatehouse-cache')).toBe('semantic-hit');
    const similarity = Number(similar.headers.get('x-gatehouse-cache-similarity'));
    expect(similarity).toBeGreaterThanOrEqual(0.8);
    expect((await similar.json()).choices[0].message.content).toBe('Paris.');
    const unrelated = await answer(await ask(gw.url, 'Write a haiku about autumn leaves'));
    expect(unrelated).toMatchObject({ cache: 'miss', text: FAKE_REPLY });
    // The exact request is an exact hit.
    expect((await answer(await ask(gw.url, 'What is the capital city of France?'))).cache).toBe('hit');
    // Other parameters must match exactly: a similar prompt with another max_tokens is a miss.
    expect((await answer(await ask(gw.url, 'what is the capital city of france', { extra: { max_tokens: 5 } }))).cache).toBe('miss');
  });

  it('embeds with a configured embeddings endpoint, and keeps tenants apart', async () => {
    const embedder = `  - name: embed
    endpoint_type: llm/v1/embeddings
    model: { provider: mock, name: mock-embed, config: { embedding_dimensions: 64 } }
${TEAMS}`;
    gw = await startGateway(cacheConfig(fake, '{ mode: semantic, semantic: { threshold: 0.99, embedder: { endpoint: embed } } }', embedder));
    const [red, blue] = [await keyOf('red', 'r'), await keyOf('blue', 'b')];
    await ask(gw.url, 'Tell me about the weather', { key: red });
    // The same words as content parts: another exact key, the same embedding.
    const parts = [{ type: 'text', text: 'Tell me about the weather' }];
    const asParts = (key: string) =>
      fetch(`${gw!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: parts }] }),
      });
    const similar = await asParts(red);
    expect(similar.headers.get('x-gatehouse-cache')).toBe('semantic-hit');
    expect(Number(similar.headers.get('x-gatehouse-cache-similarity'))).toBeCloseTo(1, 3);
    expect((await asParts(blue)).headers.get('x-gatehouse-cache')).toBe('miss');
    expect(fake.requests).toHaveLength(2);
  });
});

describe('streams', () => {
  it('replays a cached answer as an SSE stream the openai client reads, and stores a streamed answer once complete', async () => {
    gw = await startGateway(cacheConfig(fake));
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const read = async (content: string, includeUsage = false) => {
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content }], stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) })
        .withResponse();
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      return { cache: response.headers.get('x-gatehouse-cache'), chunks, text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join('') };
    };
    const first = await read('Stream it');
    expect(first).toMatchObject({ cache: 'miss', text: FAKE_REPLY });
    const replayed = await read('Stream it', true);
    expect(replayed).toMatchObject({ cache: 'hit', text: FAKE_REPLY });
    expect(replayed.chunks[0].choices[0].delta.role).toBe('assistant');
    expect(replayed.chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(replayed.chunks.at(-1)!.usage?.total_tokens).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(1);
    // The streamed answer serves a plain request too, and a plain answer serves a stream.
    expect((await answer(await ask(gw.url, 'Stream it'))).cache).toBe('hit');
    await ask(gw.url, 'Plain first');
    expect(await read('Plain first')).toMatchObject({ cache: 'hit', text: FAKE_REPLY });
    const final = await client.chat.completions.stream({ model: 'chat', messages: [{ role: 'user', content: 'Plain first' }] }).finalChatCompletion();
    expect(final.choices[0].message.content).toBe(FAKE_REPLY);
  });

  it('never stores a stream that failed or was cut', async () => {
    gw = await startGateway(cacheConfig(fake));
    const stream = (content: string) => fetch(`${gw!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content }], stream: true }),
    });
    fake.next({ failAfter: { events: 3, how: 'error-event' } });
    await (await stream('Breaks')).text();
    expect((await stream('Breaks')).headers.get('x-gatehouse-cache')).toBe('miss');

    fake.next({ eventDelayMs: 50 });
    const controller = new AbortController();
    const cut = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Cut short' }], stream: true }),
      signal: controller.signal,
    });
    const reader = cut.body!.getReader();
    await reader.read();
    controller.abort();
    await fake.last().ended;
    const after = await stream('Cut short');
    expect(after.headers.get('x-gatehouse-cache')).toBe('miss');
  });
});

describe('purge API', () => {
  it('purges by endpoint, by team, or everything, with the admin key only', async () => {
    gw = await startGateway(cacheConfig(fake, '{}', TEAMS));
    const [red, blue] = [await keyOf('red', 'r'), await keyOf('blue', 'b')];
    const fill = async () => {
      for (const key of [red, blue]) await ask(gw!.url, 'Keep me', { key });
    };
    const cached = async (key: string) => (await answer(await ask(gw!.url, 'Keep me', { key, headers: { 'x-gatehouse-cache': 'only-if-cached' } }))).status === 200;

    await fill();
    expect(await admin(gw, 'POST', '/admin/cache/purge', { team: 'red' })).toMatchObject({ status: 200, body: { purged: 1, team: 'red' } });
    expect([await cached(red), await cached(blue)]).toEqual([false, true]);

    await fill();
    expect((await admin(gw, 'POST', '/admin/cache/purge', { endpoint: 'chat' })).body.purged).toBe(2);
    expect([await cached(red), await cached(blue)]).toEqual([false, false]);

    await fill();
    expect((await admin(gw, 'POST', '/admin/cache/purge', { all: true })).body.purged).toBe(2);
    expect(await cached(blue)).toBe(false);

    expect((await admin(gw, 'POST', '/admin/cache/purge', {})).status).toBe(400);
    const anonymous = await fetch(`${gw.url}/admin/cache/purge`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${red}` }, body: '{"all":true}' });
    expect(anonymous.status).toBe(401);
  });
});

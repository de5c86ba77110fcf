// The response cache over real HTTP, in front of a fake OpenAI upstream that counts the calls it
// gets: hits and misses, what is part of the key, non-deterministic requests, the header controls,
// completions, metrics, budgets and limits (a hit books nothing), and masked PII restored per caller.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_REPLY, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { admin } from '../access/helpers.js';
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

const calls = () => fake.requests.length;

describe('exact cache', () => {
  it('answers a repeated request from the cache: one upstream call, the same answer, usage shown', async () => {
    gw = await startGateway(cacheConfig(fake));
    const first = await answer(await ask(gw.url, 'What is a gateway?'));
    expect(first).toMatchObject({ status: 200, cache: 'miss', text: FAKE_REPLY });
    const second = await answer(await ask(gw.url, 'What is a gateway?'));
    expect(second).toMatchObject({ status: 200, cache: 'hit', text: FAKE_REPLY });
    expect(calls()).toBe(1);
    expect(second.body.usage).toEqual(first.body.usage);
    expect(second.body.id).not.toBe(first.body.id);
    // The log line says where the answer came from (the endpoint that made it).
    const line = gw.logs.filter((l) => l.msg === 'request').at(-1)!;
    expect(line).toMatchObject({ endpoint: 'chat', upstream_ms: 0 });
  });

  it('keys on the messages and every parameter that changes the answer, not on delivery fields', async () => {
    gw = await startGateway(cacheConfig(fake));
    await ask(gw.url, 'Hi', { extra: { max_tokens: 50, user: 'alice' } });
    expect((await answer(await ask(gw.url, 'Hi', { extra: { user: 'bob', max_tokens: 50 } }))).cache).toBe('hit');
    expect((await answer(await ask(gw.url, 'Hi', { extra: { max_tokens: 3 } }))).cache).toBe('miss');
    expect((await answer(await ask(gw.url, 'Hi!', { extra: { max_tokens: 50 } }))).cache).toBe('miss');
    expect((await answer(await ask(gw.url, 'Hi', { extra: { max_tokens: 50, seed: 7 } }))).cache).toBe('miss');
    expect(calls()).toBe(4);
    // A target without a cache section is not cached and sends no cache header.
    const plain = await answer(await ask(gw.url, 'Hi', { model: 'plain' }));
    expect(plain.cache).toBeNull();
  });

  it('neither serves nor stores requests with a temperature above max_temperature', async () => {
    gw = await startGateway(cacheConfig(fake));
    expect((await answer(await ask(gw.url, 'Vary', { extra: { temperature: 0.8 } }))).cache).toBe('bypass');
    expect((await answer(await ask(gw.url, 'Vary', { extra: { temperature: 0.8 } }))).cache).toBe('bypass');
    expect(calls()).toBe(2);
    await ask(gw.url, 'Same', { extra: { temperature: 0 } });
    expect((await answer(await ask(gw.url, 'Same', { extra: { temperature: 0 } }))).cache).toBe('hit');

    await gw.close();
    gw = await startGateway(cacheConfig(fake, '{ max_temperature: 1 }'));
    await ask(gw.url, 'Vary', { extra: { temperature: 0.8 } });
    expect((await answer(await ask(gw.url, 'Vary', { extra: { temperature: 0.8 } }))).cache).toBe('hit');
  });

  it('expires entries after the ttl', async () => {
    gw = await startGateway(cacheConfig(fake, '{ ttl: 300ms }'));
    await ask(gw.url, 'Short-lived');
    expect((await answer(await ask(gw.url, 'Short-lived'))).cache).toBe('hit');
    await new Promise((r) => setTimeout(r, 400));
    expect((await answer(await ask(gw.url, 'Short-lived'))).cache).toBe('miss');
  });

  it('keeps entries over a reload, and starts afresh when the target\'s model changes', async () => {
    gw = await startGateway(cacheConfig(fake));
    await ask(gw.url, 'Survive a reload');
    gw.writeConfig(cacheConfig(fake, '{ ttl: 2h }'));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect((await answer(await ask(gw.url, 'Survive a reload'))).cache).toBe('hit');
    gw.writeConfig(cacheConfig(fake).replace('name: gpt-4o-mini', 'name: gpt-4o'));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect((await answer(await ask(gw.url, 'Survive a reload'))).cache).toBe('miss');
  });

  it('does not store an upstream error', async () => {
    gw = await startGateway(cacheConfig(fake));
    fake.next({ status: 500 });
    expect((await ask(gw.url, 'Fails once')).status).toBe(502);
    expect((await answer(await ask(gw.url, 'Fails once'))).cache).toBe('miss');
    expect((await answer(await ask(gw.url, 'Fails once'))).cache).toBe('hit');
  });

  it('caches completions', async () => {
    gw = await startGateway(cacheConfig(fake));
    const complete = () => fetch(`${gw!.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'instruct', prompt: 'Once upon' }) });
    const first = await complete();
    const second = await complete();
    expect([first.headers.get('x-gatehouse-cache'), second.headers.get('x-gatehouse-cache')]).toEqual(['miss', 'hit']);
    expect((await second.json()).choices[0].text).toBe((await first.json()).choices[0].text);
    expect(calls()).toBe(1);
  });
});

describe('header controls', () => {
  it('bypass neither reads nor stores; refresh asks upstream and stores; only-if-cached never calls upstream', async () => {
    gw = await startGateway(cacheConfig(fake));
    expect((await answer(await ask(gw.url, 'Q', { headers: { 'x-gatehouse-cache': 'bypass' } }))).cache).toBe('bypass');
    const missing = await ask(gw.url, 'Q', { headers: { 'x-gatehouse-cache': 'only-if-cached' } });
    expect(missing.status).toBe(504);
    expect((await missing.json()).error.code).toBe('cache_miss');
    expect(calls()).toBe(1);

    await ask(gw.url, 'Q');
    expect((await answer(await ask(gw.url, 'Q', { headers: { 'x-gatehouse-cache': 'only-if-cached' } }))).cache).toBe('hit');
    fake.next({ text: 'A newer answer.' });
    const refreshed = await answer(await ask(gw.url, 'Q', { headers: { 'x-gatehouse-cache': 'refresh' } }));
    expect(refreshed).toMatchObject({ cache: 'miss', text: 'A newer answer.' });
    expect((await answer(await ask(gw.url, 'Q'))).text).toBe('A newer answer.');
    expect(calls()).toBe(3);

    const bad = await ask(gw.url, 'Q', { headers: { 'x-gatehouse-cache': 'sometimes' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('x-gatehouse-cache');
  });

  it('honours Cache-Control no-cache (no read) and no-store (no write)', async () => {
    gw = await startGateway(cacheConfig(fake));
    expect((await answer(await ask(gw.url, 'C', { headers: { 'cache-control': 'no-store' } }))).cache).toBe('miss');
    expect((await answer(await ask(gw.url, 'C'))).cache).toBe('miss');
    expect((await answer(await ask(gw.url, 'C', { headers: { 'cache-control': 'no-cache' } }))).cache).toBe('miss');
    expect((await answer(await ask(gw.url, 'C', { headers: { 'cache-control': 'no-store' } }))).cache).toBe('hit');
    expect((await ask(gw.url, 'Never asked', { headers: { 'cache-control': 'only-if-cached' } })).status).toBe(504);
    expect(calls()).toBe(3);
  });
});

describe('accounting', () => {
  it('books no spend for a hit and counts hits, saved tokens and saved USD in /metrics', async () => {
    gw = await startGateway(cacheConfig(fake, '{}', 'auth: { admin_key: test-admin-key-0123456789 }\nteams: [ { name: payers } ]'));
    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'payer', team: 'payers' });
    await ask(gw.url, 'Priced', { key: key.secret });
    const spent = async () => Object.values((await admin(gw!, 'GET', `/admin/keys/${key.id}/spend`)).body.by_day as Record<string, number>).reduce((a, b) => a + b, 0);
    const afterMiss = await spent();
    expect(afterMiss).toBeGreaterThan(0);
    const hit = await answer(await ask(gw.url, 'Priced', { key: key.secret }));
    expect(hit.cache).toBe('hit');
    expect(await spent()).toBe(afterMiss);

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_cache_requests_total\{endpoint="chat",result="hit"\} [1-9]/);
    expect(metrics).toMatch(/gatehouse_cache_saved_tokens_total\{endpoint="chat"\} [1-9]/);
    expect(metrics).toMatch(/gatehouse_cache_saved_usd_total\{endpoint="chat"\} 0\.0\d*[1-9]/);
  });

  it('gives a hit\'s tokens back to a tokens-per-minute limit', async () => {
    // 40 tokens a minute: the miss uses about 10; hits spend none, so many more fit.
    gw = await startGateway(cacheConfig(fake, '{}', 'limits: [ { tpm: 40, per: global } ]'));
    await ask(gw.url, 'Count me once');
    for (let i = 0; i < 8; i++) expect((await answer(await ask(gw.url, 'Count me once'))).cache).toBe('hit');
    expect(calls()).toBe(1);
  });
});

describe('guardrails', () => {
  it('keys on the masked request and restores each caller\'s own values into a shared answer', async () => {
    const guardrails = `
    guardrails:
      rules:
        - { name: pii, type: pii, stage: input, action: redact, mode: mask_and_restore, detectors: [email] }`;
    const yaml = cacheConfig(fake).replace("    cache: {}\n  - name: plain", `    cache: {}${guardrails}\n  - name: plain`);
    gw = await startGateway(yaml);
    fake.next({ text: 'I will write to [EMAIL_1] today.' });
    const alice = await answer(await ask(gw.url, 'Please email alice@example.com the report'));
    expect(alice).toMatchObject({ cache: 'miss', text: 'I will write to alice@example.com today.' });
    expect(JSON.stringify(fake.last().body)).not.toContain('alice@example.com');
    const bob = await answer(await ask(gw.url, 'Please email bob@example.org the report'));
    expect(bob).toMatchObject({ cache: 'hit', text: 'I will write to bob@example.org today.' });
    expect(bob.text).not.toContain('alice');
    expect(calls()).toBe(1);
  });
});

// Moderation guardrails over real HTTP: a rule names an llm/v1/moderations endpoint (OpenAI's or
// Mistral's moderation API, fakes speaking each wire format), whose verdict blocks, flags or lets
// the request on; input and output; fail-open and fail-closed; categories and thresholds. Also the
// gateway's own POST /v1/moderations, with the official openai client, and the config checks.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/access/secrets.js';
import { firedCategories } from '../src/guardrails/stage/moderation.js';
import { startFakeMistral } from './fakes/mistral-upstream.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import type { RecordingServer } from './fakes/recording-server.js';
import { expectIssue, load } from './helpers/config.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, expectError, postJson } from './helpers/http.js';

const MOD_KEY = 'sk-moderation-key-0123456789';
const MISTRAL_KEY = 'mistral-key-0123456789';

let chatUpstream: FakeOpenAI;
let moderator: FakeOpenAI;
let mistral: RecordingServer<object>;
let gw: TestGateway;

beforeAll(async () => {
  chatUpstream = await startFakeOpenAI();
  moderator = await startFakeOpenAI({ apiKey: MOD_KEY });
  mistral = await startFakeMistral(MISTRAL_KEY);
  const chat = (name: string, rules: unknown[]) => openaiEndpoint(chatUpstream, name, 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'k' }, guardrails: { rules } });
  const rule = (extra: Record<string, unknown> = {}) => ({ name: 'moderation', type: 'moderation', endpoint: 'mod', timeout: '300ms', ...extra });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        openaiEndpoint(moderator, 'mod', 'llm/v1/moderations', 'omni-moderation-latest', { config: { openai_api_key: MOD_KEY } }),
        { name: 'mistral-mod', endpoint_type: 'llm/v1/moderations', model: { provider: 'mistral', name: 'mistral-moderation-latest', config: { mistral_api_key: MISTRAL_KEY, mistral_api_base: `${mistral.url}/v1` } } },
        chat('closed', [rule({ stage: 'both', on_failure: 'block' })]),
        chat('open', [rule({ on_failure: 'allow' })]),
        chat('flagged', [rule({ action: 'flag' })]),
        chat('violence-only', [rule({ categories: ['violence'], thresholds: { violence: 0.3 } })]),
        chat('redacted', [{ name: 'pii', type: 'pii', action: 'redact', mode: 'mask_and_restore' }, rule()]),
        chat('mistral', [rule({ endpoint: 'mistral-mod' })]),
      ],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await chatUpstream?.close();
  await moderator?.close();
  await mistral?.close();
});
beforeEach(() => {
  chatUpstream.reset();
  moderator.reset();
  mistral.reset();
});

const ask = (model: string, content: string) => postJson(`${gw.url}/v1/chat/completions`, chatBody(model, {}, content));
const moderationEvents = (requestId: string | null) => gw.logs.filter((l) => l.msg === 'guardrail' && l.request_id === requestId);

describe('input moderation', () => {
  it('blocks a flagged request before any upstream chat call, and records the categories without the text', async () => {
    const res = await ask('closed', 'I will kill the process and you');
    const error = await expectError(res, 400);
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toBe('Request blocked by guardrail "moderation": flagged for violence');
    expect(chatUpstream.requests).toHaveLength(0);
    const call = moderator.last();
    expect(call.path).toBe('/v1/moderations');
    expect(call.headers.authorization).toBe(`Bearer ${MOD_KEY}`);
    expect(call.body).toEqual({ input: ['I will kill the process and you'], model: 'omni-moderation-latest' });
    const [event] = moderationEvents(res.headers.get('x-gatehouse-request-id'));
    expect(event).toMatchObject({ rule: 'moderation', type: 'moderation', stage: 'input', action: 'block', detail: { categories: ['violence'], scores: { violence: 0.95 } } });
    expect(JSON.stringify(event)).not.toContain('kill');
  });

  it('lets a clean request on to the upstream', async () => {
    const res = await ask('closed', 'What is the capital of France?');
    expect(res.status).toBe(200);
    expect(chatUpstream.requests).toHaveLength(1);
    expect(moderator.requests).toHaveLength(2); // the question, then the answer (stage both)
  });

  it('with action flag records the event and lets the request on', async () => {
    const res = await ask('flagged', 'I hate Mondays');
    expect(res.status).toBe(200);
    expect(chatUpstream.requests).toHaveLength(1);
    expect(moderationEvents(res.headers.get('x-gatehouse-request-id'))).toEqual([
      expect.objectContaining({ action: 'flag', detail: { categories: ['hate'], scores: { hate: 0.9 } } }),
    ]);
  });

  it('classifies the request as the built-in rules left it: redacted values never reach the classifier', async () => {
    const res = await ask('redacted', 'Mail dana@example.com about the fight');
    expect(res.status).toBe(200);
    expect(moderator.last().body.input).toEqual(['Mail [EMAIL_1] about the fight']);
  });

  it('classifies user turns only by default', async () => {
    const body = { model: 'closed', messages: [{ role: 'system', content: 'Never kill a process.' }, { role: 'user', content: 'Hi' }] };
    expect((await postJson(`${gw.url}/v1/chat/completions`, body)).status).toBe(200);
    expect(moderator.requests[0].body.input).toEqual(['Hi']);
  });
});

describe('categories and thresholds', () => {
  it('fires on a score at a per-category threshold the provider does not flag', async () => {
    // "fight" scores violence 0.35: below the provider's flag, above the rule's 0.3.
    expect((await ask('closed', "Let's fight about tabs")).status).toBe(200);
    const error = await expectError(await ask('violence-only', "Let's fight about tabs"), 400);
    expect(error.message).toMatch(/flagged for violence$/);
  });

  it('ignores categories the rule does not count, and counts sub-categories of those it does', async () => {
    expect((await ask('violence-only', 'I hate Mondays')).status).toBe(200);
    const error = await expectError(await ask('violence-only', 'So much gore'), 400);
    expect(error.message).toMatch(/flagged for violence\/graphic$/);
  });
});

describe('firedCategories', () => {
  const result = {
    flagged: true,
    categories: { violence: false, 'violence/graphic': true, hate: true, sexual: false },
    category_scores: { violence: 0.45, 'violence/graphic': 0.3, hate: 0.7, sexual: 0.2 },
  };

  it('follows the provider\'s flags without thresholds, over the counted categories', () => {
    expect(firedCategories({ thresholds: {} }, result)).toEqual({ 'violence/graphic': 0.3, hate: 0.7 });
    expect(firedCategories({ categories: ['violence'], thresholds: {} }, result)).toEqual({ 'violence/graphic': 0.3 });
  });

  it('uses the most specific threshold, then the rule\'s, instead of the flags', () => {
    expect(firedCategories({ threshold: 0.4, thresholds: {} }, result)).toEqual({ violence: 0.45, hate: 0.7 });
    expect(firedCategories({ threshold: 0.9, thresholds: { violence: 0.4, 'violence/graphic': 0.5 } }, result)).toEqual({ violence: 0.45 });
  });
});

describe('failures', () => {
  it('fail closed: an upstream error is a 503 and nothing goes upstream', async () => {
    moderator.next({ status: 500 });
    const error = await expectError(await ask('closed', 'Hello'), 503);
    expect(error).toMatchObject({ code: 'guardrail_unavailable' });
    expect(error.message).toMatch(/"moderation" could not be asked \(bad_status\)/);
    expect(chatUpstream.requests).toHaveLength(0);
  });

  it('fail closed: a moderation endpoint slower than the timeout is a 503', async () => {
    moderator.next({ hang: true });
    const error = await expectError(await ask('closed', 'Hello'), 503);
    expect(error.message).toMatch(/could not be asked \(timeout\)/);
    expect(chatUpstream.requests).toHaveLength(0);
  });

  it('fail open: a timeout or an error lets the request on and is recorded', async () => {
    moderator.next({ hang: true }, { status: 429 });
    const slow = await ask('open', 'Hello');
    expect(slow.status).toBe(200);
    expect(moderationEvents(slow.headers.get('x-gatehouse-request-id'))).toEqual([expect.objectContaining({ action: 'flag', detail: { failure: 'timeout', outcome: 'allowed' } })]);
    const limited = await ask('open', 'Hello');
    expect(limited.status).toBe(200);
    expect(moderationEvents(limited.headers.get('x-gatehouse-request-id'))).toEqual([expect.objectContaining({ detail: { failure: 'bad_status', outcome: 'allowed' } })]);
    expect(chatUpstream.requests).toHaveLength(2);
  });
});

describe('output moderation', () => {
  it('stops a flagged answer with a 422 naming the rule', async () => {
    chatUpstream.next({ text: 'Sure, here is how to kill it.' });
    const error = await expectError(await ask('closed', 'How do I stop a process?'), 422, 'closed');
    expect(error).toMatchObject({ code: 'guardrail_blocked', message: 'The answer was stopped by guardrail "moderation": flagged for violence' });
    expect(moderator.requests.map((r) => r.body.input)).toEqual([['How do I stop a process?'], ['Sure, here is how to kill it.']]);
  });

  it('does not check answers of an input-only rule', async () => {
    chatUpstream.next({ text: 'Sure, here is how to kill it.' });
    expect((await ask('open', 'How do I stop a process?')).status).toBe(200);
    expect(moderator.requests).toHaveLength(1);
  });
});

describe('Mistral moderation', () => {
  it('blocks on Mistral\'s categories, through its raw-text API', async () => {
    const error = await expectError(await ask('mistral', 'I will kill it'), 400);
    expect(error.message).toMatch(/flagged for violence_and_threats$/);
    expect(mistral.last()).toMatchObject({ path: '/v1/moderations', body: { input: ['I will kill it'], model: 'mistral-moderation-latest' } });
    expect(mistral.last().headers.authorization).toBe(`Bearer ${MISTRAL_KEY}`);
    expect((await ask('mistral', 'Hello there')).status).toBe(200);
  });
});

describe('POST /v1/moderations', () => {
  it('answers the official openai client in OpenAI\'s shape', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
    const res = await client.moderations.create({ model: 'mod', input: ['I will kill it', 'Good morning'] });
    expect(res.results.map((r) => r.flagged)).toEqual([true, false]);
    expect(res.results[0].categories.violence).toBe(true);
    expect(res.results[0].category_scores.violence).toBe(0.95);
    expect(moderator.last().body).toEqual({ model: 'omni-moderation-latest', input: ['I will kill it', 'Good morning'] });
  });

  it('gives Mistral\'s answers a flagged field', async () => {
    const res = await postJson(`${gw.url}/v1/moderations`, { model: 'mistral-mod', input: 'I hate it' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { flagged: boolean; categories: Record<string, boolean> }[] };
    expect(body.results[0].flagged).toBe(true);
    expect(body.results[0].categories.hate_and_discrimination).toBe(true);
  });

  it('refuses bad input, a chat endpoint, and a missing model when several moderation endpoints exist', async () => {
    const bad = await expectError(await postJson(`${gw.url}/v1/moderations`, { model: 'mod', input: [] }), 400);
    expect(bad.param).toBe('input');
    const wrong = await expectError(await postJson(`${gw.url}/v1/moderations`, { model: 'closed', input: 'x' }), 400);
    expect(wrong.code).toBe('wrong_endpoint_type');
    const missing = await expectError(await postJson(`${gw.url}/v1/moderations`, { input: 'x' }), 400);
    expect(missing.message).toMatch(/Several moderation endpoints are configured \(mod, mistral-mod\)/);
  });

  it('uses the only moderation endpoint when model is left out, as OpenAI\'s API allows', async () => {
    const single = await startGateway(JSON.stringify({ endpoints: [openaiEndpoint(moderator, 'mod', 'llm/v1/moderations', 'omni-moderation-latest', { config: { openai_api_key: MOD_KEY } })] }));
    try {
      const client = new OpenAI({ baseURL: `${single.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
      const res = await client.moderations.create({ input: 'Good morning' });
      expect(res.results[0].flagged).toBe(false);
    } finally {
      await single.close();
    }
  });
});

describe('moderation endpoints elsewhere', () => {
  it('serve MLflow\'s invocations path with the same payload', async () => {
    const res = await postJson(`${gw.url}/endpoints/mod/invocations`, { input: 'I will kill it' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: { flagged: boolean }[] }).results[0].flagged).toBe(true);
  });

  it('back a team\'s moderation rule on an endpoint without guardrails of its own', async () => {
    const secret = 'ghk_moderated-team-key-000000000000000000000';
    const teamGw = await startGateway(
      JSON.stringify({
        endpoints: [
          openaiEndpoint(moderator, 'mod', 'llm/v1/moderations', 'omni-moderation-latest', { config: { openai_api_key: MOD_KEY } }),
          openaiEndpoint(chatUpstream, 'plain', 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'k' } }),
        ],
        teams: [{ name: 'kids', guardrails: { rules: [{ name: 'team-moderation', type: 'moderation', endpoint: 'mod', on_failure: 'block' }] } }],
        keys: [{ name: 'kids-key', team: 'kids', hash: `sha256:${hashSecret(secret)}` }],
      }),
    );
    try {
      const error = await expectError(await postJson(`${teamGw.url}/v1/chat/completions`, chatBody('plain', {}, 'I will kill it'), { headers: { authorization: `Bearer ${secret}` } }), 400);
      expect(error.message).toMatch(/guardrail "team-moderation": flagged for violence/);
      expect(chatUpstream.requests).toHaveLength(0);
    } finally {
      await teamGw.close();
    }
  });
});

describe('config checks', () => {
  const yaml = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    guardrails:
      rules:
        - { name: m1, type: moderation, endpoint: modd }
        - { name: m2, type: moderation, endpoint: chat }
        - { name: m3, type: moderation, endpoint: mod, categories: [violence], thresholds: { hate: 0.2 } }
  - name: mod
    endpoint_type: llm/v1/moderations
    model: { provider: openai, name: omni-moderation-latest, config: { openai_api_key: k } }
    guardrails:
      rules: [ { name: pii, type: pii } ]
  - name: claude-mod
    endpoint_type: llm/v1/moderations
    model: { provider: anthropic, name: claude, config: { anthropic_api_key: k } }
  - name: azure-mod
    endpoint_type: llm/v1/moderations
    model: { provider: openai, name: omni, config: { openai_api_key: k, openai_api_type: azure, openai_api_base: 'https://x.openai.azure.com' } }
`;
  const result = load(yaml);

  it('a rule naming no endpoint, or one that is not a moderation endpoint', () => {
    expectIssue(result, yaml, 'endpoints[0].guardrails.rules[0].endpoint', { needle: 'modd' }, /"modd" names no endpoint \(did you mean "mod"\?\)/);
    expectIssue(result, yaml, 'endpoints[0].guardrails.rules[1].endpoint', { needle: 'chat }', nth: 2 }, /"chat" is not an endpoint with endpoint_type llm\/v1\/moderations/);
  });

  it('a threshold for a category the rule does not count', () => {
    expectIssue(result, yaml, 'endpoints[0].guardrails.rules[2].thresholds', { needle: '{ hate' }, /"hate" is not among categories \(violence\)/);
  });

  it('guardrails on a moderation endpoint, and providers without a moderation API', () => {
    expectIssue(result, yaml, 'endpoints[1].guardrails', { needle: 'rules: [ { name: pii' }, /take no guardrails/);
    expectIssue(result, yaml, 'endpoints[2].model.provider', { needle: 'anthropic' }, /provider anthropic has no moderation API/);
    expectIssue(result, yaml, 'endpoints[3].model.provider', { needle: 'openai, name: omni,' }, /provider openai with openai_api_type azure has no moderation API/);
  });
});

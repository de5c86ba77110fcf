// The guardrails the pipeline runs itself, over real HTTP: JSON-schema validation of structured
// outputs (whole answers and streams) and external webhook guardrails (input and output, verdicts,
// fail-closed and fail-open failures).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startFakeGuardrailService, startSilentServer } from './fakes/guardrail-webhook.js';
import type { RecordingServer, Reply } from './fakes/recording-server.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, chatBody, expectError, postJson } from './helpers/http.js';

const EMAIL = 'dana@example.com';
const CITY_SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const structured = { response_format: { type: 'json_schema', json_schema: { name: 'place', strict: true, schema: CITY_SCHEMA } } };

let fake: FakeOpenAI;
let hook: RecordingServer<Reply>;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  hook = await startFakeGuardrailService();
  silent = await startSilentServer();
  const endpoint = (name: string, rules: unknown[]) => openaiEndpoint(fake, name, 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'k' }, guardrails: { rules } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [
        endpoint('structured', [{ name: 'schema', type: 'json_schema' }]),
        endpoint('hooked', [
          { name: 'pii-in', type: 'pii', action: 'redact', mode: 'mask_and_restore' },
          { name: 'moderation', type: 'webhook', stage: 'both', url: `${hook.url}/check`, on_failure: 'block' },
        ]),
        endpoint('hooked-open', [{ name: 'slow-moderation', type: 'webhook', url: silent.url, timeout: '200ms' }]),
      ],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
  await hook?.close();
  await silent?.close();
});
beforeEach(() => {
  fake.reset();
  hook.reset();
});

const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => postJson(`${gw.url}/v1/chat/completions`, chatBody(model, extra, content));

describe('structured outputs', () => {
  it('passes an answer that matches the request\'s schema', async () => {
    fake.next({ text: '{"city":"Paris"}' });
    const res = await chat('structured', 'Where?', structured);
    expect(res.status).toBe(200);
  });

  it('stops an answer that does not match, with a 422 naming the rule and the schema error', async () => {
    fake.next({ text: '{"town":"Paris"}' });
    const error = await expectError(await chat('structured', 'Where?', structured), 422, 'structured');
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toMatch(/"schema".*must have required property 'city'/);
  });

  it('checks json_object answers parse to an object, and leaves requests without response_format alone', async () => {
    fake.next({ text: 'not json at all' }, { text: 'not json at all' });
    await expectError(await chat('structured', 'Where?', { response_format: { type: 'json_object' } }), 422, 'structured');
    expect((await chat('structured', 'Where?')).status).toBe(200);
  });

  it('ends a stream whose answer does not match with an error event', async () => {
    fake.next({ text: '{"town":"Paris"}' });
    const events = await allSseData(await chat('structured', 'Where?', { ...structured, stream: true }));
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(events.at(-1)!).error).toMatchObject({ code: 'guardrail_blocked' });
  });

  it('lets a matching stream finish', async () => {
    fake.next({ text: '{"city":"Paris"}' });
    const events = await allSseData(await chat('structured', 'Where?', { ...structured, stream: true }));
    expect(events.at(-1)).toBe('[DONE]');
  });
});

describe('webhook guardrails', () => {
  it('asks about the redacted request and about the answer', async () => {
    fake.next({ text: 'Mailed [EMAIL_1].' });
    const res = await chat('hooked', `Mail ${EMAIL}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(`Mailed ${EMAIL}.`);
    expect(hook.requests.map((r) => r.body)).toMatchObject([
      { rule: 'moderation', stage: 'input', target: 'hooked', kind: 'chat', texts: ['Mail [EMAIL_1]'] },
      { rule: 'moderation', stage: 'output', target: 'hooked', kind: 'chat', texts: [`Mailed ${EMAIL}.`] },
    ]);
  });

  it('a refusal blocks with the service\'s reason, and the upstream sees nothing', async () => {
    hook.next({ json: { allowed: false, reason: 'violent content' } });
    const error = await expectError(await chat('hooked', 'Something bad'), 400);
    expect(error.message).toMatch(/"moderation".*violent content/);
    expect(fake.requests).toHaveLength(0);
  });

  it('fail closed: a failing service refuses the request with a 503', async () => {
    hook.next({ status: 500, json: { oops: true } });
    const error = await expectError(await chat('hooked', 'Hello'), 503);
    expect(error.code).toBe('guardrail_unavailable');
    expect(fake.requests).toHaveLength(0);
  });

  it('fail open: a service that does not answer in time lets the request through, with an event', async () => {
    const res = await chat('hooked-open', 'Hello');
    expect(res.status).toBe(200);
    const id = res.headers.get('x-gatehouse-request-id');
    expect(gw.logs.find((l) => l.msg === 'guardrail' && l.request_id === id)).toMatchObject({
      rule: 'slow-moderation',
      action: 'flag',
      detail: { failure: 'timeout', outcome: 'allowed' },
    });
  });
});

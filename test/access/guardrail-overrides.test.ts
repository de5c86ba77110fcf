// Guardrails declared on teams and keys in config, over HTTP: they add to the rules of the endpoint
// called, a key's rule replaces an endpoint rule of the same name, callers without them are not
// affected, and route rules are refused on teams and keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/access/secrets.js';
import { load } from '../helpers/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { allSseData, expectError } from '../helpers/http.js';
import { mockEndpoint as mock } from '../helpers/routing.js';
import { accessConfig, ADMIN_KEY } from './helpers.js';

const EMAIL = 'alice.smith@example.com';
const SECRETS = {
  privacy: 'ghk_privacy-team-key-0000000000000000000000',
  general: 'ghk_general-team-key-0000000000000000000000',
  lenient: 'ghk_lenient-key-of-general-0000000000000000',
};

const emailRule = (action: string) => ({ name: 'no-email', type: 'pii', action, detectors: ['email'] });

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway(
    JSON.stringify({
      endpoints: [mock('plain'), mock('strict', { guardrails: { rules: [emailRule('block')] } })],
      auth: { admin_key: ADMIN_KEY },
      teams: [{ name: 'privacy', guardrails: { rules: [{ name: 'pii-redact', type: 'pii', action: 'redact' }] } }, { name: 'general' }],
      keys: [
        { name: 'privacy-key', team: 'privacy', hash: `sha256:${hashSecret(SECRETS.privacy)}` },
        { name: 'general-key', team: 'general', hash: `sha256:${hashSecret(SECRETS.general)}` },
        { name: 'lenient-key', team: 'general', hash: `sha256:${hashSecret(SECRETS.lenient)}`, guardrails: { rules: [emailRule('redact')] } },
      ],
    }),
  );
});
afterAll(() => gw?.close());

const ask = (secret: string, model: string, extra: Record<string, unknown> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: `Write to ${EMAIL}` }], ...extra }),
  });

/** The mock answers "This is a mock response to: <the user message it received>", so the answer shows what went upstream. */
const upstreamSaw = async (secret: string, model: string) => {
  const res = await ask(secret, model);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0].message.content.replace('This is a mock response to: ', '');
};

describe('team and key guardrails', () => {
  it('redacts for a team with a PII override on an endpoint without guardrails, and not for another team', async () => {
    expect(await upstreamSaw(SECRETS.privacy, 'plain')).toBe('Write to [EMAIL_1]');
    expect(await upstreamSaw(SECRETS.general, 'plain')).toBe(`Write to ${EMAIL}`);
  });

  it("redacts a team's streamed requests too", async () => {
    const events = await allSseData(await ask(SECRETS.privacy, 'plain', { stream: true }));
    const text = events
      .filter((e) => e !== '[DONE]')
      .map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toContain('[EMAIL_1]');
    expect(text).not.toContain(EMAIL);
  });

  it("keeps the endpoint's rules for a team that adds its own", async () => {
    const blocked = await expectError(await ask(SECRETS.privacy, 'strict'), 400);
    expect(blocked.message).toContain('"no-email"');
  });

  it("replaces an endpoint rule by the key's rule of the same name", async () => {
    await expectError(await ask(SECRETS.general, 'strict'), 400);
    expect(await upstreamSaw(SECRETS.lenient, 'strict')).toBe('Write to [EMAIL_1]');
    expect(await upstreamSaw(SECRETS.lenient, 'plain')).toBe('Write to [EMAIL_1]');
  });
});

describe('team and key guardrails in config', () => {
  it('refuses route rules on teams and keys, where they are written', () => {
    const yaml = `${accessConfig()}teams:\n  - name: t\n    guardrails:\n      rules: [ { name: r, type: pii, action: route, route_to: cheap } ]\n`;
    expect(load(yaml).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'teams[0].guardrails.rules[0].action: action route is for endpoint and route guardrails; a team or key rule may block, redact or flag',
    ]);
  });
});

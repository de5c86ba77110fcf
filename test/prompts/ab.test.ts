// Prompt A/B tests: a route's prompt_versions split requests that name the prompt without a
// version between its versions by share, sticky by the route's sticky key; the version used is
// returned in x-gatehouse-prompt and logged. Sticky keys hash to fixed points, so the counts are
// the same on every run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { accessLog, postJson } from '../helpers/http.js';
import { mockConfig, promptsDir, SUMMARIZE_1 } from './helpers.js';

const SPLIT = `
    prompt: summarize
    prompt_versions:
      - { version: 1, traffic_percentage: 90 }
      - { version: 2, traffic_percentage: 10 }`;

let gw: TestGateway;
beforeAll(async () => {
  // Version 2 here is a YAML copy of version 1 with other wording: a split's versions take the same variables.
  const v2 = SUMMARIZE_1.replace('version: 1', 'version: 2').replace('v1: {{text}}', 'v2: {{text}}');
  const config = mockConfig(promptsDir({ 'summarize@1.yaml': SUMMARIZE_1, 'summarize@2.yaml': v2 }))
    .replace('destinations: [{ name: chat, traffic_percentage: 100 }]', `destinations: [{ name: chat, traffic_percentage: 100 }]\n    sticky: { by: header, header: x-user }${SPLIT}`)
    .replace('pins: { summarize: 1 }', 'pins: { summarize: 2 }');
  gw = await startGateway(config);
});
afterAll(() => gw?.close());

const ask = (user: string | undefined, prompt: Record<string, unknown> = { id: 'summarize', variables: { text: 'Hi' } }, model = 'assistant') =>
  postJson(`${gw.url}/v1/chat/completions`, { model, prompt }, { headers: user ? { 'x-user': user } : {} });

describe('a route splitting traffic between prompt versions', () => {
  it('gives each version its share of callers, and each caller the same version every time', async () => {
    const counts: Record<string, number> = {};
    const seen = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const res = await ask(`user-${i}`);
      expect(res.status).toBe(200);
      const version = res.headers.get('x-gatehouse-prompt')!;
      const body = await res.json();
      // The answer was produced from the version the header names.
      expect(body.choices[0].message.content).toBe(`This is a mock response to: ${version === 'summarize@1' ? 'v1' : 'v2'}: Hi`);
      counts[version] = (counts[version] ?? 0) + 1;
      seen.set(`user-${i}`, version);
    }
    expect(Object.keys(counts).sort()).toEqual(['summarize@1', 'summarize@2']);
    expect(counts['summarize@1']).toBeGreaterThan(300 * 0.8);
    expect(counts['summarize@2']).toBeGreaterThan(300 * 0.03);
    for (const user of ['user-1', 'user-7', 'user-42', 'user-299']) {
      expect((await ask(user)).headers.get('x-gatehouse-prompt')).toBe(seen.get(user));
    }
  });

  it('splits callers without a sticky key at random, by share', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const version = (await ask(undefined)).headers.get('x-gatehouse-prompt')!;
      counts[version] = (counts[version] ?? 0) + 1;
    }
    // 90/10 over 300 requests: below 240 or above 295 happens with a probability under one in a million.
    expect(counts['summarize@1']).toBeGreaterThan(240);
    expect(counts['summarize@1']).toBeLessThan(296);
  });

  it('logs the version used; an explicit version, another target or another prompt bypass the split', async () => {
    const res = await ask('user-3');
    const version = res.headers.get('x-gatehouse-prompt');
    expect(await accessLog(gw, res.headers.get('x-gatehouse-request-id'))).toMatchObject({ prompt: version, route: 'assistant' });
    for (let i = 0; i < 20; i++) {
      expect((await ask(`user-${i}`, { id: 'summarize', version: 1, variables: { text: 'Hi' } })).headers.get('x-gatehouse-prompt')).toBe('summarize@1');
      // The endpoint itself has no split: the pinned version.
      expect((await ask(`user-${i}`, { id: 'summarize', variables: { text: 'Hi' } }, 'chat')).headers.get('x-gatehouse-prompt')).toBe('summarize@2');
    }
  });
});

// CONDITIONAL routes on who is calling: the caller's team and key, as the keys declared in config
// identify them, over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/access/secrets.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { mockEndpoint as mock } from '../helpers/routing.js';
import { admin, ADMIN_KEY, chat } from './helpers.js';

const SECRETS = {
  beta: 'ghk_beta-team-key-000000000000000000000000',
  general: 'ghk_general-team-key-0000000000000000000000',
  canary: 'ghk_canary-key-of-general-000000000000000000',
};


/** The route sends the beta team to experimental and the keys named in `canaryKeys` to canary. */
const config = (canaryKeys: string[]) =>
  JSON.stringify({
    endpoints: [mock('default'), mock('experimental'), mock('canary')],
    routes: [
      {
        name: 'assistant',
        task_type: 'llm/v1/chat',
        routing_strategy: 'CONDITIONAL',
        destinations: [
          { name: 'experimental', when: { team: 'beta' } },
          { name: 'canary', when: { key: canaryKeys } },
          { name: 'default' },
        ],
      },
    ],
    auth: { admin_key: ADMIN_KEY },
    teams: [{ name: 'beta' }, { name: 'general' }],
    keys: Object.entries(SECRETS).map(([name, secret]) => ({ name, hash: `sha256:${hashSecret(secret)}`, team: name === 'beta' ? 'beta' : 'general' })),
  });

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway(config(['canary', 'some-other-key']));
});
afterAll(() => gw?.close());

const servedFor = async (secret: string) => {
  const res = await chat(gw.url, secret, 'assistant');
  expect(res.status).toBe(200);
  return res.headers.get('x-gatehouse-endpoint');
};

describe('routing by key and team', () => {
  it("sends a beta team's key to the experimental endpoint and other teams' keys to the default", async () => {
    expect(await servedFor(SECRETS.beta)).toBe('experimental');
    expect(await servedFor(SECRETS.general)).toBe('default');
  });

  it('sends a key named in a condition to its destination, whatever its team', async () => {
    expect(await servedFor(SECRETS.canary)).toBe('canary');
  });

  it('matches a key created through the admin API by its id', async () => {
    const { body: key } = await admin(gw, 'POST', '/admin/keys', { name: 'from-admin' });
    expect(await servedFor(key.secret)).toBe('default');
    gw.writeConfig(config([key.id]));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect(await servedFor(key.secret)).toBe('canary');
    expect(await servedFor(SECRETS.canary)).toBe('default');
  });
});

// Spend alerts from real traffic: priced requests through a gateway (keys and teams made through
// the admin API) fire the per-team and per-key spend rules once, for the team and the key over the
// threshold only, and resolve once when the spend leaves the window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingServer, type RecordingServer, type Reply } from './fakes/recording-server.js';
import { accessConfig, admin, chat } from './access/helpers.js';
import { eventually } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

/** USD per million tokens, in and out, of the `chat` endpoint: a few cents a request. */
const PRICE = 5_000;
const WINDOW_S = 4;

let webhook: RecordingServer<Reply>;
let gw: TestGateway;

beforeAll(async () => {
  webhook = await startRecordingServer<Reply>((_req, reply) => reply);
});

afterAll(async () => {
  await gw?.close();
  await webhook?.close();
});

/** The gateway with spend rules per team and per key, and their thresholds. */
const config = (teamUsd: number, keyUsd: number) =>
  accessConfig(
    `teams:
  - name: red
  - name: blue
telemetry:
  alerts:
    evaluate_every: 100ms
    channels: [ { name: ops, type: webhook, url: "${webhook.url}/alerts" } ]
    rules:
      - { name: team-spend, type: spend, usd: ${teamUsd}, window: ${WINDOW_S}s, per: team, notify: [ops] }
      - { name: key-spend, type: spend, usd: ${keyUsd}, window: ${WINDOW_S}s, per: key, notify: [ops] }
`,
    PRICE,
  );

describe('spend alerts through a gateway', () => {
  it('fire once for the team and the key over the threshold, and resolve once when the spend leaves the window', async () => {
    // What one request costs, measured on a gateway without rules (the mock's usage is fixed).
    const probe = await startGateway(accessConfig('', PRICE));
    const cost = Number((await chat(probe.url, undefined)).headers.get('x-gatehouse-cost-usd'));
    await probe.close();
    expect(cost).toBeGreaterThan(0);

    // Over the thresholds: 3 requests of one key (over 2.5 requests' worth), 4 of its team (over
    // 3.5); under them: 1 request of another key of the team and 1 of the other team. Each
    // threshold is crossed by the last request counted, so the alert carries the final value.
    const usd = (requests: number) => Number((requests * cost).toFixed(6));
    gw = await startGateway(config(usd(3.5), usd(2.5)));
    const key = async (name: string, team: string) => (await admin(gw, 'POST', '/admin/keys', { name, team })).body as { id: string; secret: string };
    const [big, small, other] = [await key('big-spender', 'red'), await key('small-spender', 'red'), await key('blue-spender', 'blue')];
    const sent = [big, big, big, small, other];
    for (const k of sent) {
      const res = await chat(gw.url, k.secret);
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('x-gatehouse-cost-usd'))).toBe(cost);
    }

    const firing = await eventually(() => (webhook.requests.length >= 2 ? webhook.requests.map((r) => r.body) : undefined), 'the firing alerts');
    expect(firing.map((b) => b.id).sort()).toEqual([`key-spend/key:${big.id}`, 'team-spend/team:red']);
    expect(firing.find((b) => b.rule === 'team-spend')).toMatchObject({ status: 'firing', subject: "team 'red'", unit: 'USD', threshold: usd(3.5), value: Number((4 * cost).toFixed(4)) });
    expect(firing.find((b) => b.rule === 'key-spend')).toMatchObject({ status: 'firing', subject: "key 'big-spender'", unit: 'USD', threshold: usd(2.5), value: Number((3 * cost).toFixed(4)) });
    // No key secret in any alert.
    expect(JSON.stringify(firing)).not.toContain(big.secret);

    // The spend leaves the window: each incident resolves once, and nothing else is sent.
    const all = await eventually(() => (webhook.requests.length >= 4 ? webhook.requests.map((r) => r.body) : undefined), 'the resolves', 3 * WINDOW_S * 1000);
    const resolved = all.slice(2);
    expect(resolved.map((b) => [b.id, b.status]).sort()).toEqual([
      [`key-spend/key:${big.id}`, 'resolved'],
      ['team-spend/team:red', 'resolved'],
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect(webhook.requests).toHaveLength(4);
  }, 30_000);
});

// Alerts across replicas: two gateway processes on one Postgres and one Redis, one webhook
// receiver. A spend incident that both replicas see alone is announced once and resolved once; a
// spend that neither replica reaches alone but both together do fires (the windows are added up
// in Redis); a budget incident both replicas judge from the shared ledger is announced once.
// Two engines in this process on Redis show a claim taken over: the replica that announced an
// incident stops, the other keeps it open without a new alert, resolves it once and closes the
// GitLab issue the first one opened.
// Skipped (saying why) where GATEHOUSE_TEST_DATABASE_URL / _REDIS_URL are unset.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestContext } from '../src/core/context.js';
import { openShared } from '../src/store/redis.js';
import { AlertEngine } from '../src/telemetry/alerts/engine.js';
import { AlertsConfigSchema } from '../src/telemetry/alerts/schema.js';
import { accessConfig, admin, chat } from './access/helpers.js';
import { startFakeGitlab } from './fakes/gitlab-api.js';
import { startRecordingServer, type RecordingServer, type Reply } from './fakes/recording-server.js';
import { eventually, startServer, type ServerProcess } from './helpers/cli.js';
import { tempDir } from './helpers/config.js';
import { startGateway } from './helpers/gateway.js';
import { REDIS, sharedRun } from './helpers/shared-mode.js';

const PRICE = 5_000;
const WINDOW_S = 6;
const shared = sharedRun('al');

describe.skipIf(shared.skip)(shared.title('alerts across two replicas on Redis'), () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let webhook: RecordingServer<Reply>;
  let cost: number;

  beforeAll(async () => {
    webhook = await startRecordingServer<Reply>((_req, reply) => reply);
    // What one priced request costs (the mock's usage is fixed).
    const probe = await startGateway(accessConfig('', PRICE));
    cost = Number((await chat(probe.url, undefined)).headers.get('x-gatehouse-cost-usd'));
    await probe.close();
    const usd = (requests: number) => Number((requests * cost).toFixed(6));
    const config = join(tempDir(), 'gatehouse.yaml');
    writeFileSync(
      config,
      accessConfig(
        `storage:
  database: ${shared.database}
  redis: ${REDIS}
  redis_prefix: "${shared.prefix}"
teams:
  - name: red
    budgets: [ { usd: ${usd(10)}, period: daily } ]
telemetry:
  alerts:
    evaluate_every: 200ms
    channels: [ { name: ops, type: webhook, url: "${webhook.url}/alerts" } ]
    rules:
      - { name: key-spend, type: spend, usd: ${usd(0.5)}, window: ${WINDOW_S}s, per: key, notify: [ops] }
      - { name: team-spend, type: spend, usd: ${usd(2.5)}, window: ${WINDOW_S}s, per: team, notify: [ops] }
      - { name: budget-20, type: budget, percent: 20, notify: [ops] }
`,
        PRICE,
      ),
    );
    [a, b] = await Promise.all([0, 1].map(() => startServer(['serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--no-watch'])));
  }, 60_000);

  afterAll(async () => {
    a?.signal('SIGTERM');
    b?.signal('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await webhook?.close();
    await shared.cleanup();
  });

  it('announces each incident once and resolves it once, whichever replica saw the traffic', async () => {
    const { body: key } = await admin(a.url, 'POST', '/admin/keys', { name: 'both', team: 'red' });
    // The unpriced endpoint: seeing the key on the other process spends nothing.
    await eventually(async () => (await chat(b.url, key.secret, 'cheap')).status === 200 || undefined, 'the key on the other process');

    // Replica a serves 2 requests, b 1: each is over the key threshold (0.5 requests' worth) on its
    // own; neither reaches the team threshold (2.5) alone, both together do (3).
    for (const url of [a.url, a.url, b.url]) expect((await chat(url, key.secret)).status).toBe(200);

    const firing = await eventually(() => (webhook.requests.length >= 3 ? webhook.requests.map((r) => r.body) : undefined), 'the firing alerts');
    expect(firing.map((m) => [m.id, m.status]).sort()).toEqual([
      ['budget-20/team:red#0:daily', 'firing'],
      [`key-spend/key:${key.id}`, 'firing'],
      ['team-spend/team:red', 'firing'],
    ]);
    expect(firing.find((m) => m.rule === 'team-spend').value).toBe(Number((3 * cost).toFixed(4)));
    // Both replicas keep evaluating the open incidents: none is sent again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(webhook.requests).toHaveLength(3);

    // The spend leaves the window: each spend incident resolves once; the budget one stays open.
    const all = await eventually(() => (webhook.requests.length >= 5 ? webhook.requests.map((r) => r.body) : undefined), 'the resolves', 3 * WINDOW_S * 1000);
    expect(all.slice(3).map((m) => [m.id, m.status]).sort()).toEqual([
      [`key-spend/key:${key.id}`, 'resolved'],
      ['team-spend/team:red', 'resolved'],
    ]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(webhook.requests).toHaveLength(5);
    // Each replica logged only what it sent.
    const logged = (event: string) => [a, b].map((p) => JSON.stringify(p.output()).split(event).length - 1).reduce((x, y) => x + y);
    expect(logged('alert_firing')).toBe(3);
    expect(logged('alert_resolved')).toBe(2);
  }, 60_000);
});

const takeover = sharedRun('alt', { redisOnly: true });

describe.skipIf(takeover.skip)(takeover.title('an incident claim taken over on Redis'), () => {
  it('is kept open by the replica still seeing the breach when its claimant stops, and resolved once by it', async () => {
    const webhook = await startRecordingServer<Reply>((_req, reply) => reply);
    const gitlab = await startFakeGitlab('glpat-takeover-token');
    const [sharedA, sharedB] = await Promise.all([0, 1].map(() => openShared(REDIS!, takeover.prefix)));
    const config = AlertsConfigSchema.parse({
      evaluate_every: '100ms', // a lease of 2 s, the shortest
      channels: [
        { name: 'ops', type: 'webhook', url: `${webhook.url}/alerts` },
        { name: 'tracker', type: 'gitlab', url: gitlab.url, project: 7, token: 'glpat-takeover-token' },
      ],
      rules: [{ name: 'spend', type: 'spend', usd: 0.5, window: '1h', per: 'global', notify: ['ops', 'tracker'] }],
    });
    let now = Date.now();
    const replica = (shared: typeof sharedA) => new AlertEngine({ config: () => config, log: pino({ level: 'silent' }), now: () => now, shared, delivery: { backoffMs: () => 10 } });
    const [a, b] = [replica(sharedA), replica(sharedB)];
    try {
      for (const engine of [a, b]) {
        const ctx = new RequestContext('127.0.0.1');
        Object.assign(ctx, { endpoint: 'chat', costUsd: 1 });
        engine.observer({ ctx, status: 200, method: 'POST', path: '/v1/chat/completions' });
      }
      await Promise.all([a.evaluate(), b.evaluate()]);
      // Both see the breach; the first to claim it announced it, the other follows.
      const [claimant, follower] = a.open().length ? [a, b] : [b, a];
      expect([claimant.open().length, follower.open().length]).toEqual([1, 0]);
      await eventually(() => (webhook.requests.length === 1 && gitlab.issues.length === 1 ? true : undefined), 'the firing alert');

      await claimant.close(); // it stops renewing its claim
      await new Promise((r) => setTimeout(r, 2_500)); // the lease runs out
      await follower.evaluate();
      expect(follower.open().map((i) => i.id)).toEqual(['spend/*']);
      expect(webhook.requests).toHaveLength(1); // taken over, not announced again

      now += 2 * 3_600_000; // the follower's spend leaves its window
      await follower.evaluate();
      await eventually(() => (webhook.requests.length === 2 && gitlab.issues[0].state === 'closed' ? true : undefined), 'the resolve');
      expect(gitlab.issues).toHaveLength(1);
      const [fired, resolved] = webhook.requests.map((r) => r.body);
      expect(resolved).toMatchObject({ status: 'resolved', id: 'spend/*', started_at: fired.started_at });
      await follower.evaluate();
      await new Promise((r) => setTimeout(r, 300));
      expect(webhook.requests).toHaveLength(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([sharedA.close(), sharedB.close()]);
      await webhook.close();
      await gitlab.close();
      await takeover.cleanup();
    }
  }, 20_000);
});

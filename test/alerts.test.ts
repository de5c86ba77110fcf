// Alerts: rules judged over sliding windows of finished requests open one incident per breach and
// announce it once to each channel (generic JSON webhook, Slack incoming webhook, GitLab issue),
// then once more when it clears (GitLab: a note, then the issue is closed). Deliveries are retried.
// The unit tests feed synthetic finished requests and a fake clock; the last test runs a gateway.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../src/config/load.js';
import { RequestContext } from '../src/core/context.js';
import { AlertEngine } from '../src/telemetry/alerts/engine.js';
import { AlertsConfigSchema } from '../src/telemetry/alerts/schema.js';
import type { FinishedRequest } from '../src/telemetry/observers.js';
import { startFakeGitlab, type FakeGitlab } from './fakes/gitlab-api.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startRecordingServer, type RecordingServer, type Reply } from './fakes/recording-server.js';
import { eventually } from './helpers/cli.js';
import { startGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';

const GITLAB_TOKEN = 'glpat-alerts-test-token-123';
const silent = pino({ level: 'silent' });

let webhook: RecordingServer<Reply>;
let slack: RecordingServer<Reply>;
let gitlab: FakeGitlab;

beforeAll(async () => {
  webhook = await startRecordingServer<Reply>((_req, reply) => reply);
  slack = await startRecordingServer<Reply>((_req, reply) => reply);
  gitlab = await startFakeGitlab(GITLAB_TOKEN);
});

afterAll(async () => {
  await webhook?.close();
  await slack?.close();
  await gitlab?.close();
});

beforeEach(() => {
  webhook.reset();
  slack.reset();
  gitlab.server.reset();
  gitlab.issues.length = 0;
});

const channels = () => [
  { name: 'ops', type: 'webhook', url: `${webhook.url}/hook`, headers: { authorization: 'Bearer hook-secret' } },
  { name: 'chat', type: 'slack', url: `${slack.url}/services/T000/B000/XXXX` },
  { name: 'tracker', type: 'gitlab', url: gitlab.url, project: 'platform/gateway', token: GITLAB_TOKEN },
];

function engine(rules: object[], now: () => number) {
  const config = AlertsConfigSchema.parse({ channels: channels(), rules });
  return new AlertEngine({ config: () => config, log: silent, now, delivery: { backoffMs: () => 10 } });
}

interface Synthetic {
  endpoint?: string;
  status?: number;
  costUsd?: number;
  team?: string;
  latencyMs?: number;
}

function finished({ endpoint = 'chat', status = 200, costUsd, team, latencyMs }: Synthetic): FinishedRequest {
  const ctx = new RequestContext('127.0.0.1');
  ctx.endpoint = endpoint;
  ctx.costUsd = costUsd;
  if (team) ctx.identity = { kind: 'key', id: `id-${team}`, name: `key-${team}`, team };
  if (latencyMs !== undefined) ctx.elapsedMs = () => latencyMs;
  return { ctx, status, method: 'POST', path: '/v1/chat/completions' };
}

const bodies = (server: RecordingServer<Reply>) => server.requests.map((r) => r.body);

describe('spend rule', () => {
  it('fires once per team over the threshold on every channel, and resolves once when the window clears', async () => {
    let now = 1_000_000;
    const alerts = engine([{ name: 'team-spend', type: 'spend', usd: 1, window: '1h', per: 'team', notify: ['ops', 'chat', 'tracker'] }], () => now);
    for (let i = 0; i < 3; i++) alerts.observer(finished({ team: 'red', costUsd: 0.4 }));
    alerts.observer(finished({ team: 'blue', costUsd: 0.1 }));
    alerts.observer(finished({ team: 'blue' })); // unpriced: counts nothing

    alerts.evaluate();
    now += 60_000;
    alerts.evaluate();
    await eventually(() => (gitlab.issues.length === 1 && slack.requests.length === 1 && webhook.requests.length === 1 ? true : undefined), 'the firing alert');
    now += 60_000;
    alerts.evaluate();

    expect(webhook.requests).toHaveLength(1);
    expect(webhook.last().headers.authorization).toBe('Bearer hook-secret');
    expect(webhook.last().body).toMatchObject({
      source: 'gatehouse',
      status: 'firing',
      id: 'team-spend/team:red',
      rule: 'team-spend',
      type: 'spend',
      subject: "team 'red'",
      value: 1.2,
      threshold: 1,
      unit: 'USD',
    });
    expect(slack.last().path).toBe('/services/T000/B000/XXXX');
    expect(slack.last().body.text).toContain('[FIRING]');
    expect(slack.last().body.text).toContain("team 'red'");
    expect(gitlab.issues[0]).toMatchObject({ project: 'platform/gateway', state: 'opened', labels: 'gatehouse,alert' });
    expect(gitlab.issues[0].title).toContain('team-spend');

    // An hour later the spend has left the window.
    now += 3_600_000;
    alerts.evaluate();
    alerts.evaluate();
    await eventually(() => (gitlab.issues[0].state === 'closed' && webhook.requests.length === 2 && slack.requests.length === 2 ? true : undefined), 'the resolve');
    expect(webhook.last().body).toMatchObject({ status: 'resolved', id: 'team-spend/team:red', resolved_at: expect.any(String) });
    expect(slack.last().body.text).toContain('[RESOLVED]');
    expect(gitlab.issues[0].notes).toHaveLength(1);
    expect(gitlab.issues[0].notes[0]).toContain('Resolved');
    expect(gitlab.issues).toHaveLength(1);

    // No message carries a channel secret.
    const sent = JSON.stringify([bodies(webhook), bodies(slack), gitlab.server.requests.map((r) => r.body)]);
    expect(sent).not.toContain(GITLAB_TOKEN);
    expect(sent).not.toContain('hook-secret');
    await alerts.close();
  });
});

describe('error rate and latency rules', () => {
  it('needs the minimum request count, then fires per endpoint', async () => {
    let now = 5_000_000;
    const alerts = engine([{ name: 'errors', type: 'error_rate', percent: 20, window: '5m', min_requests: 10, endpoints: ['chat*'], notify: ['ops'] }], () => now);
    for (let i = 0; i < 5; i++) alerts.observer(finished({ status: i < 3 ? 502 : 200 }));
    for (let i = 0; i < 20; i++) alerts.observer(finished({ endpoint: 'embed', status: 500 })); // not watched
    alerts.evaluate();
    expect(alerts.open()).toHaveLength(0);

    for (let i = 0; i < 5; i++) alerts.observer(finished({ status: i === 0 ? 500 : 429 })); // 429 is the client's problem
    now += 1000;
    alerts.evaluate();
    expect(alerts.open().map((i) => [i.id, i.value])).toEqual([['errors/chat', 40]]);
    await eventually(() => (webhook.requests.length === 1 ? true : undefined), 'the alert');
    expect(webhook.last().body.summary).toContain('4 of 10 requests failed');

    // Healthy traffic brings the rate under the threshold.
    for (let i = 0; i < 30; i++) alerts.observer(finished({}));
    alerts.evaluate();
    await eventually(() => (webhook.requests.length === 2 ? true : undefined), 'the resolve');
    expect(webhook.last().body).toMatchObject({ status: 'resolved', id: 'errors/chat' });
    await alerts.close();
  });

  it('fires on the p95 latency of the window', async () => {
    const alerts = engine([{ name: 'slow', type: 'latency_p95', ms: 1000, window: '5m', min_requests: 20, per: 'global', notify: ['ops'] }], () => 9_000_000);
    for (let i = 0; i < 100; i++) alerts.observer(finished({ latencyMs: i < 96 ? 100 : 5000 }));
    alerts.evaluate();
    expect(alerts.open()).toHaveLength(0); // p95 is 100 ms

    for (let i = 0; i < 10; i++) alerts.observer(finished({ latencyMs: 5000 }));
    alerts.evaluate();
    const [incident] = alerts.open();
    expect(incident.id).toBe('slow/*');
    expect(incident.value).toBeGreaterThan(4500);
    expect(incident.value).toBeLessThan(5800);
    await alerts.close();
  });
});

describe('budget rule', () => {
  it("fires when a team's spend reaches the share of its budget, from the spend ledger", async () => {
    const spent = new Map<string, number>([['team:red', 8.5]]);
    const config = AlertsConfigSchema.parse({ channels: channels(), rules: [{ name: 'budget-80', type: 'budget', percent: 80, notify: ['ops'] }] });
    const alerts = new AlertEngine({ config: () => config, log: silent, spend: (scope) => spent.get(scope) ?? 0, delivery: { backoffMs: () => 10 } });
    const req = finished({ team: 'red' });
    const budget = { usd: 10, period: 'monthly', window: 'calendar', on_exceeded: 'block', status: 402 } as const;
    Object.assign(req.ctx.identity!, { own: {}, teamPolicy: { budgets: [budget] } });
    alerts.observer(req);
    alerts.evaluate();
    expect(alerts.open().map((i) => [i.label, i.value])).toEqual([["team 'red'", 85]]);
    await eventually(() => (webhook.requests.length === 1 ? true : undefined), 'the alert');
    expect(webhook.last().body.summary).toContain('$8.50 of its $10 monthly budget');

    spent.set('team:red', 1); // a new period
    alerts.evaluate();
    await eventually(() => (webhook.requests.length === 2 ? true : undefined), 'the resolve');
    await alerts.close();
  });
});

describe('delivery', () => {
  it('retries a failed webhook with backoff and delivers once', async () => {
    webhook.next({ status: 503 }, { status: 500 });
    const alerts = engine([{ name: 'spend', type: 'spend', usd: 0.5, window: '1h', per: 'global', notify: ['ops'] }], () => 1_000);
    alerts.observer(finished({ costUsd: 1 }));
    alerts.evaluate();
    await eventually(() => (webhook.requests.length === 3 ? true : undefined), 'the third try');
    alerts.evaluate();
    await alerts.close();
    expect(webhook.requests).toHaveLength(3);
    expect(webhook.last().body.status).toBe('firing');
  });

  it('reports config mistakes with their line: an unknown channel, an unset variable', () => {
    const yaml = [
      'telemetry:',
      '  alerts:',
      '    channels:',
      '      - { name: chat, type: slack, url: $SLACK_ALERT_URL }',
      '    rules:',
      '      - { name: spend, type: spend, usd: 1, window: 1h, notify: [chat, pager] }',
    ].join('\n');
    const { config, issues } = loadConfigText(yaml, 'gatehouse.yaml', {});
    expect(config).toBeUndefined();
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [4, 'telemetry.alerts.channels[0].url', 'environment variable SLACK_ALERT_URL is not set (or is empty)'],
      [6, 'telemetry.alerts.rules[0].notify[1]', "no alert channel is named 'pager'"],
    ]);
    const ok = loadConfigText(yaml.replace(', pager', ''), 'gatehouse.yaml', { SLACK_ALERT_URL: 'https://hooks.slack.test/services/T/B/secret-part' });
    expect(ok.issues).toEqual([]);
    expect(ok.config?.telemetry.alerts?.channels[0]).toMatchObject({ url: 'https://hooks.slack.test/services/T/B/secret-part' });
  });

  it('accepts the example config', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T/B/x', GITLAB_ALERT_TOKEN: 'glpat-example-token' };
    const { config, issues } = loadConfigText(readFileSync(new URL('../examples/observability.yaml', import.meta.url), 'utf8'), 'observability.yaml', env);
    expect(issues).toEqual([]);
    expect(config?.telemetry.alerts?.rules.map((r) => r.type)).toEqual(['error_rate', 'latency_p95', 'spend', 'budget']);
  });

  it('refuses a config whose rule names an unknown channel', () => {
    const parsed = AlertsConfigSchema.safeParse({ channels: [], rules: [{ name: 'x', type: 'spend', usd: 1, window: '1h', notify: ['nowhere'] }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].message).toContain("no alert channel is named 'nowhere'");
  });
});

describe('through a gateway', () => {
  let upstream: FakeOpenAI;
  beforeAll(async () => {
    upstream = await startFakeOpenAI();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('alerts on upstream failures once, and resolves when requests succeed again', async () => {
    const config = JSON.stringify({
      endpoints: [openaiEndpoint(upstream, 'chat', 'llm/v1/chat', 'gpt-test')],
      telemetry: {
        alerts: {
          evaluate_every: '100ms',
          channels: [
            { name: 'ops', type: 'webhook', url: '${ALERT_WEBHOOK_URL}' },
            { name: 'tracker', type: 'gitlab', url: gitlab.url, project: 42, token: '$ALERT_GITLAB_TOKEN' },
          ],
          rules: [{ name: 'chat-errors', type: 'error_rate', percent: 50, window: '1m', min_requests: 4, notify: ['ops', 'tracker'] }],
        },
      },
    });
    const gw = await startGateway(config, { env: { ...process.env, ALERT_WEBHOOK_URL: `${webhook.url}/gatehouse`, ALERT_GITLAB_TOKEN: GITLAB_TOKEN } });
    try {
      upstream.next({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
      for (let i = 0; i < 4; i++) expect((await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'))).status).toBe(502);
      await eventually(() => (webhook.requests.length >= 1 && gitlab.issues.length === 1 ? true : undefined), 'the firing alert');
      expect(webhook.last().path).toBe('/gatehouse');
      expect(webhook.last().body).toMatchObject({ status: 'firing', rule: 'chat-errors', subject: "endpoint 'chat'", value: 100 });
      expect(gitlab.issues[0].project).toBe('42');

      for (let i = 0; i < 8; i++) expect((await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'))).status).toBe(200);
      await eventually(() => (gitlab.issues[0].state === 'closed' && webhook.requests.length === 2 ? true : undefined), 'the resolve');
      expect(webhook.requests.map((r) => r.body.status)).toEqual(['firing', 'resolved']);
    } finally {
      await gw.close();
    }
  });
});

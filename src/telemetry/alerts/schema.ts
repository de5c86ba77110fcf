// The `telemetry.alerts` config section: where alerts go (channels) and when they fire (rules).
import { z } from 'zod';
import { duration } from '../../config/duration.js';

const name = z.string().regex(/^[\w.:-]+$/).meta({ description: 'Channel name, as rules list it in `notify`.' });
const httpUrl = (description: string) => z.url({ protocol: /^https?$/ }).meta({ description });
const globs = z.array(z.string().min(1)).optional().meta({ description: 'Endpoint or route names (globs, "*" matches any run of characters) the rule watches. Left out: all.' });

const WebhookChannelSchema = z
  .strictObject({
    name,
    type: z.literal('webhook').meta({ description: 'POSTs a JSON document (see docs/observability.md#alerts).' }),
    url: httpUrl('Where to POST. Write secrets as $ENV_VAR or ${ENV_VAR}.'),
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra request headers (e.g. Authorization: "Bearer ${ALERT_TOKEN}").' }),
  })
  .meta({ description: 'A generic JSON webhook.' });

const SlackChannelSchema = z
  .strictObject({
    name,
    type: z.literal('slack').meta({ description: 'A Slack (or Mattermost, Rocket.Chat) incoming webhook.' }),
    url: httpUrl('The incoming-webhook URL; it is a secret, so write it as $ENV_VAR.'),
  })
  .meta({ description: 'Posts a Slack incoming-webhook message (text plus a coloured attachment).' });

const GitlabChannelSchema = z
  .strictObject({
    name,
    type: z.literal('gitlab').meta({ description: 'Opens a GitLab issue per incident; closes it with a note when the incident resolves.' }),
    url: httpUrl('The GitLab instance (e.g. https://gitlab.com); the REST API is under /api/v4.').default('https://gitlab.com'),
    project: z.union([z.int().positive(), z.string().min(1)]).meta({ description: 'Project id, or its path (group/project).' }),
    token: z.string().min(1).meta({ description: 'Access token with the api scope, sent as PRIVATE-TOKEN; write it as $ENV_VAR.' }),
    labels: z.array(z.string().min(1)).default(['gatehouse', 'alert']).meta({ description: 'Labels of the issues opened. Default [gatehouse, alert].' }),
  })
  .meta({ description: 'GitLab issues as incidents.' });

export const AlertChannelSchema = z.discriminatedUnion('type', [WebhookChannelSchema, SlackChannelSchema, GitlabChannelSchema]);

const common = {
  name: name.meta({ description: 'Rule name, used in messages and as part of the incident id.' }),
  notify: z.array(z.string().min(1)).min(1).meta({ description: 'Names of the channels told when the rule fires and when it resolves.' }),
};

const window = duration('The sliding window the rule looks at (e.g. "5m", "1h", "24h").', { positive: true });
const minRequests = z.int().min(1).default(20).meta({ description: 'Fewer requests than this in the window never fire (nor keep an incident open). Default 20.' });

const SpendRuleSchema = z
  .strictObject({
    type: z.literal('spend').meta({ description: 'Spend over a threshold.' }),
    ...common,
    endpoints: globs,
    usd: z.number().positive().meta({ description: 'Fires when spend in the window exceeds this many US dollars.' }),
    window,
    per: z.enum(['team', 'key', 'endpoint', 'global']).default('team').meta({ description: 'What is counted separately: team (default), key, endpoint or global.' }),
  })
  .meta({ description: 'Spend (priced requests) over a threshold in a sliding window.' });

const ErrorRateRuleSchema = z
  .strictObject({
    type: z.literal('error_rate').meta({ description: 'Error rate over a threshold.' }),
    ...common,
    endpoints: globs,
    percent: z.number().gt(0).max(100).meta({ description: 'Fires when more than this share of requests in the window failed with a 5xx.' }),
    window,
    min_requests: minRequests,
    per: z.enum(['endpoint', 'global']).default('endpoint').meta({ description: 'endpoint (default): one incident per endpoint; global: all together.' }),
  })
  .meta({ description: 'Share of 5xx answers (gateway or upstream failures) in a sliding window.' });

const LatencyRuleSchema = z
  .strictObject({
    type: z.literal('latency_p95').meta({ description: 'p95 latency over a threshold.' }),
    ...common,
    endpoints: globs,
    ms: z.number().positive().meta({ description: 'Fires when the 95th percentile exceeds this many milliseconds.' }),
    measure: z.enum(['total', 'ttft', 'overhead']).default('total').meta({
      description: 'total (default): request to last byte; ttft: time to first token (streams only); overhead: time in the gateway itself.',
    }),
    window,
    min_requests: minRequests,
    per: z.enum(['endpoint', 'global']).default('endpoint').meta({ description: 'endpoint (default) or global.' }),
  })
  .meta({ description: 'p95 latency in a sliding window (from a histogram with buckets 15% apart).' });

const BudgetRuleSchema = z
  .strictObject({
    type: z.literal('budget').meta({ description: 'A budget share reached.' }),
    ...common,
    percent: z.number().gt(0).max(1000).meta({ description: 'Fires when a team or key has spent this share of one of its budgets in the current period (100: the budget is spent).' }),
  })
  .meta({ description: "Budget thresholds: watches the budgets of the teams and keys that make requests, from the gateway's spend ledger." });

export const AlertRuleSchema = z.discriminatedUnion('type', [SpendRuleSchema, ErrorRateRuleSchema, LatencyRuleSchema, BudgetRuleSchema]);

export const AlertsConfigSchema = z
  .strictObject({
    evaluate_every: duration('How often rules are evaluated. Default 15s.', { positive: true }).prefault('15s'),
    channels: z.array(AlertChannelSchema).default([]).meta({ description: 'Where alerts are sent.' }),
    rules: z.array(AlertRuleSchema).default([]).meta({ description: 'When alerts fire. Each incident is sent once when it starts and once when it resolves.' }),
  })
  .superRefine((alerts, ctx) => {
    const channels = new Set(alerts.channels.map((c) => c.name));
    alerts.rules.forEach((rule, i) => {
      rule.notify.forEach((channel, j) => {
        if (!channels.has(channel)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'notify', j], message: `no alert channel is named '${channel}'` });
      });
    });
    const seen = new Set<string>();
    alerts.rules.forEach((rule, i) => {
      if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `another rule is named '${rule.name}'` });
      seen.add(rule.name);
    });
  })
  .meta({ description: 'Alerts on spend, error rate, latency and budgets, sent to webhooks, Slack or GitLab issues. Rules apply on reload.' });

export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;
export type AlertChannel = z.infer<typeof AlertChannelSchema>;
export type AlertRule = z.infer<typeof AlertRuleSchema>;

// What each kind of channel sends for an incident that fires or resolves: a generic JSON document,
// a Slack incoming-webhook message, or a GitLab issue (opened, then noted and closed). Messages
// hold the rule, the subject (team, key name, endpoint) and the numbers: never a secret, a key
// or a prompt.
import type { AlertChannel } from './schema.js';

export interface Incident {
  /** rule name + group: the same breach keeps the same id while it lasts. */
  id: string;
  rule: string;
  type: string;
  group: string;
  label: string;
  value: number;
  threshold: number;
  unit: string;
  summary: string;
  startedAt: number;
  resolvedAt?: number;
  /** GitLab issue iids opened for this incident, by channel name. */
  issues: Map<string, number>;
  /** Told of each issue opened (shared mode keeps them in Redis for the replica that resolves). */
  issueOpened?: (channel: string, iid: number) => void;
}

export type AlertStatus = 'firing' | 'resolved';

/** One HTTP call a delivery makes. */
export interface Call {
  method: 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Reads the answer (the GitLab issue iid). */
  answered?: (body: unknown) => void;
}

/** The calls that tell `channel` about an incident, in order; each is retried on its own. */
export function callsFor(channel: AlertChannel, status: AlertStatus, incident: Incident): (() => Call | undefined)[] {
  const json = { 'content-type': 'application/json' };
  switch (channel.type) {
    case 'webhook':
      return [() => ({ method: 'POST', url: channel.url, headers: { ...channel.headers, ...json }, body: genericPayload(status, incident) })];
    case 'slack':
      return [() => ({ method: 'POST', url: channel.url, headers: json, body: slackPayload(status, incident) })];
    case 'gitlab': {
      const issues = `${channel.url.replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(String(channel.project))}/issues`;
      const headers = { ...json, 'PRIVATE-TOKEN': channel.token };
      if (status === 'firing') {
        return [
          () => ({
            method: 'POST',
            url: issues,
            headers,
            body: { title: `[Gatehouse alert] ${incident.rule}: ${incident.label}`, description: gitlabDescription(incident), labels: channel.labels.join(',') },
            answered: (body) => {
              const iid = (body as { iid?: unknown } | null)?.iid;
              if (typeof iid !== 'number') return;
              incident.issues.set(channel.name, iid);
              incident.issueOpened?.(channel.name, iid);
            },
          }),
        ];
      }
      // Read when the call is made: the issue may have been opened after this was queued.
      const issue = () => incident.issues.get(channel.name);
      return [
        () => (issue() === undefined ? undefined : { method: 'POST', url: `${issues}/${issue()}/notes`, headers, body: { body: `Resolved at ${iso(incident.resolvedAt)}: ${incident.summary}` } }),
        () => (issue() === undefined ? undefined : { method: 'PUT', url: `${issues}/${issue()}`, headers, body: { state_event: 'close' } }),
      ];
    }
  }
}

export function genericPayload(status: AlertStatus, incident: Incident): Record<string, unknown> {
  return {
    source: 'gatehouse',
    status,
    id: incident.id,
    rule: incident.rule,
    type: incident.type,
    subject: incident.label,
    value: incident.value,
    threshold: incident.threshold,
    unit: incident.unit,
    summary: incident.summary,
    started_at: iso(incident.startedAt),
    resolved_at: incident.resolvedAt === undefined ? undefined : iso(incident.resolvedAt),
  };
}

function slackPayload(status: AlertStatus, incident: Incident): Record<string, unknown> {
  const firing = status === 'firing';
  return {
    text: `${firing ? ':rotating_light: [FIRING]' : ':white_check_mark: [RESOLVED]'} Gatehouse alert *${incident.rule}* for ${incident.label}: ${incident.summary}`,
    attachments: [
      {
        color: firing ? '#d00000' : '#2eb886',
        fields: [
          { title: 'Rule', value: `${incident.rule} (${incident.type})`, short: true },
          { title: 'Subject', value: incident.label, short: true },
          { title: 'Value', value: `${incident.value} ${incident.unit}`, short: true },
          { title: 'Threshold', value: `${incident.threshold} ${incident.unit}`, short: true },
          { title: firing ? 'Since' : 'Resolved', value: iso(firing ? incident.startedAt : incident.resolvedAt), short: false },
        ],
      },
    ],
  };
}

function gitlabDescription(incident: Incident): string {
  return [
    `**${incident.summary}**`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| Rule | \`${incident.rule}\` (${incident.type}) |`,
    `| Subject | ${incident.label} |`,
    `| Value | ${incident.value} ${incident.unit} |`,
    `| Threshold | ${incident.threshold} ${incident.unit} |`,
    `| Since | ${iso(incident.startedAt)} |`,
    `| Incident | \`${incident.id}\` |`,
    '',
    'Opened by Gatehouse; it adds a note and closes this issue when the condition clears.',
  ].join('\n');
}

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

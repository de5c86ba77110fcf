// Turns the rate limits and quotas that apply to a request into counter checks, and a refusal or
// the checks' state into OpenAI's x-ratelimit-* headers. Which limits apply: the top-level ones,
// the team's and the key's (or token rule's); each counts per the scope its `per` names.
import type { LimitScope, Policy, Quota, RateLimit } from '../config/schema-access.js';
import { GatewayError } from '../core/errors.js';
import type { BucketCheck, Check, GaugeCheck, Verdict } from './counters.js';
import type { Identity } from './identity.js';
import { matchesAny } from './permissions.js';

export interface Subject {
  /** The endpoint or route name called. */
  endpoint: string;
  clientIp: string;
  user?: string;
  identity?: Identity;
}

/** What a check limits, for messages and headers. */
interface Label {
  unit: 'requests' | 'tokens' | 'concurrent';
  /** The configured number (per period), for x-ratelimit-limit-*. */
  limit: number;
  text: string;
}

export interface LimitPlan {
  checks: Check[];
  labels: Label[];
}

const RATES = [
  ['rps', 1_000, 'second'],
  ['rpm', 60_000, 'minute'],
  ['rph', 3_600_000, 'hour'],
  ['rpd', 86_400_000, 'day'],
] as const;

function scopeValue(scope: LimitScope, s: Subject): string | undefined {
  switch (scope) {
    case 'key':
      return s.identity?.id;
    case 'team':
      return s.identity?.team;
    case 'endpoint':
      return s.endpoint;
    case 'client_ip':
      return s.clientIp;
    case 'user':
      return s.user;
    case 'global':
      return '*';
  }
}

/** The counter id suffix for a limit's scope, or undefined when the request has no value for it (e.g. no user). */
function scopeId(per: LimitScope | LimitScope[], s: Subject): string | undefined {
  const scopes = Array.isArray(per) ? per : [per];
  const values: string[] = [];
  for (const scope of scopes) {
    const value = scopeValue(scope, s);
    if (value === undefined) return undefined;
    values.push(`${scope}=${value}`);
  }
  return values.join('|');
}

interface Source {
  origin: string;
  policy: Policy;
  defaultPer: LimitScope;
}

function sources(globalLimits: RateLimit[], s: Subject): Source[] {
  const out: Source[] = [{ origin: 'global', policy: { limits: globalLimits }, defaultPer: 'global' }];
  const who = s.identity;
  if (who?.teamPolicy) out.push({ origin: `team:${who.team}`, policy: who.teamPolicy, defaultPer: 'team' });
  if (who) out.push({ origin: `${who.kind}:${who.id}`, policy: who.own, defaultPer: 'key' });
  return out;
}

/** `estimateTokens` is called only when a tokens-per-minute limit applies. */
export function planLimits(globalLimits: RateLimit[], s: Subject, estimateTokens: () => number, now: number): LimitPlan {
  const plan: LimitPlan = { checks: [], labels: [] };
  for (const { origin, policy, defaultPer } of sources(globalLimits, s)) {
    policy.limits?.forEach((limit, i) => {
      if (limit.endpoints && !matchesAny(limit.endpoints, s.endpoint)) return;
      const per = limit.per ?? defaultPer;
      const scope = scopeId(per, s);
      if (scope === undefined) return;
      const perText = per === 'global' ? 'in total' : `per ${Array.isArray(per) ? per.join('+') : per}`;
      const base = `${origin}#${i}`;
      for (const [field, ms, word] of RATES) {
        const count = limit[field];
        if (count === undefined) continue;
        const capacity = limit.burst ?? count;
        plan.checks.push({ kind: 'bucket', id: `${base}:${field}=${count}/${capacity}:${scope}`, capacity, perMs: count / ms, cost: 1 });
        plan.labels.push({ unit: 'requests', limit: count, text: `${count} requests per ${word} ${perText}` });
      }
      if (limit.tpm !== undefined) {
        plan.checks.push({ kind: 'bucket', id: `${base}:tpm=${limit.tpm}:${scope}`, capacity: limit.tpm, perMs: limit.tpm / 60_000, cost: Math.max(1, estimateTokens()) });
        plan.labels.push({ unit: 'tokens', limit: limit.tpm, text: `${limit.tpm} tokens per minute ${perText}` });
      }
      if (limit.concurrent !== undefined) {
        plan.checks.push({ kind: 'gauge', id: `${base}:concurrent=${limit.concurrent}:${scope}`, limit: limit.concurrent });
        plan.labels.push({ unit: 'concurrent', limit: limit.concurrent, text: `${limit.concurrent} concurrent requests ${perText}` });
      }
    });
    policy.quotas?.forEach((quota, i) => addQuota(plan, `${origin}#q${i}`, quota, s, now, defaultPer === 'global' ? 'everyone' : defaultPer));
  }
  return plan;
}

/** A quota counts the calls of one team (or key) to the endpoints it lists, per calendar period. */
function addQuota(plan: LimitPlan, base: string, quota: Quota, s: Subject, now: number, who: string): void {
  if (quota.endpoints && !matchesAny(quota.endpoints, s.endpoint)) return;
  const { start, end } = calendarPeriod(quota.period, now);
  plan.checks.push({ kind: 'window', id: `${base}:quota=${quota.calls}/${quota.period}:${start}`, limit: quota.calls, resetAt: end, cost: 1 });
  plan.labels.push({ unit: 'requests', limit: quota.calls, text: `quota of ${quota.calls} calls per ${quota.period} for this ${who}` });
}

export function calendarPeriod(period: 'hour' | 'day' | 'month', now: number): { start: number; end: number } {
  if (period === 'hour') {
    const start = now - (now % 3_600_000);
    return { start, end: start + 3_600_000 };
  }
  if (period === 'day') {
    const start = now - (now % 86_400_000);
    return { start, end: start + 86_400_000 };
  }
  const d = new Date(now);
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

const seconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))}s`;

/** OpenAI's rate-limit headers for the tightest requests limit and the tightest tokens limit. */
export function rateHeaders(plan: LimitPlan, v: Verdict): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const unit of ['requests', 'tokens'] as const) {
    let tightest = -1;
    plan.labels.forEach((label, i) => {
      if (label.unit === unit && (tightest < 0 || v.remaining[i] < v.remaining[tightest])) tightest = i;
    });
    if (tightest < 0) continue;
    headers[`x-ratelimit-limit-${unit}`] = String(plan.labels[tightest].limit);
    headers[`x-ratelimit-remaining-${unit}`] = String(v.remaining[tightest]);
    headers[`x-ratelimit-reset-${unit}`] = seconds(v.resetMs[tightest]);
  }
  return headers;
}

export function limitExceeded(plan: LimitPlan, v: Verdict): GatewayError {
  const retryAfter = Math.max(1, Math.ceil(v.retryMs / 1000));
  const label = plan.labels[v.failed];
  const headers: Record<string, string> = { ...rateHeaders(plan, v), 'retry-after': String(retryAfter) };
  const unit = label.unit === 'concurrent' ? 'requests' : label.unit;
  headers[`x-ratelimit-remaining-${unit}`] = '0';
  return new GatewayError(429, `Rate limit exceeded: ${label.text}. Retry after ${retryAfter}s.`, { code: label.text.startsWith('quota') ? 'quota_exceeded' : 'rate_limit_exceeded', headers });
}

export const tokenChecks = (plan: LimitPlan) => plan.checks.filter((c, i): c is BucketCheck => plan.labels[i].unit === 'tokens');
export const gaugeChecks = (plan: LimitPlan) => plan.checks.filter((c): c is GaugeCheck => c.kind === 'gauge');

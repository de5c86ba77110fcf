// Reads of the request log for the usage API and `gatehouse usage`: filters, totals by hour or day,
// latency percentiles, and pages of rows. The same queries run on SQLite and Postgres; only the
// percentiles differ (Postgres computes them, SQLite rows are sorted here).
import { PostgresAdapter, sql, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database, RequestLogRow } from '../../store/tables.js';
import { FEEDBACK_COLUMNS, hasFeedback, pageWithFeedback, type LoggedRequest } from './feedback.js';

export interface LogFilter {
  /** ISO 8601 times: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  key?: string;
  team?: string;
  endpoint?: string;
  model?: string;
}

export type Grouping = 'hour' | 'day' | 'total';

export interface UsageBucket {
  /** Start of the hour or day (ISO 8601), or "total". */
  period: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  /** Requests whose tokens the gateway counted because the provider reported none. */
  estimated_requests: number;
  cost_usd: number;
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
}

export const USAGE_COLUMNS: readonly (keyof UsageBucket)[] = [
  'period', 'requests', 'errors', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'estimated_requests', 'cost_usd', 'p50_latency_ms', 'p95_latency_ms',
];

/** Every column of the request log, in table order, then its feedback (CSV headers even when no row matches). */
export const LOG_COLUMNS: readonly (keyof LoggedRequest)[] = [
  'id', 'at', 'key_id', 'key_name', 'team', 'end_user', 'endpoint', 'route', 'variant', 'provider', 'model', 'method', 'path', 'status', 'error', 'stream',
  'attempts', 'fallbacks', 'latency_ms', 'ttft_ms', 'overhead_ms', 'upstream_ms', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'usage_estimated',
  'cost_usd', 'cache_status', 'session_id', 'prompt_version', 'trace_id', 'request_body', 'response_body', ...FEEDBACK_COLUMNS,
];

type Query<O> = SelectQueryBuilder<Database, 'request_log', O>;

function filtered<O>(query: Query<O>, f: LogFilter): Query<O> {
  let q = query;
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.key) q = q.where('key_id', '=', f.key);
  if (f.team) q = q.where('team', '=', f.team);
  if (f.endpoint) q = q.where('endpoint', '=', f.endpoint);
  if (f.model) q = q.where('model', '=', f.model);
  return q;
}

// ISO text: the first 13 characters are the hour ("2026-11-22T02"), the first 10 the day.
const PERIOD_CHARS: Record<Grouping, number> = { hour: 13, day: 10, total: 0 };
const periodStart = (prefix: string, grouping: Grouping) => (grouping === 'hour' ? `${prefix}:00:00Z` : grouping === 'day' ? `${prefix}T00:00:00Z` : 'total');

/** The p-th percentile (0..1) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export async function usageBuckets(db: Kysely<Database>, filter: LogFilter, grouping: Grouping): Promise<UsageBucket[]> {
  const chars = PERIOD_CHARS[grouping];
  const period = chars ? sql<string>`substr(at, 1, ${sql.lit(chars)})` : sql<string>`'total'`;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const rows = await filtered(db.selectFrom('request_log'), filter)
    .select([
      period.as('period'),
      sql<number>`count(*)`.as('requests'),
      sql<number>`sum(case when status >= 400 then 1 else 0 end)`.as('errors'),
      sql<number>`coalesce(sum(prompt_tokens), 0)`.as('prompt_tokens'),
      sql<number>`coalesce(sum(completion_tokens), 0)`.as('completion_tokens'),
      sql<number>`coalesce(sum(cached_tokens), 0)`.as('cached_tokens'),
      sql<number>`sum(usage_estimated)`.as('estimated_requests'),
      sql<number>`coalesce(sum(cost_usd), 0)`.as('cost_usd'),
      ...(postgres
        ? [
            sql<number | null>`percentile_disc(0.5) within group (order by latency_ms)`.as('p50'),
            sql<number | null>`percentile_disc(0.95) within group (order by latency_ms)`.as('p95'),
          ]
        : []),
    ])
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
  const latencies = postgres ? undefined : await latenciesByPeriod(db, filter, period);
  return rows.map((r) => {
    const row = r as typeof r & { p50?: number | null; p95?: number | null };
    const sorted = latencies?.get(row.period) ?? [];
    return {
      period: periodStart(row.period, grouping),
      requests: Number(row.requests),
      errors: Number(row.errors),
      prompt_tokens: Number(row.prompt_tokens),
      completion_tokens: Number(row.completion_tokens),
      cached_tokens: Number(row.cached_tokens),
      estimated_requests: Number(row.estimated_requests),
      cost_usd: Number(row.cost_usd),
      p50_latency_ms: latencies ? percentile(sorted, 0.5) : numberOrNull(row.p50),
      p95_latency_ms: latencies ? percentile(sorted, 0.95) : numberOrNull(row.p95),
    };
  });
}

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

async function latenciesByPeriod(db: Kysely<Database>, filter: LogFilter, period: ReturnType<typeof sql<string>>): Promise<Map<string, number[]>> {
  const rows = await filtered(db.selectFrom('request_log'), filter).select([period.as('period'), 'latency_ms']).orderBy('latency_ms').execute();
  const byPeriod = new Map<string, number[]>();
  for (const { period: p, latency_ms } of rows) {
    let list = byPeriod.get(p);
    if (!list) byPeriod.set(p, (list = []));
    list.push(latency_ms);
  }
  return byPeriod;
}

/** Rows newest first, with their feedback; `before` (an `at` of an earlier page's last row) pages back in time. */
export async function logRows(db: Kysely<Database>, filter: LogFilter & { status?: number; before?: string; hasFeedback?: boolean }, limit: number): Promise<LoggedRequest[]> {
  let page = filtered(db.selectFrom('request_log').selectAll(), filter);
  if (filter.status !== undefined) page = page.where('status', '=', filter.status);
  if (filter.before) page = page.where('at', '<', filter.before);
  if (filter.hasFeedback !== undefined) page = page.where(filter.hasFeedback ? hasFeedback() : sql<SqlBool>`not ${hasFeedback()}`);
  const rows = await pageWithFeedback(db, page.orderBy('at', 'desc').orderBy('id').limit(limit)).orderBy('r.at', 'desc').orderBy('r.id').execute();
  return rows.map((row) => ({ ...row, feedback_count: Number(row.feedback_count) }));
}

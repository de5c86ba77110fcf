// Feedback (POST /v1/feedback, table `feedback`) beside the request-log rows it is about, for
// /admin/logs: the latest score, comment and time, and how many were given. Only feedback from the
// request's own tenant counts (the scope rule of src/context/scope.ts, spelled in SQL over the
// row's team and key id): another tenant's feedback on a request id it should not know is ignored.
import { sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database, RequestLogRow } from '../../store/tables.js';

export interface RequestFeedback {
  /** The latest score from -1 to 1; null when none was given. */
  feedback_score: number | null;
  feedback_comment: string | null;
  /** When the latest feedback was given (ISO 8601). */
  feedback_at: string | null;
  /** How many times feedback was given for the request. */
  feedback_count: number;
}

export type LoggedRequest = RequestLogRow & RequestFeedback;

export const FEEDBACK_COLUMNS: readonly (keyof RequestFeedback)[] = ['feedback_score', 'feedback_comment', 'feedback_at', 'feedback_count'];

/** Feedback alias `f` is from the tenant of request-log alias `r` (team:…, key:…/token:…, or anonymous). */
function sameTenant(f: string, r: string): Expression<SqlBool> {
  const scope = sql.ref(`${f}.scope`);
  const team = sql.ref(`${r}.team`);
  const key = sql.ref(`${r}.key_id`);
  return sql<SqlBool>`((${team} is not null and ${scope} = 'team:' || ${team})
    or (${team} is null and ${scope} in ('key:' || ${key}, 'token:' || ${key}))
    or (${team} is null and ${key} is null and ${scope} = 'anonymous'))`;
}

/** True when the request-log row (table `request_log`) has feedback from its tenant: an indexed lookup per row. */
export function hasFeedback(): Expression<SqlBool> {
  return sql<SqlBool>`exists (select 1 from feedback as g where g.request_id = request_log.id and ${sameTenant('g', 'request_log')})`;
}

/**
 * The page's rows with their feedback, in one query: the page (already filtered, ordered and
 * limited) left-joined with its latest feedback (none later from the tenant exists), and a count;
 * both go through the feedback table's request_id index, so the cost follows the page, not the table.
 */
export function pageWithFeedback(db: Kysely<Database>, page: SelectQueryBuilder<Database, 'request_log', RequestLogRow>) {
  const later = sql<SqlBool>`not exists (select 1 from feedback as n where n.request_id = f.request_id and n.scope = f.scope
    and (n.created_at > f.created_at or (n.created_at = f.created_at and n.id > f.id)))`;
  const count = sql<number>`(select count(*) from feedback as c where c.request_id = r.id and ${sameTenant('c', 'r')})`;
  return db
    .selectFrom(page.as('r'))
    .leftJoin('feedback as f', (join) => join.onRef('f.request_id', '=', 'r.id').on(sameTenant('f', 'r')).on(later))
    .selectAll('r')
    .select(['f.score as feedback_score', 'f.comment as feedback_comment', 'f.created_at as feedback_at', count.as('feedback_count')]);
}

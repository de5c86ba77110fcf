// Where request-log rows end up: the request_log table of a store. On SQLite a prepared statement
// run once per row inside one transaction per batch (a query builder would rebuild and re-prepare
// the same multi-row insert for every batch, at several times the cost); on Postgres one multi-row
// insert per batch. A row already written (same request id) is skipped, so a retried batch is safe.
import type { Store } from '../../store/database.js';
import type { RequestLogRow } from '../../store/tables.js';

export interface RowSink {
  insert(rows: RequestLogRow[]): Promise<void>;
  /** Deletes rows logged before `before` (ISO time); returns how many. */
  purge(before: string): Promise<number>;
}

/** Every column of a row (a record, so the compiler checks none is missing or extra). */
const COLUMNS = Object.keys({
  id: 1, at: 1, key_id: 1, key_name: 1, team: 1, end_user: 1, endpoint: 1, route: 1, variant: 1, provider: 1, model: 1, method: 1, path: 1,
  status: 1, error: 1, stream: 1, attempts: 1, fallbacks: 1, latency_ms: 1, ttft_ms: 1, overhead_ms: 1, upstream_ms: 1, prompt_tokens: 1,
  completion_tokens: 1, cached_tokens: 1, usage_estimated: 1, cost_usd: 1, cache_status: 1, session_id: 1, prompt_version: 1, trace_id: 1,
  request_body: 1, response_body: 1,
} satisfies Record<keyof RequestLogRow, 1>);

export function rowSink(store: Store): RowSink {
  const purge = async (before: string) => Number((await store.db.deleteFrom('request_log').where('at', '<', before).executeTakeFirst()).numDeletedRows);
  const sqlite = store.sqlite;
  if (!sqlite) {
    return {
      async insert(rows) {
        await store.db.insertInto('request_log').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
      },
      purge,
    };
  }
  const statement = sqlite.prepare(`insert into request_log (${COLUMNS.join(', ')}) values (${COLUMNS.map((c) => `@${c}`).join(', ')}) on conflict (id) do nothing`);
  const insertAll = sqlite.transaction((rows: RequestLogRow[]) => {
    for (const row of rows) statement.run(row);
  });
  return {
    async insert(rows) {
      insertAll(rows);
    },
    purge,
  };
}

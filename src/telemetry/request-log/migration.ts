// The request_log table (see RequestLogRow in src/store/tables.ts). Times are ISO text, so the same
// range filters and hour/day grouping (substr of the time) work on SQLite and Postgres.
import type { Kysely, Migration } from 'kysely';

export const requestLogMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const text = ['key_id', 'key_name', 'team', 'end_user', 'endpoint', 'route', 'variant', 'provider', 'model', 'error', 'cache_status', 'session_id', 'prompt_version', 'trace_id', 'request_body', 'response_body'];
    const ints = ['stream', 'attempts', 'fallbacks', 'usage_estimated'];
    const reals = ['latency_ms', 'overhead_ms', 'upstream_ms'];
    let table = db.schema
      .createTable('request_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull());
    for (const name of ints) table = table.addColumn(name, 'integer', (c) => c.notNull());
    for (const name of reals) table = table.addColumn(name, 'double precision', (c) => c.notNull());
    for (const name of text) table = table.addColumn(name, 'text');
    for (const name of ['prompt_tokens', 'completion_tokens', 'cached_tokens']) table = table.addColumn(name, 'integer');
    table = table.addColumn('ttft_ms', 'double precision').addColumn('cost_usd', 'double precision');
    await table.execute();
    await db.schema.createIndex('request_log_at').on('request_log').column('at').execute();
    for (const column of ['team', 'key_id', 'endpoint']) {
      await db.schema.createIndex(`request_log_${column}_at`).on('request_log').columns([column, 'at']).execute();
    }
  },
};

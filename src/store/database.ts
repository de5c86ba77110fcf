// Opens the database named by `storage.database`: SQLite (better-sqlite3) for sqlite:// URLs, the
// embedded default, or Postgres (pg) for postgres:// URLs. `?schema=name` on a Postgres URL keeps
// Gatehouse's tables in their own schema (created if missing), e.g. one per test run.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.js';
import type { Database } from './tables.js';

export interface Store {
  db: Kysely<Database>;
  kind: 'sqlite' | 'postgres';
  /** The URL it was opened with (it may carry a password: never log it; describeDatabase() is for people). */
  url: string;
  /** The SQLite connection itself, for the few writes that use prepared statements directly (see request-log/sink.ts). */
  sqlite?: SQLite.Database;
  /** Where the data lives, for people (no password). */
  where: string;
  /** Migrations applied when it was opened (empty when the schema was current). */
  migrated: string[];
  close(): Promise<void>;
}

/** An in-memory SQLite database exists for one connection only: no other connection (or thread) can open it. */
export const connectionPrivate = (url: string) => url === 'sqlite://:memory:';

export function describeDatabase(url: string): string {
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    return path === ':memory:' ? 'SQLite in memory (lost on exit)' : `SQLite file ${resolve(path)}`;
  }
  const parsed = new URL(url);
  parsed.password = '';
  return `Postgres ${parsed.host}${parsed.pathname}${parsed.searchParams.get('schema') ? ` schema ${parsed.searchParams.get('schema')}` : ''}`;
}

/**
 * Opens the database and applies pending migrations. `migrate: false` opens a second connection to
 * a database another connection of this process has already migrated (the request log's writer thread).
 */
export async function openStore(url: string, options: { migrate?: boolean } = {}): Promise<Store> {
  const store = url.startsWith('sqlite://') ? openSqlite(url) : url.startsWith('postgres://') || url.startsWith('postgresql://') ? await openPostgres(url) : undefined;
  if (!store) throw new Error('storage.database must be a sqlite:// or postgres:// URL');
  if (options.migrate === false) return store;
  for (let attempt = 1; ; attempt++) {
    try {
      store.migrated = await migrate(store.db, store.kind === 'postgres' ? schemaOf(url) : undefined);
      return store;
    } catch (err) {
      // Two processes starting on one new SQLite file race to migrate it; the loser retries and finds it done.
      if (store.kind === 'sqlite' && attempt < 3) {
        await new Promise((r) => setTimeout(r, 200 * attempt));
        continue;
      }
      await store.close();
      throw err;
    }
  }
}

function openSqlite(url: string): Store {
  const path = url.slice('sqlite://'.length);
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SQLite(path);
  // WAL lets `gatehouse keys` write while a running gateway reads the same file.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, kind: 'sqlite', url, sqlite: database, where: describeDatabase(url), migrated: [], close: () => db.destroy() };
}

const schemaOf = (url: string) => new URL(url).searchParams.get('schema') ?? undefined;

async function openPostgres(url: string): Promise<Store> {
  const schema = schemaOf(url);
  if (schema && !/^\w+$/.test(schema)) throw new Error('the ?schema= of storage.database takes letters, digits and _');
  const parsed = new URL(url);
  parsed.searchParams.delete('schema');
  const pool = new pg.Pool({ connectionString: parsed.toString(), max: 5, options: schema ? `-c search_path=${schema}` : undefined });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (schema) {
    // Two processes starting together on a new schema can both pass "if not exists"; the loser sees a
    // unique violation on the schema name, which means the schema is there.
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db).catch((err: { code?: string }) => {
      if (err.code !== '23505') throw err;
    });
  }
  return { db, kind: 'postgres', url, where: describeDatabase(url), migrated: [], close: () => db.destroy() };
}

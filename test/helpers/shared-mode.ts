// Shared-mode tests run on the machine's Postgres and Redis (GATEHOUSE_TEST_DATABASE_URL and
// GATEHOUSE_TEST_REDIS_URL, set by .ci/run) and skip, saying why, where those are unset. Each run
// keeps its tables in a schema of its own and its keys under a prefix of its own, and removes both.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const DATABASE = process.env.GATEHOUSE_TEST_DATABASE_URL;
export const REDIS = process.env.GATEHOUSE_TEST_REDIS_URL;

export interface SharedRun {
  /** The Postgres schema of this run (storage.database gets `?schema=<it>`). */
  schema: string;
  /** The Redis key prefix of this run (storage.redis_prefix). */
  prefix: string;
  /** storage.database for this run. */
  database: string;
  /** A describe title with why it skips, when it does. */
  title(what: string): string;
  /** True where a service this run needs is not configured. */
  skip: boolean;
  /** Runs a query on this run's Postgres (not inside its schema unless the query names it). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Drops the schema and deletes the keys. */
  cleanup(): Promise<void>;
}

/** A run on Postgres and Redis, or (`redisOnly`) on Redis alone. `tag` starts the run id, for telling runs apart. */
export function sharedRun(tag: string, { redisOnly = false } = {}): SharedRun {
  const run = `${tag}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const schema = `gatehouse_${run}`;
  const prefix = `gatehouse-test:${run}:`;
  const missing = [!redisOnly && !DATABASE && 'GATEHOUSE_TEST_DATABASE_URL', !REDIS && 'GATEHOUSE_TEST_REDIS_URL'].filter(Boolean).join(' and ');
  const query = async (text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    schema,
    prefix,
    database: `${DATABASE}?schema=${schema}`,
    skip: missing !== '',
    title: (what) => (missing ? `${what} (skipped: set ${missing})` : what),
    query,
    async cleanup() {
      if (!redisOnly && DATABASE) await query(`drop schema if exists ${schema} cascade`);
      if (!REDIS) return;
      const redis = new Redis(REDIS);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
